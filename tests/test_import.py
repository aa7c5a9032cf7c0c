import json

import pytest
from django.core.management import CommandError, call_command

from matchmaking.choices import EmbeddingStatus
from matchmaking.models import Opportunity, Organization
from matchmaking.recommendations.embedding import embedding_text

pytestmark = pytest.mark.django_db

ORGANIZATIONS = [
    {"key": "ORG01", "name": "Point focal CHM du Mali", "kind": "party", "country": "ML"},
    {"key": "ORG02", "name": "GreenByte Hosting", "kind": "private", "country": "AT"},
]


def opportunity(key, **fields):
    row = {
        "key": key,
        "direction": "offer",
        "title": f"Posting {key}",
        "description": "We host national CHM websites.",
        "cooperation_type": "hosting",
        "themes": ["information_systems"],
        "objectives": ["3.1"],
        "organization": "ORG02",
        "languages": ["en", "de"],
        "eligible_groups": [],
        "eligible_countries": [],
        "starts_on": None,
        "ends_on": None,
        "capacity": 3,
    }
    row.update(fields)
    return row


@pytest.fixture
def files(tmp_path):
    def write(rows, name="postings.jsonl"):
        orgs = tmp_path / "organizations.jsonl"
        orgs.write_text("\n".join(json.dumps(o) for o in ORGANIZATIONS))
        path = tmp_path / name
        path.write_text("\n".join(json.dumps(r) if isinstance(r, dict) else r for r in rows) + "\n")
        return str(path), str(orgs)

    return write


def test_imports_the_evaluation_format_and_embeds_in_batches(files, fake_embedder, capsys):
    path, orgs = files([opportunity("O1"), opportunity("R1", direction="request", organization="ORG01")])
    call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert Opportunity.objects.count() == 2
    request = Opportunity.objects.get(direction="request")
    assert request.organization.country_id == "ML"
    assert list(request.objectives.values_list("code", flat=True)) == ["3.1"]
    assert set(request.languages.values_list("code", flat=True)) == {"en", "de"}
    assert {p.embedding.status for p in Opportunity.objects.all()} == {EmbeddingStatus.READY}
    assert fake_embedder.encoded[0] == "warm-up"  # the model is loaded before the clock starts
    texts = [embedding_text(o.title, o.description) for o in Opportunity.objects.all()]
    assert sorted(t for t in fake_embedder.encoded[1:] if t in texts) == sorted(texts)  # once each
    assert "Imported 2 postings" in capsys.readouterr().out


def test_bad_rows_are_reported_by_line_and_their_batch_is_not_imported(files, fake_embedder):
    rows = [
        opportunity("O1"),
        opportunity("O2", cooperation_type="hostng"),
        opportunity("O3", capacity=0),
        "{not json",
        opportunity("O4"),
    ]
    path, orgs = files(rows)
    with pytest.raises(CommandError) as error:
        call_command("import_opportunities", path, organizations=orgs, batch_size=4, verbosity=0)
    assert "4 rows" in str(error.value)
    assert list(Opportunity.objects.values_list("title", flat=True)) == [
        "Posting O4"
    ]  # the clean second batch


def test_errors_name_the_line_and_field(files, fake_embedder, capsys):
    path, orgs = files([opportunity("O1"), opportunity("O2", ends_on="2026-01-01", starts_on="2026-02-01")])
    with pytest.raises(CommandError):
        call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    err = capsys.readouterr().err
    assert "line 2: ends_on:" in err
    assert Opportunity.objects.count() == 0


def test_unknown_organization_key_is_an_error(files, fake_embedder, capsys):
    path, orgs = files([opportunity("O1", organization="ORG99")])
    with pytest.raises(CommandError):
        call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert "line 1: organization: unknown key 'ORG99'" in capsys.readouterr().err


def test_imports_csv_with_semicolon_lists(tmp_path, fake_embedder):
    organization = Organization.objects.create(name="Herbarium", kind="institute", country_id="BE")
    path = tmp_path / "postings.csv"
    path.write_text(
        "direction,title,description,cooperation_type,themes,languages,eligible_groups,organization,capacity\n"
        f"offer,Taxonomy grants,Visit our collections,funding,taxonomy,en;fr,eu;ldc,{organization.pk},5\n"
    )
    call_command("import_opportunities", str(path), verbosity=0)
    offer = Opportunity.objects.get()
    assert set(offer.eligible_groups.values_list("code", flat=True)) == {"eu", "ldc"}
    assert offer.capacity == 5


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_opportunities", str(tmp_path / "none.jsonl"))
