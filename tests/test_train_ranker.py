"""`manage.py train_ranker`: learns the blend's weights from answered matches, and stores and uses
them only when they rank held-out matches better than the weights in use by a margin, and keep a
floor of weight on the meaning of the texts; `--revert` goes back to the weights used before."""

import random
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, RankerWeights
from matchmaking.recommendations.recommend import recommend
from matchmaking.recommendations.training import labelled_examples
from matchmaking.recommendations.weights import weights_in_use
from matchmaking.services.ranking import train_ranker
from ml.features import FEATURES
from ml.learning import compare
from ml.ranking import Weights
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

WORDS = (
    "amber basalt cobalt dune ember fjord garnet harbour indigo juniper kestrel lagoon marble nectar "
    "orchid pebble quartz raven saffron tundra umber velvet willow yarrow zephyr acorn birch cedar "
    "delta egret falcon glacier heron iris jasper kelp lichen maple"
).split()


@pytest.fixture(autouse=True)
def few_labels_needed(settings, fake_embedder):
    settings.RANKER_MIN_LABELS = 20


@pytest.fixture
def no_semantic_floor(settings):
    """In the made-up matches below the kind of cooperation alone decides: learned weights put
    nothing on the texts, which the floor on the meaning of the texts would refuse."""
    settings.RANKER_SEMANTIC_FLOOR = 0.0


def text(rng):
    return " ".join(rng.sample(WORDS, 8)) + "."


def answered_matches(party, institute, n=12, seed=1, text_decides=False, inverted=False):
    """`n` accepted (or completed) and `n` refused (declined or withdrawn) matches.

    By default what decides is the kind of cooperation, and the refused pairs have word for word the
    same texts, so the hand-set weights (mostly the texts) rank them upside down. With
    `text_decides`, the accepted pairs share their texts and the refused ones share nothing: the
    hand-set weights rank them right. `inverted` swaps accepted and refused, as a few mistaken or
    malicious answers would."""
    rng = random.Random(seed)
    for i in range(2 * n):
        accepted = i < n
        answered = not accepted if inverted else accepted
        same_text = accepted if text_decides else not accepted
        request_text = text(rng)
        offer_text = request_text if same_text else text(rng)
        request_type, offer_type = ("training", "training") if accepted else ("funding", "hosting")
        if text_decides:
            request_type = offer_type = "other"
        request = make_opportunity(party, "request", f"R{i} {request_text}", description=request_text,
                               cooperation_type_id=request_type)  # fmt: skip
        offer = make_opportunity(institute, "offer", f"O{i} {offer_text}", description=offer_text,
                             cooperation_type_id=offer_type)  # fmt: skip
        statuses = [MatchStatus.ACCEPTED, MatchStatus.COMPLETED] if answered else [
            MatchStatus.DECLINED, MatchStatus.WITHDRAWN]  # fmt: skip
        Match.objects.create(request=request, offer=offer, initiated_by=party, status=statuses[i % 2])


def test_answered_matches_are_the_labelled_examples(party, institute):
    answered_matches(party, institute, n=3)
    request = make_opportunity(party, "request", "Unanswered")
    offer = make_opportunity(institute, "offer", "Unanswered")
    Match.objects.create(request=request, offer=offer, initiated_by=party, status=MatchStatus.PROPOSED)
    Match.objects.create(request=request, offer=offer, initiated_by=party, status=MatchStatus.CANCELLED)
    features, labels = labelled_examples()
    assert features.shape == (6, len(FEATURES))
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    structured = FEATURES.index("structured")
    assert np.isnan(features[:, structured]).all()  # none of them gave structured needs
    known = np.delete(features, structured, axis=1)
    assert ((known >= 0) & (known <= 1)).all()


def test_with_too_few_labels_the_hand_set_weights_stay(party, institute):
    answered_matches(party, institute, n=4)
    report = train_ranker()
    assert report.labels == 8
    assert report.stored is None
    assert "fewer than 20" in report.message
    assert not RankerWeights.objects.exists()
    assert weights_in_use()[0] == Weights()


def test_better_weights_are_stored_and_used(party, institute, fake_embedder, no_semantic_floor):
    answered_matches(party, institute)
    report = train_ranker()
    assert report.stored is not None, report.message
    assert report.learned_score > report.baseline_score
    stored = RankerWeights.objects.get()
    assert stored.is_active and stored.labels == 24 and stored.positives == 12
    assert stored.baseline == Weights().to_dict()
    learned = weights_in_use()[0]
    assert learned == Weights.from_dict(stored.weights)
    assert learned.type > learned.semantic  # the kind of cooperation decided, not the texts

    need = make_opportunity(party, "request", "Training of webmasters", cooperation_type_id="training")
    make_opportunity(institute, "offer", "Training courses for webmasters", cooperation_type_id="training")
    [result, *_] = recommend(need)
    assert result["reasons"]["weights"]["source"] == "learned"
    assert result["reasons"]["weights"]["id"] == stored.pk
    assert result["reasons"]["weights"]["labels"] == 24


def test_recommendations_name_the_hand_set_weights_until_then(party, institute, fake_embedder):
    need = make_opportunity(party, "request", "Training of webmasters")
    make_opportunity(institute, "offer", "Training courses for webmasters")
    [result] = recommend(need)
    assert result["reasons"]["weights"]["source"] == "hand-set"
    assert result["reasons"]["weights"]["weights"] == Weights().to_dict()


def test_a_worse_model_is_never_stored(party, institute, monkeypatch):
    answered_matches(party, institute, text_decides=True)
    # whatever is learned, it only looks at the dates, which say nothing here
    monkeypatch.setattr("ml.learning.learn_weights", lambda *args, **kwargs: Weights.from_dict(
        {name: 1.0 if name == "dates" else 0.0 for name in FEATURES}))  # fmt: skip
    report = train_ranker()
    assert report.learned_score < report.baseline_score
    assert report.stored is None
    assert "do not rank better by 0.02" in report.message
    assert not RankerWeights.objects.exists()
    assert weights_in_use()[0] == Weights()


def test_weights_that_rank_no_better_than_those_in_use_are_not_stored(party, institute):
    answered_matches(party, institute, text_decides=True)
    report = train_ranker()
    assert report.baseline_score == pytest.approx(1.0)
    assert report.stored is None
    assert not RankerWeights.objects.exists()


def test_new_weights_must_beat_the_learned_ones_in_use(party, institute, no_semantic_floor):
    answered_matches(party, institute)
    first = train_ranker().stored
    report = train_ranker()
    assert report.baseline_score == pytest.approx(first.score, abs=0.05)
    in_use = weights_in_use()[1]["id"]
    if report.stored is None:
        assert in_use == first.pk
    else:  # better still by the margin: the new ones come first, the old ones wait behind them
        assert in_use == report.stored.pk and RankerWeights.objects.get(pk=first.pk).is_active


def test_inverted_labels_change_nothing(party, institute):
    """Answers that contradict the texts (the similar pairs refused, the unrelated ones accepted)
    teach nothing worth using: the weights in use stay."""
    answered_matches(party, institute, text_decides=True, inverted=True)
    report = train_ranker()
    assert report.stored is None
    assert "the weights in use stay" in report.message
    assert not RankerWeights.objects.exists()
    assert weights_in_use()[0] == Weights()


def test_weights_that_ignore_the_texts_are_refused(party, institute):
    """Answers decided by something else than the texts (here the kind of cooperation, the refused
    pairs having the same texts) teach weights that rank those answers better but ignore the texts:
    the floor on the meaning of the texts keeps the weights in use."""
    answered_matches(party, institute)
    report = train_ranker()
    assert report.stored is None
    assert "under the floor of 0.2" in report.message
    assert weights_in_use()[0] == Weights()


def test_a_gain_below_the_margin_is_not_enough(party, institute, settings, no_semantic_floor):
    answered_matches(party, institute)
    settings.RANKER_MIN_GAIN = 1.5  # more than a ROC AUC can gain
    report = train_ranker()
    assert report.stored is None and report.learned_score > report.baseline_score
    assert "do not rank better by 1.5" in report.message


def test_revert_goes_back_to_the_weights_used_before(party, institute, no_semantic_floor):
    answered_matches(party, institute)
    stored = train_ranker().stored
    assert weights_in_use()[1]["id"] == stored.pk
    out = StringIO()
    call_command("train_ranker", "--revert", stdout=out)
    assert f"Weights #{stored.pk} are no longer used; ranking uses the hand-set weights." in out.getvalue()
    assert weights_in_use()[0] == Weights()
    stored.refresh_from_db()
    assert not stored.is_active  # kept, for the history
    with pytest.raises(CommandError, match="already uses the hand-set weights"):
        call_command("train_ranker", "--revert", stdout=out)


def test_the_command_reports_and_a_dry_run_stores_nothing(party, institute, no_semantic_floor):
    answered_matches(party, institute)
    out = StringIO()
    call_command("train_ranker", "--dry-run", stdout=out)
    assert "24 labelled matches, 12 accepted." in out.getvalue()
    assert "not stored (dry run)" in out.getvalue()
    assert not RankerWeights.objects.exists()
    call_command("train_ranker", stdout=out)
    assert "stored as #" in out.getvalue()
    assert RankerWeights.objects.count() == 1


def test_the_command_takes_the_number_of_labels(party, institute):
    answered_matches(party, institute, n=4)
    out = StringIO()
    call_command("train_ranker", "--min-labels", "100", stdout=out)
    assert "fewer than 100" in out.getvalue()


def test_the_admin_shows_the_weights_in_use_and_their_provenance(client, party, institute, no_semantic_floor):
    answered_matches(party, institute)
    stored = train_ranker().stored
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    page = client.get("/admin/matchmaking/rankerweights/", follow=True).content.decode()
    assert f"Ranking uses the learned #{stored.pk} weights" in page
    detail = client.get(f"/admin/matchmaking/rankerweights/{stored.pk}/change/").content.decode()
    assert "roc_auc" in detail and "logistic regression" in detail


def test_compare_needs_both_labels():
    features = np.random.default_rng(0).random((10, len(FEATURES)))
    assert compare(features, np.ones(10), Weights()) is None
    assert compare(features, np.array([1] + [0] * 9), Weights()) is None
    assert compare(features, np.array([1, 1] + [0] * 8), Weights()).folds == 2
