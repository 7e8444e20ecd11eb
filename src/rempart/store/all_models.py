"""Imports every models module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib

from rempart.store.models import Base

# modules that define tables; each is imported if present
MODEL_MODULES = (
    "rempart.store.models",
    "rempart.moderation.models",
    "rempart.moderation.misuse",  # registers the no-suspension-without-warning guards
    "rempart.moderation.webhooks.models",
    "rempart.policy.models",
    "rempart.compliance.tdb.models",
    "rempart.evidence.ledger.models",
    "rempart.evidence.vault.models",
    "rempart.compliance.ncmec.models",
    "rempart.evidence.referral_models",
)

for _name in MODEL_MODULES:
    importlib.import_module(_name)

__all__ = ["Base"]
