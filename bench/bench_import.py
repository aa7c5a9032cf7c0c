"""Throughput of `manage.py import_opportunities` against the model's raw encode rate, and the peak
memory of a web process once the model is loaded.

    .venv/bin/python bench/bench_import.py [--copies 10] [--words 150]

Writes the evaluation data set's offers and requests `--copies` times (titles and keys numbered,
so that no text repeats and no copy updates another) to a JSON-lines file, each description made
`--words` long from the set's own descriptions (0: as they are), imports it into a fresh SQLite
database under /tmp with the real model (EMBEDDING_BACKEND), and prints the command's report: its
import and embedding rates, and the raw `encode` rate of the same model on the same texts. Staff
then verify the set's organizations, which approves their imported postings. Then a new process,
as a web process would, answers a matches request and a text search through the WSGI application
(loading the model, the vocabulary's vectors and the index) and prints its peak resident memory
(VmHWM).
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "dev"

WEB_PROCESS = """
import django, json
django.setup()
from django.test import Client
from matchmaking.models import Opportunity
client = Client()
first = Opportunity.objects.order_by("pk").first()
assert client.get(f"/api/v1/opportunities/{first.pk}/matches/").status_code == 200
assert client.get("/api/v1/opportunities/", {"q": "hosting of national websites"}).status_code == 200
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print(json.dumps({key: status[key].strip() for key in ("VmHWM", "VmRSS")}))
"""

# Imported postings of organizations that are not verified wait for approval, as any others do.
VERIFY = """
import django
django.setup()
from django.contrib.auth import get_user_model
from matchmaking.models import Organization
from matchmaking.services.moderation import verify_organization
staff = get_user_model().objects.create_user("bench-moderator", is_staff=True)
for organization in Organization.objects.all():
    verify_organization(organization, user=staff)
"""


def long_descriptions(rows, words):
    """Each row's description followed by the others', cut to `words` words."""
    if not words:
        return [row["description"] for row in rows]
    pool = [row["description"] for row in rows]
    out = []
    for i, _row in enumerate(rows):
        text = []
        for description in itertools.islice(itertools.cycle(pool), i, None):
            text += description.split()
            if len(text) >= words:
                break
        out.append(" ".join(text[:words]))
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--words", type=int, default=150, help="words in each description (0: as they are)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_import_"))
    rows = []
    for name in ("offers.jsonl", "requests.jsonl"):
        rows += [json.loads(line) for line in (args.data / name).read_text().splitlines() if line.strip()]
    descriptions = long_descriptions(rows, args.words)
    with open(work / "postings.jsonl", "w") as f:
        for copy in range(args.copies):
            for row, description in zip(rows, descriptions, strict=True):
                f.write(
                    json.dumps(
                        {
                            **row,
                            "key": f"{row['key']}-{copy + 1}",
                            "title": f"{row['title']} ({copy + 1})",
                            "description": description,
                        }
                    )
                    + "\n"
                )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "matchmaking.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    print(
        f"{len(rows) * args.copies} postings from {args.data}, descriptions of {args.words or 'their own'} words",
        flush=True,
    )
    subprocess.run(
        [
            *manage, "import_opportunities", str(work / "postings.jsonl"),
            "--organizations", str(args.data / "organizations.jsonl"), "--compare-raw", "-v0",
        ],
        env=env,
        check=True,
    )  # fmt: skip
    subprocess.run([sys.executable, "-c", VERIFY], env=env, cwd=ROOT, check=True)
    web = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    memory = json.loads(web.stdout.strip().splitlines()[-1])
    print(
        f"A web process that answered a matches request and a text search: peak {memory['VmHWM']}, now {memory['VmRSS']}."
    )


if __name__ == "__main__":
    main()
