from .matches import Match, MatchEvent, Notification, Outcome, OutcomeIndicator
from .opportunities import Opportunity, OpportunityEmbedding
from .organizations import Membership, Organization
from .reference import (
    Activity,
    CooperationType,
    Country,
    CountryGroup,
    Framework,
    Goal,
    Language,
    Objective,
    Theme,
)

__all__ = [
    "Activity",
    "CooperationType",
    "Country",
    "CountryGroup",
    "Framework",
    "Goal",
    "Language",
    "Match",
    "MatchEvent",
    "Membership",
    "Notification",
    "Objective",
    "Opportunity",
    "OpportunityEmbedding",
    "Organization",
    "Outcome",
    "OutcomeIndicator",
    "Theme",
]
