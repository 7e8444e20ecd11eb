"""Wires the services together once per process; adapters (API, CLI) take one ``Rempart``."""

from __future__ import annotations

from dataclasses import dataclass, field

from rempart.access.services import ApiKeyService
from rempart.banks.lookup import LookupService
from rempart.banks.matcher import Matcher
from rempart.banks.services import BankService
from rempart.clock import Clock, utcnow
from rempart.config import MediaLimits, Settings, get_settings
from rempart.scan.service import ScanService
from rempart.store.db import Database


@dataclass
class Rempart:
    """Every service of the matching engine, sharing one database and one set of indexes."""

    settings: Settings
    db: Database
    matcher: Matcher
    banks: BankService
    lookup: LookupService
    scanner: ScanService
    keys: ApiKeyService
    limits: MediaLimits = field(default_factory=MediaLimits)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        clock: Clock = utcnow,
        load_index: bool = True,
        limits: MediaLimits | None = None,
    ) -> Rempart:
        """Connect, migrate, and (unless told not to) load the match indexes."""
        settings = settings or get_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        db.migrate()
        matcher = Matcher(db, settings.index_dir)
        lookup = LookupService(db, matcher, settings, clock)
        limits = limits or MediaLimits()
        ctx = cls(
            settings=settings,
            db=db,
            matcher=matcher,
            banks=BankService(db, clock),
            lookup=lookup,
            scanner=ScanService(lookup, settings, limits),
            keys=ApiKeyService(db, clock),
            limits=limits,
        )
        if load_index:
            matcher.load()
        return ctx

    def close(self) -> None:
        """Stop background work and release connections."""
        self.matcher.stop()
        self.db.dispose()
