"""Every status and kind of the domain, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    OFFER = "offer", _("Offer")
    REQUEST = "request", _("Request")


class OpportunityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Moderation(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    HIDDEN = "hidden", _("Hidden by the secretariat")


class OrganizationKind(models.TextChoices):
    PARTY = "party", _("Party (national focal point)")
    INSTITUTE = "institute", _("Institute")
    NGO = "ngo", _("Non-governmental organization")
    IGO = "igo", _("Intergovernmental organization")
    PRIVATE = "private", _("Private sector")
    SECRETARIAT = "secretariat", _("Secretariat")


class MemberRole(models.TextChoices):
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class GroupKind(models.TextChoices):
    UN_REGION = "un_region", _("UN regional group")
    ELIGIBILITY = "eligibility", _("Eligibility group")


class Actor(models.TextChoices):
    CBD = "cbd", _("The CBD clearing-house mechanism")
    NATIONAL = "national", _("National clearing-house mechanisms")
    BOTH = "both", _("The CBD and national clearing-house mechanisms")


class EmbeddingStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed, to be retried")


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Interest expressed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired without an answer")
    FILLED = "filled", _("Closed: the posting has no room left")


# Matches in these states hold one unit of each opportunity's capacity.
CAPACITY_HOLDING_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS, MatchStatus.COMPLETED)
# The answers to a proposal, for the time to first answer.
ANSWERED_STATUSES = (MatchStatus.ACCEPTED, MatchStatus.DECLINED)
# Matches in these states are still alive: a second one on the same pair is refused.
ACTIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, *CAPACITY_HOLDING_STATUSES)
# Matches in these states are not over yet: their two sides may write to each other.
CONVERSATION_STATUSES = (MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.IN_PROGRESS)


class Indicator(models.TextChoices):
    PEOPLE_TRAINED = "people_trained", _("People trained")
    WEBSITES_HOSTED = "websites_hosted", _("Websites hosted")
    WEBSITES_LAUNCHED = "websites_launched", _("Websites launched")
    RECORDS_DIGITISED = "records_digitised", _("Records digitised")
    GRANTS_AWARDED = "grants_awarded", _("Grants awarded")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    """The scale a posting works at (structured needs)."""

    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")
    GLOBAL = "global", _("Global")


class Cost(models.TextChoices):
    """Costs of a cooperation: what an offer's provider covers, or what a request needs covered."""

    STAFF_TIME = "staff_time", _("Staff time")
    TRAVEL = "travel", _("Travel")
    SUBSISTENCE = "subsistence", _("Accommodation and subsistence")
    EQUIPMENT = "equipment", _("Equipment")
    HOSTING = "hosting", _("Hosting costs")
    SOFTWARE = "software", _("Software and licences")
    TRAINING = "training", _("Training costs")


# The outputs a posting may expect: the outcome indicators, but `other`, which needs a label to mean
# anything.
OUTPUT_INDICATORS = [(key, label) for key, label in Indicator.choices if key != Indicator.OTHER]


class NotificationKind(models.TextChoices):
    INTEREST_EXPRESSED = "interest_expressed", _("Interest expressed in your posting")
    INTEREST_ACCEPTED = "interest_accepted", _("Your interest was accepted")
    INTEREST_DECLINED = "interest_declined", _("Your interest was declined")
    INTEREST_WITHDRAWN = "interest_withdrawn", _("Interest withdrawn")
    MATCH_COMPLETED = "match_completed", _("Match completed")
    MATCH_CANCELLED = "match_cancelled", _("Match cancelled")
    SUGGESTIONS = "suggestions", _("New postings that fit yours")
    OPPORTUNITY_EXPIRING = "posting_expiring", _("Your posting ends soon")
    OPPORTUNITY_CLOSED = "posting_closed", _("Your posting ended and was closed")
    MATCH_MESSAGE = "match_message", _("New message on a match")
    HELP_INVITED = "help_invited", _("You are invited to help with a request")
    PROPOSAL_REMINDER = "proposal_reminder", _("A proposal waits for your answer")
    PROPOSAL_EXPIRED = "proposal_expired", _("A proposal expired without an answer")
    START_REMINDER = "start_reminder", _("An accepted match waits to be started")
    MATCH_FILLED = "match_filled", _("A proposal was closed: the posting has no room left")


class HelpStatus(models.TextChoices):
    """Whether a request waits for help, so that organizations that could help are suggested for it."""

    WAITING = "waiting", _("It waits for help: organizations that could help are suggested")
    NOT_A_REQUEST = "not_a_request", _("Only requests get suggestions of who could help")
    NOT_OPEN = "not_open", _("It is not open, approved and running")
    HAS_PROPOSAL = "has_proposal", _("It has a proposal under way or accepted")
    TOO_EARLY = "too_early", _("It was published too recently")
    GOOD_MATCH = "good_match", _("A recommended offer fits it well")


class HelpReason(models.TextChoices):
    """The past cooperation an organization is suggested for."""

    OFFERED = "offered", _("An offer it made")
    COMPLETED = "completed", _("A cooperation it completed")
