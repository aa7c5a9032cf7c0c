"""Throughput of `manage.py import_opportunities` against the model's raw encode rate.

    .venv/bin/python bench/bench_import.py [--copies 10]

Writes the evaluation data set's offers and requests `--copies` times (titles numbered, so no
text repeats) to a JSON-lines file, imports it into a fresh SQLite database under /tmp with the
real model, and prints the command's report: its import and embedding rates, and the raw
`encode` rate of the same model on the same texts.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "dev"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_import_"))
    rows = []
    for name in ("offers.jsonl", "requests.jsonl"):
        rows += [json.loads(line) for line in (args.data / name).read_text().splitlines() if line.strip()]
    with open(work / "postings.jsonl", "w") as f:
        for copy in range(args.copies):
            for row in rows:
                f.write(json.dumps({**row, "title": f"{row['title']} ({copy + 1})"}) + "\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    print(f"{len(rows) * args.copies} postings from {args.data}", flush=True)
    subprocess.run(
        [
            *manage, "import_opportunities", str(work / "postings.jsonl"),
            "--organizations", str(args.data / "organizations.jsonl"), "--compare-raw", "-v0",
        ],
        env=env,
        check=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
