"""Small builders for policies and facts used across the policy tests."""

from __future__ import annotations

import copy
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

from rempart.policy.facts import Facts
from rempart.policy.schemas import Policy

TOS_DECISION: dict[str, Any] = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Terms of service, section 4",
    "incompatible_content_explanation": "The item matches content the terms prohibit.",
    "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "territorial_scope": ["DE", "FR"],
}
QUEUES: dict[str, Any] = {
    "general": {"sla_hours": 72},
    "fast": {"sla_hours": 4},
    "child_safety": {"sla_hours": 24, "restricted_to_role": "child_safety"},
}


def act(**extra: Any) -> dict[str, Any]:
    """An act outcome with a valid ToS decision."""
    decision = {**TOS_DECISION, **extra.pop("decision", {})}
    return {"act": {"decision": decision, **extra}}


def review(queue: str = "general", priority: int = 50, **extra: Any) -> dict[str, Any]:
    """A review outcome."""
    return {"review": {"queue": queue, "priority": priority, **extra}}


def rule(rid: str, when: dict[str, Any], outcome: Any, **extra: Any) -> dict[str, Any]:
    """One rule as the file holds it."""
    return {"id": rid, "when": when, "outcome": outcome, **extra}


def policy_dict(*rules: dict[str, Any], name: str = "test", version: int = 1) -> dict[str, Any]:
    """A whole policy file as data."""
    queues = copy.deepcopy(QUEUES)
    return {
        "name": name,
        "version": version,
        "queues": queues,
        "rules": [copy.deepcopy(r) for r in rules],
    }


def policy(*rules: dict[str, Any], **kw: Any) -> Policy:
    """A validated policy."""
    return Policy.model_validate(policy_dict(*rules, **kw))


def policy_text(*rules: dict[str, Any], **kw: Any) -> str:
    """A policy file as YAML text."""
    text: str = yaml.safe_dump(policy_dict(*rules, **kw), sort_keys=False)
    return text


def match(**fields: Any) -> dict[str, Any]:
    """One bank match fact with sensible defaults."""
    base: dict[str, Any] = {"bank": "BANK", "signal_type": "pdq", "distance": 0, "content_id": 1}
    return base | fields


def facts(**fields: Any) -> Facts:
    """Facts from keyword fields."""
    return Facts.model_validate(fields)


CSAM_NCMEC = match(
    bank="NCMEC_CSAM",
    source="ncmec",
    dsa_category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    specifications=["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
    distance=4,
    content_id=17,
)
