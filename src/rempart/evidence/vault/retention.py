"""Retention and hold rules: how long objects are kept and when a hold protects one."""

from __future__ import annotations

from datetime import datetime, timedelta

from rempart.clock import as_utc
from rempart.evidence.vault.crypto import VaultSettings
from rempart.evidence.vault.models import VaultHold

# holds a law-enforcement destruction request (2258B(c)(2)) overrides: they exist for the
# report that law enforcement now asks to destroy. Court orders, 2703(f) requests and DSA
# Art. 18 referrals are other authorities' and keep the object until released.
LE_OVERRIDABLE = frozenset({"USC_2258A_H", "VOLUNTARY_2258A_H5"})


def one_year_after(moment: datetime) -> datetime:
    """The same instant a calendar year later (29 February becomes 28 February)."""
    moment = as_utc(moment)
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def retention_days(conf: VaultSettings, category: str) -> int:
    """Days an unheld object of ``category`` is kept after it was stored."""
    return conf.retention_days.get(category, conf.default_retention_days)


def retain_until(conf: VaultSettings, category: str, created_at: datetime) -> datetime:
    """When retention of an object stored at ``created_at`` ends."""
    return as_utc(created_at) + timedelta(days=retention_days(conf, category))


def is_active(hold: VaultHold, now: datetime) -> bool:
    """Whether ``hold`` protects its object at ``now``: not released and not expired."""
    if hold.released_at is not None:
        return False
    return hold.expires_at is None or as_utc(hold.expires_at) > now
