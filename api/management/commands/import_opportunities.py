import csv
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from api.serializers.opportunities import OpportunitySerializer
from matchmaking.models import Opportunity, Organization
from matchmaking.models.opportunities import LIST_FIELDS
from matchmaking.recommendations import embedding
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.opportunities import create_opportunity

EMBED_BATCH_SIZE = 2048


def read_rows(path):
    """(line number, row) pairs from a JSON-lines file or a CSV file with a header; in CSV, lists
    are separated by semicolons."""
    with open(path, encoding="utf-8", newline="") as f:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(f)
            for row in reader:
                row = {key: value for key, value in row.items() if key is not None}
                for name in LIST_FIELDS:
                    if name in row:
                        row[name] = [item.strip() for item in (row[name] or "").split(";") if item.strip()]
                for name, value in list(row.items()):
                    if value == "":
                        row[name] = None
                yield reader.line_num, row
            return
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, error
                continue
            yield number, row


class Command(BaseCommand):
    help = (
        "Imports offers and requests from a JSON-lines file (the format of the evaluation data set) or "
        "a CSV file, in batches: each batch is written in one transaction, or not at all if any of its "
        "rows is invalid; then its postings are embedded in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--organizations",
            type=Path,
            help="JSON lines of organizations (key, name, kind, country): rows name their organization by key. "
            "Without it, `organization` is the id of an existing organization.",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--compare-raw",
            action="store_true",
            help="Also time the model's raw encode on the same texts and report both rates.",
        )

    def handle(self, *args, file, organizations, batch_size, compare_raw, **options):
        file, organizations = Path(file), organizations and Path(organizations)
        if not file.exists():
            raise CommandError(f"{file} does not exist.")
        organization_ids = self.load_organizations(organizations) if organizations else None
        rows = list(read_rows(file))
        quiet = options["verbosity"] == 0
        # Load the model (and read the vocabulary's phrases) before the clock starts: the rates below
        # compare encoding, not start-up.
        embedding.embedder().encode(["warm-up"])
        embedding.detector()
        embedding.text_language("warm-up", "")
        started = time.perf_counter()
        imported, rejected, errors = [], 0, []
        with tqdm(total=len(rows), unit="posting", disable=quiet, desc="import") as bar:
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                valid, batch_errors = self.validate(batch, organization_ids)
                if batch_errors:
                    errors.extend(batch_errors)
                    rejected += len(batch)
                    bar.update(len(batch))
                    continue
                with transaction.atomic():
                    created = [create_opportunity(user=None, data=data, embed=False) for data in valid]
                imported.extend(p.pk for p in created)
                bar.update(len(batch))
        # Embedding comes after the opportunities are saved, in large batches: the model sorts each
        # batch by length, so large batches waste little on padding (an opportunity left unembedded
        # by a crash here is picked up by `retry_embeddings` or embedded on demand).
        t0 = time.perf_counter()
        with tqdm(total=len(imported), unit="posting", disable=quiet, desc="embed") as bar:
            embed_opportunities(imported, batch_size=EMBED_BATCH_SIZE, progress=bar.update)
        embed_seconds = time.perf_counter() - t0
        texts = [
            embedding.embedding_text(o.title, o.description)
            for o in Opportunity.objects.filter(pk__in=imported).only("title", "description")
        ]
        elapsed = time.perf_counter() - started
        for error in errors:
            self.stderr.write(error)
        self.stdout.write(
            f"Imported {len(imported)} postings in {elapsed:.1f}s ({len(imported) / max(elapsed, 1e-9):.1f}/s); "
            f"embedding: {len(texts) / max(embed_seconds, 1e-9):.1f} texts/s."
        )
        if compare_raw and texts:
            embedder = embedding.embedder()
            t0 = time.perf_counter()
            embedder.encode(texts)
            raw = len(texts) / max(time.perf_counter() - t0, 1e-9)
            self.stdout.write(f"Raw model encode on the same texts: {raw:.1f} texts/s.")
        if errors:
            raise CommandError(f"{rejected} rows in batches with invalid rows were not imported (see above).")

    def load_organizations(self, path):
        ids = {}
        with transaction.atomic():
            for number, row in read_rows(path):
                if isinstance(row, Exception) or not {"key", "name", "kind", "country"} <= set(row):
                    raise CommandError(f"{path}:{number}: expected key, name, kind and country.")
                organization, _ = Organization.objects.get_or_create(
                    name=row["name"], country_id=row["country"], defaults={"kind": row["kind"]}
                )
                ids[row["key"]] = organization.pk
        return ids

    def validate(self, batch, organization_ids):
        valid, errors = [], []
        for number, row in batch:
            if isinstance(row, Exception):
                errors.append(f"line {number}: not valid JSON ({row})")
                continue
            row = {key: value for key, value in row.items() if key != "key"}
            if organization_ids is not None:
                if row.get("organization") not in organization_ids:
                    errors.append(f"line {number}: organization: unknown key {row.get('organization')!r}")
                    continue
                row["organization"] = organization_ids[row["organization"]]
            serializer = OpportunitySerializer(data=row)
            if serializer.is_valid():
                valid.append(serializer.validated_data)
            else:
                for field, messages in serializer.errors.items():
                    errors.append(f"line {number}: {field}: {' '.join(str(m) for m in messages)}")
        return valid, errors
