import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from matchmaking.models import Opportunity

pytestmark = pytest.mark.django_db


def make_opportunity(organization, **fields):
    return Opportunity.objects.create(
        direction="offer",
        title="Hosting",
        description="We host CHM sites.",
        organization=organization,
        **fields,
    )


def test_database_rejects_capacity_below_one(institute):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_opportunity(institute, capacity=0)


def test_database_rejects_end_before_start(institute):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_opportunity(institute, starts_on=datetime.date(2027, 5, 1), ends_on=datetime.date(2027, 4, 1))


def test_clean_reports_end_before_start_on_the_field(institute):
    opportunity = Opportunity(starts_on=datetime.date(2027, 5, 1), ends_on=datetime.date(2027, 4, 1))
    with pytest.raises(ValidationError) as error:
        opportunity.clean()
    assert "ends_on" in error.value.message_dict


def test_request_refuses_eligibility_restrictions():
    with pytest.raises(ValidationError) as error:
        Opportunity.clean_lists("request", {"eligible_groups": ["ldc"], "eligible_countries": []})
    assert "eligible_groups" in error.value.message_dict


def test_lists_over_their_limit_are_refused():
    with pytest.raises(ValidationError) as error:
        Opportunity.clean_lists("offer", {"languages": ["en"] * 11})
    assert "languages" in error.value.message_dict


def test_eligible_for_follows_countries_and_groups(institute):
    anyone = make_opportunity(institute)
    ldc_only = make_opportunity(institute)
    ldc_only.eligible_groups.set(["ldc"])
    chile_only = make_opportunity(institute)
    chile_only.eligible_countries.set(["CL"])
    assert set(Opportunity.objects.eligible_for("CD")) == {anyone, ldc_only}
    assert set(Opportunity.objects.eligible_for("CL")) == {anyone, chile_only}
    assert set(Opportunity.objects.eligible_for("NO")) == {anyone}
