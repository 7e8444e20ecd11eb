"""DSA Art. 18 referrals: a threat to life or safety, reported to the authorities concerned.

``refer`` resolves the member states concerned (the notices' ``member_state``; else the
item's territories when they name at most ``MAX_TERRITORIES`` states; else the state is
unclear and Art. 18(2) applies: Europol, plus the establishment state's authority when one is
configured), builds one signed export bundle (evidence, custody, proofs, a ``referral.json``
summary), keeps it encrypted in the vault, places a ``DSA_ART18`` hold on every exported
object, marks the case preserved, and records one ``le_referral`` row per recipient
authority. Sending and the authority's acknowledgement are tracked; every step is a ledger
event about ``case:<id>``.

Authorities come from ``Art18Settings`` (environment ``REMPART_ART18_AUTHORITIES`` as JSON,
``REMPART_ART18_ESTABLISHMENT_STATE``); by default France → PHAROS and Europol's EU IRU.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Conflict, Invalid, NotFound
from rempart.evidence.bundle import MEDIA_TYPE, make_bundle
from rempart.evidence.ledger.signing import iso
from rempart.evidence.referral_models import LawEnforcementReferral
from rempart.evidence.vault.models import VaultObject
from rempart.evidence.vault.service import is_csam
from rempart.moderation.models import Case, Item, Notice, NoticeItem

MAX_TERRITORIES = 3  # an item available in more states than this does not say which is concerned
FALLBACK = "EU"

AuthorityKind = Literal["national_lea", "judicial", "europol"]


class Authority(BaseModel):
    """A competent authority and how referrals reach it."""

    name: str = Field(min_length=1, max_length=255)
    kind: AuthorityKind = "national_lea"
    channel: str = Field("", max_length=255, description="where referrals go (portal, address)")
    configured: bool = True
    endpoint: str | None = Field(
        None,
        max_length=2000,
        description="automatic delivery: an https:// URL (POST) or a file:///outbox folder",
    )
    token: SecretStr | None = Field(None, description="bearer token for the endpoint")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        """Only http(s) URLs and file:// folders."""
        if value is None:
            return None
        from rempart.evidence.referral_delivery import check_endpoint

        try:
            return check_endpoint(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None


DEFAULT_AUTHORITIES = {
    "FR": Authority(
        name="PHAROS (Plateforme d'harmonisation, d'analyse, de recoupement et "
        "d'orientation des signalements)",
        channel="https://www.internet-signalement.gouv.fr",
    ),
    FALLBACK: Authority(
        name="Europol (EU Internet Referral Unit)", kind="europol", channel="Europol EU IRU"
    ),
}


class Art18Settings(BaseSettings):
    """Who receives Art. 18 referrals, per member state (``EU``: when the state is unclear)."""

    model_config = SettingsConfigDict(env_prefix="REMPART_ART18_", extra="ignore")

    authorities: dict[str, Authority] = Field(default_factory=lambda: dict(DEFAULT_AUTHORITIES))
    establishment_state: str | None = Field(None, min_length=2, max_length=2)
    delivery_max_attempts: int = Field(10, ge=1, le=1000)
    delivery_base_s: float = Field(60.0, gt=0)
    delivery_max_backoff_s: float = Field(3600.0, gt=0)
    delivery_timeout_s: float = Field(15.0, gt=0)

    def authority(self, state: str) -> Authority:
        """The configured authority of a state, or a placeholder naming its national police."""
        found = self.authorities.get(state) or DEFAULT_AUTHORITIES.get(state)
        if found is not None:
            return found
        return Authority(name=f"national law enforcement of {state}", configured=False)


class ReferralOut(BaseModel):
    """A referral as recorded: to whom, why, what was sent (hashes) and when."""

    model_config = ConfigDict(from_attributes=True)

    referral_id: str
    case_id: int
    trigger: str
    offence_type: str | None
    threat_to_life_or_safety: bool = True
    member_states: list[str]
    state_resolution: str
    recipient_authority: str
    recipient_kind: str
    recipient_state: str | None
    bundle_id: str
    bundle_object_id: int | None
    payload_sha256: str
    bundle_sha256: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    channel: str | None
    acknowledged_at: datetime | None
    acknowledgement: str | None
    endpoint: str | None = None
    delivery_attempts: int = 0
    next_delivery_at: datetime | None = None
    last_delivery_error: str | None = None
    delivery_response: str | None = None

    @field_validator("created_at", "sent_at", "acknowledged_at", "next_delivery_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """SQLite hands back naive UTC times: make them aware."""
        return None if value is None else as_utc(value)


def _states(values: Sequence[str]) -> list[str]:
    """Upper-case two-letter codes, deduplicated and sorted; a clear error otherwise."""
    out = sorted({v.strip().upper() for v in values})
    bad = [v for v in out if len(v) != 2 or not v.isalpha()]
    if bad:
        raise Invalid(f"member states are two-letter codes, not {bad[0]!r}")
    return out


class Referrals:
    """Art. 18 referrals over the shared services (see the module docstring)."""

    def __init__(self, ctx: Rempart, conf: Art18Settings | None = None) -> None:
        self.ctx = ctx
        self.conf = conf or Art18Settings()

    def _facts(self, case_id: int) -> tuple[Case, Item, list[Notice]]:
        with self.ctx.db.session() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFound(f"no case {case_id}")
            item = s.get(Item, case.item_id)
            assert item is not None
            notices = list(
                s.scalars(
                    select(Notice)
                    .where(
                        Notice.id.in_(
                            select(NoticeItem.notice_id).where(NoticeItem.case_id == case_id)
                        )
                    )
                    .order_by(Notice.id)
                )
            )
            s.expunge_all()
        return case, item, notices

    def resolve(
        self, item: Item, notices: Sequence[Notice], given: Sequence[str] | None
    ) -> tuple[list[str], str, list[tuple[str | None, Authority]]]:
        """The states concerned, how they were found, and the (state, authority) recipients."""
        if given:
            states, how = _states(given), "given"
        elif any(n.member_state for n in notices):
            states, how = _states([n.member_state for n in notices if n.member_state]), "notice"
        elif 0 < len({t for t in item.territories if t != FALLBACK}) <= MAX_TERRITORIES:
            states, how = _states([t for t in item.territories if t != FALLBACK]), "territory"
        else:
            states, how = [], "fallback"
        if states:
            return states, how, [(st, self.conf.authority(st)) for st in states]
        recipients: list[tuple[str | None, Authority]] = [(None, self.conf.authority(FALLBACK))]
        est = self.conf.establishment_state
        if est:
            recipients.append((est.upper(), self.conf.authority(est.upper())))
        return states, how, recipients

    def refer(
        self,
        case_id: int,
        *,
        by: str,
        member_states: Sequence[str] | None = None,
        roles: Sequence[str] = ("legal",),
        offence_type: str | None = None,
        own_initiative: bool = False,
        deliver: bool = True,
    ) -> list[ReferralOut]:
        """Refer a threat-to-life case: one signed bundle, one referral per recipient.

        Recipients with an ``endpoint`` get the bundle at once (``deliver``); a failed
        attempt is retried by the periodic job (``referral_delivery.deliver_due``).
        """
        if not by.strip():
            raise Invalid("name who refers the case")
        case, item, notices = self._facts(case_id)
        if any(n.threat_to_life for n in notices):
            trigger = "notice"
        elif case.facts.get("threat_to_life"):
            trigger = "decision"
        elif own_initiative:
            trigger = "own_initiative"
        else:
            raise Conflict(
                f"case {case_id} has no notice or finding of a threat to life or safety; "
                "refer it as own_initiative if a person found one"
            )
        states, how, recipients = self.resolve(item, notices, member_states)
        summary = {
            "article": "Regulation (EU) 2022/2065 Art. 18",
            "threat_to_life_or_safety": True,
            "case_id": case_id,
            "trigger": trigger,
            "offence_type": offence_type,
            "member_states_concerned": states,
            "state_resolution": how,
            "recipients": [
                {"state": st, **a.model_dump(exclude={"configured", "token"})}
                for st, a in recipients
            ],
            "item": {"ref": item.platform_ref, "url": item.url, "territories": item.territories},
            "notices": [
                {
                    "uuid": n.uuid,
                    "received_at": iso(n.received_at),
                    "category": n.category,
                    "explanation": n.explanation,
                    "member_state": n.member_state,
                    "threat_to_life": n.threat_to_life,
                    "notifier_type": n.notifier_type,
                }
                for n in notices
            ],
            "referred_by": by,
            "referred_at": iso(as_utc(self.ctx.clock())),
        }
        extra = {"referral.json": (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode()}
        built = make_bundle(
            self.ctx,
            case_id=case_id,
            actor=by,
            purpose=f"DSA Art. 18 referral of case {case_id}",
            roles=roles,
            extra=extra,
        )
        with self.ctx.db.session() as s:
            cats = s.scalars(
                select(VaultObject.category).where(VaultObject.id.in_(built.object_ids))
            ).all()
        kept = self.ctx.vault.store(
            None,
            built.data,
            category="csam" if any(is_csam(c) for c in cats) else "le_referral",
            actor=by,
            case_id=case_id,
            media_type=MEDIA_TYPE,
            metadata={"bundle_id": built.bundle_id, "kind": "art18_referral"},
        )
        for oid in built.object_ids:
            self.ctx.vault.place_hold(oid, "DSA_ART18", f"Art. 18 referral of case {case_id}", by)
        now = self.ctx.clock()
        out = []
        with self.ctx.db.session() as s:
            row_case = s.get(Case, case_id)
            assert row_case is not None
            row_case.preserve = True
            for st, authority in recipients:
                row = LawEnforcementReferral(
                    referral_id=str(uuid.uuid4()),
                    case_id=case_id,
                    trigger=trigger,
                    offence_type=offence_type,
                    member_states=states,
                    state_resolution=how,
                    recipient_authority=authority.name,
                    recipient_kind=authority.kind,
                    recipient_state=st,
                    bundle_id=built.bundle_id,
                    bundle_object_id=kept.id,
                    payload_sha256=built.manifest_sha256,
                    bundle_sha256=hashlib.sha256(built.data).hexdigest(),
                    created_by=by,
                    created_at=now,
                    endpoint=authority.endpoint,
                )
                s.add(row)
                s.flush()
                self.ctx.ledger.append(
                    s,
                    "referral.created",
                    actor=by,
                    subject=f"case:{case_id}",
                    data={
                        "referral_id": row.referral_id,
                        "trigger": trigger,
                        "member_states": states,
                        "recipient": authority.name,
                        "bundle_id": built.bundle_id,
                        "payload_sha256": built.manifest_sha256,
                    },
                )
                out.append(ReferralOut.model_validate(row))
        if deliver and any(r.endpoint for r in out):
            from rempart.evidence import referral_delivery as rd

            for r in out:
                if r.endpoint:
                    rd.deliver(self.ctx, r.referral_id, conf=self.conf)
            out = [rd.delivered(self.ctx, r.referral_id) for r in out]
        return out

    def _row(self, s: Session, referral_id: str) -> LawEnforcementReferral:
        row = s.scalars(
            select(LawEnforcementReferral)
            .where(LawEnforcementReferral.referral_id == referral_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no referral {referral_id}")
        return row

    def mark_sent(self, referral_id: str, channel: str, by: str) -> ReferralOut:
        """Record that the referral went out, how and by whom (once)."""
        if not channel.strip() or not by.strip():
            raise Invalid("name the channel the referral was sent through, and who sent it")
        with self.ctx.db.session() as s:
            row = self._row(s, referral_id)
            if row.sent_at is not None:
                raise Conflict(f"referral {referral_id} was already sent at {row.sent_at}")
            row.sent_at, row.sent_by, row.channel = self.ctx.clock(), by, channel
            self.ctx.ledger.append(
                s,
                "referral.sent",
                actor=by,
                subject=f"case:{row.case_id}",
                data={"referral_id": referral_id, "channel": channel},
            )
            s.flush()
            return ReferralOut.model_validate(row)

    def acknowledge(self, referral_id: str, ref: str, by: str = "system") -> ReferralOut:
        """Record the authority's acknowledgement (its reference) of a sent referral."""
        if not ref.strip():
            raise Invalid("give the authority's acknowledgement reference")
        with self.ctx.db.session() as s:
            row = self._row(s, referral_id)
            if row.sent_at is None:
                raise Conflict(f"referral {referral_id} has not been sent yet")
            row.acknowledged_at, row.acknowledgement = self.ctx.clock(), ref
            self.ctx.ledger.append(
                s,
                "referral.acknowledged",
                actor=by,
                subject=f"case:{row.case_id}",
                data={"referral_id": referral_id, "acknowledgement": ref},
            )
            s.flush()
            return ReferralOut.model_validate(row)

    def find(self, *, pending_only: bool = False, limit: int = 100) -> list[ReferralOut]:
        """Referrals, oldest first; ``pending_only``: those not sent yet."""
        stmt = select(LawEnforcementReferral).order_by(LawEnforcementReferral.id).limit(limit)
        if pending_only:
            stmt = stmt.where(LawEnforcementReferral.sent_at.is_(None))
        with self.ctx.db.session() as s:
            return [ReferralOut.model_validate(r) for r in s.scalars(stmt)]

    def pending(self) -> list[ReferralOut]:
        """Referrals not sent yet (Art. 18 says promptly: page someone on these)."""
        return self.find(pending_only=True, limit=10_000)
