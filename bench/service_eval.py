"""Scores the service as the outside evaluation client does, on a fresh database each time.

    .venv/bin/python bench/service_eval.py [DATA_DIR ...] [--keep]

For each data folder (default: ../shared/eval/dev and ../shared/eval/dev-multilingual) it creates
a new SQLite database in a temporary folder, migrates it, creates a superuser, starts
`manage.py runserver` on a free port, runs `run_eval.py` (next to the data folders) against it
and prints its report and summary line, then nDCG@10 by the language each query is written in.
Extra environment (e.g. MATCHING_WEIGHTS, EMBEDDING_BACKEND) passes through.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ml.language import detect_language  # noqa: E402

DEFAULT_DATA = [ROOT.parent / "shared" / "eval" / "dev", ROOT.parent / "shared" / "eval" / "dev-multilingual"]
USERNAME, PASSWORD = "eval", "eval-password-1234"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def evaluate(data: Path, keep: bool) -> int:
    folder = tempfile.mkdtemp(prefix="service-eval-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/eval.sqlite3",
        "DJANGO_SUPERUSER_USERNAME": USERNAME,
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "eval@example.org",
        "DJANGO_THROTTLE_USER": "100000/min",
        "DJANGO_THROTTLE_WRITES": "100000/min",
    }
    python = sys.executable
    manage = str(ROOT / "manage.py")
    subprocess.run([python, manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([python, manage, "createsuperuser", "--noinput"], env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [python, manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{folder}/server.log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/cooperation-types/")
        run_eval = data.parent / "run_eval.py"
        print(f"== {data}", flush=True)
        result = subprocess.run(
            [
                python,
                str(run_eval),
                "--data",
                str(data),
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--username",
                USERNAME,
                "--password",
                PASSWORD,
                "--out",
                f"{folder}/results.json",
            ],
            env=env,
        )
        if result.returncode == 0:
            print_languages(data, Path(folder) / "results.json")
        return result.returncode
    finally:
        server.terminate()
        server.wait(30)
        if keep:
            print(f"(kept {folder})")
        else:
            subprocess.run(["rm", "-rf", folder], check=False)


def print_languages(data: Path, results: Path) -> None:
    """nDCG@10 by the language of each scored query's text."""
    language = {}
    for name in ("offers.jsonl", "requests.jsonl"):
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                language[row["key"]] = detect_language(
                    f"{row['title']}. {row['description']}", row.get("languages") or ()
                )
    by_language = {}
    for query in json.loads(results.read_text(encoding="utf-8"))["queries"]:
        if query.get("ndcg") is not None:
            by_language.setdefault(language[query["query"]], []).append(query["ndcg"])
    print(
        "nDCG@10 by query language: "
        + ", ".join(f"{lang} {statistics.mean(v):.3f} ({len(v)})" for lang, v in sorted(by_language.items()))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--keep", action="store_true", help="Keep the database, log and results.")
    args = parser.parse_args()
    return max(evaluate(data.resolve(), args.keep) for data in args.data)


if __name__ == "__main__":
    sys.exit(main())
