import json

import pytest
from django.core.management import CommandError, call_command

from matchmaking.choices import EmbeddingStatus, Moderation
from matchmaking.models import Opportunity, Organization
from matchmaking.recommendations.embedding import embedding_text
from matchmaking.services.moderation import approve_opportunity

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
    def write(rows, name="postings.jsonl", organizations=ORGANIZATIONS):
        orgs = tmp_path / "organizations.jsonl"
        orgs.write_text("\n".join(json.dumps(o) for o in organizations))
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


def test_a_failed_batch_leaves_no_organization_behind(files, fake_embedder):
    rows = [opportunity("O1"), opportunity("R1", direction="request", organization="ORG01", capacity=0)]
    path, orgs = files(rows)
    with pytest.raises(CommandError):
        call_command("import_opportunities", path, organizations=orgs, batch_size=1, verbosity=0)
    assert list(Organization.objects.values_list("name", flat=True)) == ["GreenByte Hosting"]
    assert list(Opportunity.objects.values_list("title", flat=True)) == ["Posting O1"]


def test_nothing_of_the_organizations_file_is_written_when_every_batch_fails(files, fake_embedder):
    path, orgs = files([opportunity("O1", capacity=0)])
    with pytest.raises(CommandError):
        call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert not Organization.objects.exists()


def test_a_bad_organizations_file_is_refused_before_anything_is_written(files, fake_embedder):
    bad = [ORGANIZATIONS[0], {**ORGANIZATIONS[1], "kind": "castle"}]
    path, orgs = files([opportunity("O1", organization="ORG01")], organizations=bad)
    with pytest.raises(CommandError) as error:
        call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert "organizations.jsonl:2: kind:" in str(error.value)
    assert not Organization.objects.exists()
    assert not Opportunity.objects.exists()


def test_importing_the_same_file_twice_updates_instead_of_duplicating(files, fake_embedder, capsys):
    unkeyed = {name: value for name, value in opportunity("X").items() if name != "key"}
    path, orgs = files(
        [opportunity("O1"), opportunity("R1", direction="request", organization="ORG01"), unkeyed]
    )
    call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    first = Opportunity.objects.get(import_key="O1")
    path, orgs = files(
        [
            opportunity("O1", description="We host and back up national CHM websites."),
            opportunity("R1", direction="request", organization="ORG01"),
            unkeyed,
        ]
    )
    call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert "(1 new, 2 updated)" in capsys.readouterr().out
    assert Organization.objects.count() == 2
    assert Opportunity.objects.count() == 4
    assert Opportunity.objects.filter(import_key=None).count() == 2  # a row without a key is created again
    updated = Opportunity.objects.get(import_key="O1")
    assert updated.pk == first.pk
    assert updated.description == "We host and back up national CHM websites."
    assert updated.embedding.status == EmbeddingStatus.READY  # embedded again, with the new text
    assert fake_embedder.encoded[-1] == embedding_text(updated.title, updated.description)


def test_a_key_repeated_in_a_file_is_an_error(files, fake_embedder, capsys):
    path, orgs = files([opportunity("O1"), opportunity("O1", title="Another posting")])
    with pytest.raises(CommandError):
        call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    assert "line 2: key: 'O1' is also the key of line 1" in capsys.readouterr().err
    assert not Opportunity.objects.exists()


def test_imported_postings_of_an_unverified_organization_wait_for_moderation(files, fake_embedder, staff):
    verified = Organization.objects.create(
        name="GreenByte Hosting", kind="private", country_id="AT", verified=True
    )
    path, orgs = files([opportunity("O1"), opportunity("R1", direction="request", organization="ORG01")])
    call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    offer, request = Opportunity.objects.get(import_key="O1"), Opportunity.objects.get(import_key="R1")
    assert offer.organization == verified  # an organization of the same name and country takes the key
    assert offer.moderation == Moderation.APPROVED
    assert not request.organization.verified
    assert request.moderation == Moderation.PENDING

    approve_opportunity(request, user=staff)
    path, orgs = files([opportunity("R1", direction="request", organization="ORG01", title="Changed title")])
    call_command("import_opportunities", path, organizations=orgs, verbosity=0)
    request.refresh_from_db()
    assert request.moderation == Moderation.PENDING  # a changed text waits for approval again


def test_an_empty_optional_csv_cell_is_not_given(tmp_path, fake_embedder, capsys):
    organization = Organization.objects.create(name="Herbarium", kind="institute", country_id="BE")
    path = tmp_path / "postings.csv"
    path.write_text(
        "key,direction,title,description,cooperation_type,themes,organization,capacity,contact_name,starts_on\n"
        f"T1,offer,Taxonomy grants,Visit our collections,,,{organization.pk},,,\n"
        f"T2,offer,,Visit our collections,funding,taxonomy,{organization.pk},5,Ann,\n"
    )
    with pytest.raises(CommandError):
        call_command("import_opportunities", str(path), batch_size=1, verbosity=0)
    assert "line 3: title: This field is required." in capsys.readouterr().err
    offer = Opportunity.objects.get()
    assert (offer.import_key, offer.capacity, offer.cooperation_type_id, offer.contact_name) == (
        "T1",
        1,
        "other",
        "",
    )
    assert offer.starts_on is None and not offer.themes.exists()
