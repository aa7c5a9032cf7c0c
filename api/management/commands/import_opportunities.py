import csv
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from api.serializers.opportunities import OpportunitySerializer
from api.serializers.organizations import OrganizationSerializer
from matchmaking.models import Opportunity
from matchmaking.models.opportunities import CHOICE_LIST_FIELDS, LIST_FIELDS
from matchmaking.recommendations import embedding
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.errors import ServiceError
from matchmaking.services.opportunities import create_opportunity, update_opportunity
from matchmaking.services.organizations import import_organization

EMBED_BATCH_SIZE = 2048
KEY_MAX_LENGTH = Opportunity._meta.get_field("import_key").max_length


def read_rows(path):
    """(line number, row) pairs from a JSON-lines file or a CSV file with a header; in CSV, lists
    are separated by semicolons, and an empty cell is a field not given (so that its default applies,
    and a required field left empty is reported as missing)."""
    with open(path, encoding="utf-8", newline="") as f:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(f)
            for row in reader:
                row = {
                    key: value
                    for key, value in row.items()
                    if key is not None and value is not None and value.strip()
                }
                for name in (*LIST_FIELDS, *CHOICE_LIST_FIELDS):
                    if name in row:
                        row[name] = [item.strip() for item in row[name].split(";") if item.strip()]
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


def read_keys(rows):
    """The external key of each row that has one, by line number, and the errors of keys that are
    not short texts or that an earlier row already has (the second row would update the first)."""
    keys, errors, first_line = {}, {}, {}
    for number, row in rows:
        key = row.get("key") if isinstance(row, dict) else None
        if key is None or key == "":
            continue
        if not isinstance(key, str) or len(key) > KEY_MAX_LENGTH:
            errors[number] = f"line {number}: key: expected a text of at most {KEY_MAX_LENGTH} characters."
        elif key in first_line:
            errors[number] = f"line {number}: key: {key!r} is also the key of line {first_line[key]}."
        else:
            keys[number], first_line[key] = key, number
    return keys, errors


def read_organizations(path):
    """The organizations file, checked in full before anything is written: {key: the validated name,
    kind and country}. Any bad row is a CommandError."""
    organizations, errors = {}, []
    for number, row in read_rows(path):
        if not isinstance(row, dict) or not {"key", "name", "kind", "country"} <= set(row):
            errors.append(f"{path}:{number}: expected key, name, kind and country.")
            continue
        key = row["key"]
        if not isinstance(key, str) or not key or len(key) > KEY_MAX_LENGTH:
            errors.append(f"{path}:{number}: key: expected a text of at most {KEY_MAX_LENGTH} characters.")
            continue
        if key in organizations:
            errors.append(f"{path}:{number}: key: {key!r} is used twice.")
            continue
        serializer = OrganizationSerializer(data={name: row[name] for name in ("name", "kind", "country")})
        if not serializer.is_valid():
            for field, messages in serializer.errors.items():
                errors.append(f"{path}:{number}: {field}: {' '.join(str(m) for m in messages)}")
            continue
        organizations[key] = {name: serializer.validated_data[name] for name in ("name", "kind", "country")}
    if errors:
        raise CommandError("\n".join(errors))
    return organizations


class RejectedBatch(Exception):
    """A batch with invalid rows, raised inside its transaction so that nothing of it stays."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class Command(BaseCommand):
    help = (
        "Imports offers and requests from a JSON-lines file (the format of the evaluation data set) or "
        "a CSV file, in batches: each batch, with the organizations its rows name, is written in one "
        "transaction, or not at all if any of its rows is invalid; then its postings are embedded in "
        "batches. A row with a key updates the posting imported under that key before, if any."
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
        for path in (file, organizations):
            if path and not path.exists():
                raise CommandError(f"{path} does not exist.")
        organizations = read_organizations(organizations) if organizations else None
        rows = list(read_rows(file))
        keys, key_errors = read_keys(rows)
        quiet = options["verbosity"] == 0
        # Load the model (and read the vocabulary's phrases) before the clock starts: the rates below
        # compare encoding, not start-up.
        embedding.embedder().encode(["warm-up"])
        embedding.detector()
        embedding.text_language("warm-up", "")
        started = time.perf_counter()
        imported, created, rejected, errors = [], 0, 0, []
        with tqdm(total=len(rows), unit="posting", disable=quiet, desc="import") as bar:
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                try:
                    with transaction.atomic():
                        saved, new = self.import_batch(batch, organizations, keys, key_errors)
                except RejectedBatch as rejection:
                    errors.extend(rejection.errors)
                    rejected += len(batch)
                else:
                    imported.extend(saved)
                    created += new
                bar.update(len(batch))
        # Embedding comes after the opportunities are saved, in large batches: the model sorts each
        # batch by length, so large batches waste little on padding (an opportunity left unembedded
        # by a crash here is picked up by `retry_embeddings` or embedded on demand). Updated postings
        # whose text did not change keep their vectors.
        t0 = time.perf_counter()
        with tqdm(total=len(imported), unit="posting", disable=quiet, desc="embed") as bar:
            embedded = embed_opportunities(imported, batch_size=EMBED_BATCH_SIZE, progress=bar.update)
        embed_seconds = time.perf_counter() - t0
        texts = [
            embedding.embedding_text(o.title, o.description)
            for o in Opportunity.objects.filter(pk__in=imported).only("title", "description")
        ]
        elapsed = time.perf_counter() - started
        for error in errors:
            self.stderr.write(error)
        self.stdout.write(
            f"Imported {len(imported)} postings ({created} new, {len(imported) - created} updated) in "
            f"{elapsed:.1f}s ({len(imported) / max(elapsed, 1e-9):.1f}/s); "
            f"embedding: {embedded / max(embed_seconds, 1e-9):.1f} texts/s."
        )
        if compare_raw and texts:
            embedder = embedding.embedder()
            t0 = time.perf_counter()
            embedder.encode(texts)
            raw = len(texts) / max(time.perf_counter() - t0, 1e-9)
            self.stdout.write(f"Raw model encode on the same texts: {raw:.1f} texts/s.")
        if errors:
            raise CommandError(f"{rejected} rows in batches with invalid rows were not imported (see above).")

    def import_batch(self, batch, organizations, keys, key_errors):
        """Writes a batch's postings, and the organizations they name, in the caller's transaction;
        returns the postings' ids and how many of them are new. Raises RejectedBatch, which rolls the
        transaction back, if any row is invalid."""
        organization_ids = None
        if organizations is not None:
            organization_ids = self.import_organizations(batch, organizations)
        valid, errors = self.validate(batch, organization_ids, keys, key_errors)
        if errors:
            raise RejectedBatch(errors)
        saved, created = [], 0
        for number, key, existing, data in valid:
            try:
                if existing is None:
                    data = {**data, "import_key": key}
                    posting = create_opportunity(user=None, data=data, embed=False, imported=True)
                    created += 1
                else:
                    posting = update_opportunity(existing, user=None, data=data, embed=False, imported=True)
            except ServiceError as error:
                errors.append(
                    f"line {number}: {error.field}: {error.message}"
                    if error.field
                    else f"line {number}: {error.message}"
                )
                continue
            saved.append(posting.pk)
        if errors:
            raise RejectedBatch(errors)
        return saved, created

    def import_organizations(self, batch, organizations):
        """{key: id} of the organizations of the file that the batch's rows name, created (in the
        batch's transaction) if they are new."""
        named = {
            row["organization"]
            for _, row in batch
            if isinstance(row, dict) and isinstance(row.get("organization"), str)
        }
        return {
            key: import_organization(key=key, data=data).pk
            for key, data in organizations.items()
            if key in named
        }

    def validate(self, batch, organization_ids, keys, key_errors):
        """The batch's valid rows, as (line number, key, the posting imported under that key or None,
        validated data), and the errors of the others, by line and field."""
        existing = Opportunity.objects.select_related("organization").in_bulk(
            [keys[number] for number, _ in batch if number in keys], field_name="import_key"
        )
        valid, errors = [], []
        for number, row in batch:
            if isinstance(row, Exception):
                errors.append(f"line {number}: not valid JSON ({row})")
                continue
            if not isinstance(row, dict):
                errors.append(f"line {number}: expected an object")
                continue
            if number in key_errors:
                errors.append(key_errors[number])
                continue
            row = {name: value for name, value in row.items() if name != "key"}
            if organization_ids is not None:
                organization = row.get("organization")
                if not isinstance(organization, str) or organization not in organization_ids:
                    errors.append(f"line {number}: organization: unknown key {organization!r}")
                    continue
                row["organization"] = organization_ids[organization]
            key = keys.get(number)
            serializer = OpportunitySerializer(existing.get(key), data=row)
            if serializer.is_valid():
                valid.append((number, key, existing.get(key), serializer.validated_data))
            else:
                for field, messages in serializer.errors.items():
                    errors.append(f"line {number}: {field}: {' '.join(str(m) for m in messages)}")
        return valid, errors
