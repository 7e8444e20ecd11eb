"""The events Rempart sends to the platform, and how an endpoint subscribes to them.

An endpoint lists the events it receives: exact names, ``*`` for all, or a group such as
``notification.*``. Every body is the same envelope (see ``service.envelope``)::

    {"event": "decision.enforce", "idempotency_key": "decision.enforce:42",
     "delivery_id": 7, "created_at": "2026-01-01T00:00:00+00:00", "data": {...}}
"""

from __future__ import annotations

DECISION_ENFORCE = "decision.enforce"  # carry out a decision: remove, restrict, demote content
DECISION_REVERSE = "decision.reverse"  # undo a decision (appeal upheld, order lifted)
STATEMENT_OF_REASONS = "notification.statement_of_reasons"  # to the affected user (Art. 17)
NOTIFIER_DECISION = "notification.notifier_decision"  # to the notifier: the decision (Art. 16(5))
NOTICE_RECEIPT = "notification.notice_receipt"  # to the notifier: notice received (Art. 16(4))
APPEAL_DECISION = "notification.appeal_decision"  # to the complainant: the outcome (Art. 20(5))
ACCOUNT_SUSPEND = "account.suspend"  # suspend an account (Art. 23), for a period or for good
ACCOUNT_WARN = "account.warn"  # warn an account before a suspension (Art. 23(1))
ACCOUNT_RESTORE = "account.restore"  # lift a suspension

EVENTS = (
    DECISION_ENFORCE,
    DECISION_REVERSE,
    STATEMENT_OF_REASONS,
    NOTIFIER_DECISION,
    NOTICE_RECEIPT,
    APPEAL_DECISION,
    ACCOUNT_SUSPEND,
    ACCOUNT_WARN,
    ACCOUNT_RESTORE,
)
ALL = "*"


def check_subscription(pattern: str) -> str:
    """Validate one subscription: a known event, ``*``, or ``<group>.*`` naming a known group."""
    if pattern == ALL or pattern in EVENTS:
        return pattern
    if pattern.endswith(".*") and any(e.startswith(pattern[:-1]) for e in EVENTS):
        return pattern
    groups = sorted({e.split(".", 1)[0] + ".*" for e in EVENTS})
    raise ValueError(
        f"unknown event {pattern!r}; use one of {', '.join(EVENTS)}, a group "
        f"({', '.join(groups)}) or * for all"
    )


def subscribed(patterns: list[str], event: str) -> bool:
    """Whether an endpoint with these subscriptions receives ``event``."""
    return any(
        p in (ALL, event) or (p.endswith(".*") and event.startswith(p[:-1])) for p in patterns
    )
