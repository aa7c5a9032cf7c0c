from .audit import AuditAction, AuditLog
from .changes import IndexChange
from .conversations import MatchMessage, MessageReadMarker
from .help import HelpInvitation
from .matches import (
    AlertPreference,
    AlertSent,
    Match,
    MatchEvent,
    Notification,
    Outcome,
    OutcomeIndicator,
    RankerWeights,
    ReminderSent,
)
from .opportunities import Opportunity, OpportunityEmbedding
from .organizations import JoinRequest, Membership, Organization
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
    "AlertPreference",
    "AlertSent",
    "AuditAction",
    "AuditLog",
    "CooperationType",
    "Country",
    "CountryGroup",
    "Framework",
    "Goal",
    "HelpInvitation",
    "IndexChange",
    "JoinRequest",
    "Language",
    "Match",
    "MatchEvent",
    "MatchMessage",
    "Membership",
    "MessageReadMarker",
    "Notification",
    "Objective",
    "Opportunity",
    "OpportunityEmbedding",
    "Organization",
    "Outcome",
    "OutcomeIndicator",
    "RankerWeights",
    "ReminderSent",
    "Theme",
]
