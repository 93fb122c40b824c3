"""Plain typed objects and rules; no I/O."""

from recallguard.domain.models import (
    Action,
    ActionKind,
    ActionState,
    AuditEvent,
    Authority,
    BadRecord,
    DecisionKind,
    IdentifierRange,
    Listing,
    Match,
    Recall,
    RecallStatus,
    Target,
)

__all__ = [
    "Action",
    "ActionKind",
    "ActionState",
    "AuditEvent",
    "Authority",
    "BadRecord",
    "DecisionKind",
    "IdentifierRange",
    "Listing",
    "Match",
    "Recall",
    "RecallStatus",
    "Target",
]
