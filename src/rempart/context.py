"""Wires the services together once per process; adapters (API, CLI) take one ``Rempart``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from rempart.access.services import ApiKeyService
from rempart.banks.lookup import LookupService
from rempart.banks.matcher import Matcher
from rempart.banks.services import BankService
from rempart.clock import Clock, utcnow
from rempart.config import MediaLimits, Settings, get_settings
from rempart.scan.service import ScanService
from rempart.store.db import Database

if TYPE_CHECKING:
    from rempart.classify.image.service import ImageClassifiers
    from rempart.classify.text.service import TextClassifier
    from rempart.compliance.ncmec.service import NcmecService
    from rempart.compliance.tdb.service import TdbSubmitter
    from rempart.evidence.ledger.service import Ledger
    from rempart.evidence.vault.service import Vault
    from rempart.genai.service import GenaiService
    from rempart.moderation.appeals import AppealService
    from rempart.moderation.decisions import DecisionService
    from rempart.moderation.misuse import MisuseService
    from rempart.moderation.notices import NoticeService
    from rempart.moderation.queues import QueueService
    from rempart.moderation.service import ModerationService
    from rempart.moderation.webhooks.service import WebhookService
    from rempart.policy.service import PolicyService
    from rempart.signals.provenance.service import ProvenanceService


_CLASSIFIERS: dict[tuple[bool, str], ImageClassifiers] = {}
_CLASSIFIERS_LOCK = threading.Lock()


def shared_classifiers(settings: Settings, limits: MediaLimits) -> ImageClassifiers:
    """One set of image classifiers per process and configuration.

    Their models take seconds to load and hundreds of MB; every context of the process (the
    server's, a worker's, each test's) shares them. They are thread-safe.
    """
    from rempart.classify.image.service import ImageClassifiers

    key = (settings.classifiers_enabled, limits.model_dump_json())
    with _CLASSIFIERS_LOCK:
        if key not in _CLASSIFIERS:
            _CLASSIFIERS[key] = ImageClassifiers(settings, limits)
        return _CLASSIFIERS[key]


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
    clock: Clock = utcnow

    @cached_property
    def webhooks(self) -> WebhookService:
        """Signed enforcement and notification webhooks (outbox, retries, dead letters)."""
        from rempart.moderation.webhooks.service import WebhookService

        return WebhookService(self.db, self.settings, self.clock)

    @cached_property
    def queues(self) -> QueueService:
        """Review queues: severity order, SLA deadlines, leased claims."""
        from rempart.moderation.queues import QueueService

        return QueueService(self.db, self.settings, self.clock)

    @cached_property
    def misuse(self) -> MisuseService:
        """Strikes, warnings and time-limited suspensions (Art. 23)."""
        from rempart.moderation.misuse import MisuseService

        return MisuseService(self.db, self.settings, self.clock, webhooks=self.webhooks)

    @cached_property
    def notices(self) -> NoticeService:
        """Notices, trusted flaggers and authority orders."""
        from rempart.moderation.notices import NoticeService

        return NoticeService(
            self.db,
            self.clock,
            self.queues,
            self.webhooks,
            self.misuse,
            self.policies,
            events=self.ledger,
        )

    @cached_property
    def decisions(self) -> DecisionService:
        """Decisions, carried out through webhooks; statements queued for the TDB."""
        from rempart.compliance.sor import queue_statement
        from rempart.moderation.decisions import DecisionService

        return DecisionService(
            self.db,
            self.clock,
            self.queues,
            self.webhooks,
            self.misuse,
            on_recorded=lambda s, d: queue_statement(self.tdb, s, d),
            events=self.ledger,
        )

    @cached_property
    def appeals(self) -> AppealService:
        """Internal complaints and out-of-court disputes."""
        from rempart.moderation.appeals import AppealService

        return AppealService(
            self.db,
            self.clock,
            self.decisions,
            self.queues,
            self.webhooks,
            self.misuse,
            events=self.ledger,
        )

    @cached_property
    def moderation(self) -> ModerationService:
        """Items, the automated path (scan, policy, act) and case views."""
        from rempart.moderation.intake import Intake
        from rempart.moderation.service import ModerationService

        intake = Intake(
            self.db,
            self.clock,
            self.scanner,
            self.banks,
            self.policies,
            self.decisions,
            self.queues,
            self.misuse,
            events=self.ledger,
            preserve=lambda s, data, case_id, category, media_type: (
                self.vault.store(
                    s,
                    data,
                    category=category,
                    actor="rule:preserve",
                    case_id=case_id,
                    media_type=media_type,
                ).id
            ),
        )
        return ModerationService(self.db, self.clock, intake, self.queues)

    @cached_property
    def policies(self) -> PolicyService:
        """Versioned policies and their evaluation."""
        from rempart.policy.service import PolicyService

        policies = PolicyService(self.db, self.settings, self.clock)
        policies.events = self.ledger
        return policies

    @cached_property
    def ledger(self) -> Ledger:
        """The tamper-evident event log: append, prove, sign tree heads, verify."""
        from rempart.evidence.ledger.service import Ledger

        return Ledger(self.db, self.settings, self.clock)

    @cached_property
    def vault(self) -> Vault:
        """Encrypted evidence, holds, retention and crypto-shredding; every view logged."""
        from rempart.evidence.vault.service import Vault

        return Vault(self.db, self.settings, self.clock, self.ledger)

    @cached_property
    def ncmec(self) -> NcmecService:
        """CyberTipline reports: built, submitted, resumed after a crash, preserved."""
        from rempart.compliance.ncmec.service import NcmecService

        return NcmecService(self.db, self.settings, self.clock, self.ledger, self.vault)

    @cached_property
    def tdb(self) -> TdbSubmitter:
        """Statements of reasons queued for, and sent to, the EU Transparency Database."""
        from rempart.compliance.tdb.service import TdbSubmitter

        return TdbSubmitter(self.db, self.settings, self.clock)

    @cached_property
    def provenance(self) -> ProvenanceService:
        """Provenance reader (C2PA, IPTC/XMP, generator metadata, watermark) and C2PA signer."""
        from rempart.signals.provenance.service import ProvenanceService

        return ProvenanceService(self.settings, self.limits)

    @cached_property
    def classifiers(self) -> ImageClassifiers:
        """The image classifiers, loaded once (their models are read from their packages)."""
        return shared_classifiers(self.settings, self.limits)

    @cached_property
    def text_classifier(self) -> TextClassifier:
        """The text policy's classifier (multilingual embeddings and trained weights)."""
        from rempart.classify.text.service import TextClassifier

        return TextClassifier.default()

    @cached_property
    def genai(self) -> GenaiService:
        """Guardrails for the platform's own generator."""
        from rempart.genai.service import GenaiService

        return GenaiService(self)

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
            clock=clock,
        )
        ctx.banks.events = ctx.keys.events = ctx.ledger  # every change is a ledger event
        ctx.scanner.provenance = ctx.provenance
        ctx.scanner.classifiers = ctx.classifiers
        ctx.scanner.text_classifier = lambda: ctx.text_classifier  # loaded on the first text
        ctx.prepare_moderation()
        if load_index:
            matcher.load()
        return ctx

    def prepare_moderation(self) -> None:
        """Load the operator's (or the shipped) policy and create its and the built-in queues."""
        self.policies.ensure_default()
        self.moderation.sync_queues(dict(self.policies.active().queues))

    def close(self) -> None:
        """Stop background work and release connections."""
        if "webhooks" in self.__dict__:
            self.webhooks.close()
        self.matcher.stop()
        self.db.dispose()
