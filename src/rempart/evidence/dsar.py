"""Personal data that is not evidence: data-subject access exports and a retention schedule.

``subject_export`` answers a GDPR Art. 15 access request by an account: its items, the
decisions about it with their statements of reasons, the notices about its items, its appeals,
strikes and suspensions. Notifiers' names and e-mails are redacted everywhere (also inside the
notice text and the decision's ``source_identity``), as are the notifiers' and other
complainants' own texts; internal notes, staff names and detection signals are left out.
Given the e-mail addresses the person used as a notifier (``emails``, which the platform
verified), it also returns the notices they sent (``notices_sent``: their own text, with the
identities of the reported accounts and of any other notifier redacted), the appeals they filed
as a notifier, and their strikes and misuse actions as notifier or complainant.

``purge_personal_data`` blanks notifiers' names and e-mails on notices decided longer ago than
``REMPART_PERSONAL_DATA_RETENTION_DAYS`` (default 365), and the complainant reference on
appeals decided that long ago, never on anything linked to a preserved case or to a case with
evidence under an active vault hold. It also pseudonymises the notifier and complainant refs of
strikes and misuse actions that ended before the cutoff (expired or revoked strikes, warnings,
ended suspensions): the ref becomes ``pseudonym:<hash>``, an HMAC with a key drawn for that run
and never stored, so one person's records still group together but nobody can recompute who.
Both are ledger events.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Invalid, NotFound
from rempart.evidence.vault.models import VaultHold, VaultObject
from rempart.evidence.vault.retention import is_active
from rempart.moderation.misuse import MisuseThresholds
from rempart.moderation.models import (
    Account,
    Appeal,
    Case,
    Decision,
    Item,
    MisuseAction,
    Notice,
    NoticeItem,
    Strike,
)

REDACTED = "[redacted]"
PSEUDONYM = "pseudonym:"

SOR_FIELDS = (
    "uuid", "status", "action", "created_at", "application_date", "decision_visibility",
    "decision_visibility_other", "decision_monetary", "decision_monetary_other",
    "decision_provision", "decision_account", "end_date_visibility_restriction",
    "end_date_monetary_restriction", "end_date_service_restriction",
    "end_date_account_restriction", "territorial_scope", "decision_facts", "source_type",
    "content_types", "content_type_other", "content_language", "content_date",
    "automated_detection", "automated_decision", "decision_ground",
    "decision_ground_reference_url", "illegal_content_legal_ground",
    "illegal_content_explanation", "incompatible_content_ground",
    "incompatible_content_explanation", "incompatible_content_illegal", "category",
    "category_addition", "category_specification", "category_specification_other",
    "decided_by_person", "user_notified_at",
)  # fmt: skip


class PersonalDataSettings(BaseSettings):
    """How long notifiers' and complainants' identities are kept once their matter is decided."""

    model_config = SettingsConfigDict(env_prefix="REMPART_PERSONAL_DATA_", extra="ignore")

    retention_days: int = Field(365, ge=1, le=3650)


def _plain(value: Any) -> Any:
    """JSON-ready form of a column value."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _scrub(text: str | None, secrets: set[str]) -> str | None:
    """``text`` with every notifier name or e-mail replaced by the redaction mark."""
    if not text:
        return text
    for s in sorted(secrets, key=len, reverse=True):
        text = text.replace(s, REDACTED)
    return text


def _protected_cases(s: Session, case_ids: set[int], now: datetime) -> set[int]:
    """Those of ``case_ids`` preserved, or with a vault object under an active hold."""
    if not case_ids:
        return set()
    out = set(s.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.preserve.is_(True))))
    rows = s.execute(
        select(VaultObject.case_id, VaultHold)
        .join(VaultHold, VaultHold.object_id == VaultObject.id)
        .where(VaultObject.case_id.in_(case_ids), VaultHold.released_at.is_(None))
    )
    out.update(cid for cid, hold in rows if cid is not None and is_active(hold, now))
    return out


class PersonalData:
    """Data-subject exports and the retention schedule for non-evidence personal data."""

    def __init__(self, ctx: Rempart, conf: PersonalDataSettings | None = None) -> None:
        self.ctx = ctx
        self.conf = conf or PersonalDataSettings()

    def subject_export(
        self, account_ref: str, *, by: str = "system", emails: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Everything about ``account_ref`` an access request returns, notifiers redacted.

        ``emails``: the addresses the person used as a notifier (verified by the platform).
        """
        if not account_ref.strip():
            raise Invalid("name the account")
        mine = sorted({e.strip().lower() for e in emails if e.strip()})
        if any("@" not in e or len(e) > 320 for e in mine):
            raise Invalid("emails are the person's e-mail addresses (name@domain)")
        with self.ctx.db.session() as s:
            account = s.scalar(select(Account).where(Account.platform_ref == account_ref))
            if account is None:
                raise NotFound(f"no account {account_ref!r}")
            items = list(s.scalars(select(Item).where(Item.account_id == account.id)))
            item_ids = [i.id for i in items]
            notices = list(
                s.scalars(
                    select(Notice)
                    .where(
                        Notice.id.in_(
                            select(NoticeItem.notice_id).where(NoticeItem.item_id.in_(item_ids))
                        )
                    )
                    .order_by(Notice.id)
                )
            )
            secrets = {v for n in notices for v in (n.notifier_name, n.notifier_email) if v}
            decisions = list(
                s.scalars(
                    select(Decision)
                    .where(or_(Decision.account_id == account.id, Decision.item_id.in_(item_ids)))
                    .order_by(Decision.id)
                )
            )
            appeals = list(
                s.scalars(
                    select(Appeal)
                    .where(
                        or_(
                            Appeal.decision_id.in_([d.id for d in decisions]),
                            Appeal.complainant_ref == account_ref,
                            func.lower(Appeal.complainant_ref).in_(mine),
                        )
                    )
                    .order_by(Appeal.id)
                )
            )
            own_refs = {account_ref, *mine}

            def by_you(ref: str) -> bool:
                return ref == account_ref or ref.lower() in mine

            secrets |= {a.complainant_ref for a in appeals if not by_you(a.complainant_ref)}
            sent = self._notices_sent(s, mine) if mine else []
            sent_secrets = self._third_parties(s, sent, mine)
            secrets -= own_refs  # their own name/e-mail is not a third party's
            sent_secrets -= own_refs
            appeal_decisions = {
                d.id: d
                for d in s.scalars(
                    select(Decision).where(Decision.id.in_({a.decision_id for a in appeals}))
                )
            }
            as_account = and_(Strike.subject_type == "account", Strike.subject_ref == account_ref)
            as_other = and_(
                Strike.subject_type.in_(("notifier", "complainant")),
                or_(Strike.subject_ref == account_ref, func.lower(Strike.subject_ref).in_(mine)),
            )
            strikes = list(
                s.scalars(select(Strike).where(or_(as_account, as_other)).order_by(Strike.id))
            )
            m_account = and_(
                MisuseAction.subject_type == "account", MisuseAction.subject_ref == account_ref
            )
            m_other = and_(
                MisuseAction.subject_type.in_(("notifier", "complainant")),
                or_(
                    MisuseAction.subject_ref == account_ref,
                    func.lower(MisuseAction.subject_ref).in_(mine),
                ),
            )
            actions = list(
                s.scalars(
                    select(MisuseAction).where(or_(m_account, m_other)).order_by(MisuseAction.id)
                )
            )
            out: dict[str, Any] = {
                "account": {
                    "ref": account.platform_ref,
                    "account_type": account.account_type,
                    "status": account.status,
                    "suspended_until": _plain(account.suspended_until),
                    "created_at": _plain(account.created_at),
                },
                "items": [
                    {
                        "ref": i.platform_ref,
                        "url": i.url,
                        "status": i.status,
                        "content_types": i.content_types,
                        "territories": i.territories,
                        "content_date": _plain(i.content_date),
                        "created_at": _plain(i.created_at),
                    }
                    for i in items
                ],
                "notices": [
                    {
                        "uuid": n.uuid,
                        "received_at": _plain(n.received_at),
                        "category": n.category,
                        "explanation": _scrub(n.explanation, secrets),
                        "notifier_type": n.notifier_type,
                        "notifier_name": REDACTED if n.notifier_name else None,
                        "notifier_email": REDACTED if n.notifier_email else None,
                        "status": n.status,
                        "decided_at": _plain(n.decided_at),
                    }
                    for n in notices
                ],
                "notices_sent": [
                    {
                        "uuid": n.uuid,
                        "received_at": _plain(n.received_at),
                        "channel": n.channel,
                        "category": n.category,
                        "legal_ground": n.legal_ground,
                        "member_state": n.member_state,
                        "explanation": _scrub(n.explanation, sent_secrets),
                        "notifier_type": n.notifier_type,
                        "notifier_name": n.notifier_name,
                        "notifier_email": n.notifier_email,
                        "items": count,
                        "reported_accounts": REDACTED if count else None,
                        "status": n.status,
                        "decided_at": _plain(n.decided_at),
                        "decision_notified_at": _plain(n.decision_notified_at),
                    }
                    for n, count in sent
                ],
                "decisions": [self._statement(d, secrets) for d in decisions],
                "appeals": [
                    {
                        "decision_uuid": appeal_decisions[a.decision_id].uuid
                        if a.decision_id in appeal_decisions
                        else None,
                        "complainant_role": a.complainant_role,
                        "by_you": by_you(a.complainant_ref),
                        "complaint_type": a.complaint_type,
                        "text": _scrub(a.text, secrets | sent_secrets)
                        if by_you(a.complainant_ref)
                        else None,
                        "submitted_at": _plain(a.submitted_at),
                        "status": a.status,
                        "outcome": a.outcome,
                        "decided_at": _plain(a.decided_at),
                        "reasoned_text": _scrub(a.reasoned_text, secrets | sent_secrets),
                    }
                    for a in appeals
                ],
                "strikes": [
                    {
                        "as": k.subject_type,
                        "weight": k.weight,
                        "reason": _scrub(k.reason, secrets),
                        "created_at": _plain(k.created_at),
                        "expires_at": _plain(k.expires_at),
                        "revoked_at": _plain(k.revoked_at),
                    }
                    for k in strikes
                ],
                "misuse_actions": [
                    {
                        "as": m.subject_type,
                        "action": m.action,
                        "suspension_type": m.suspension_type,
                        "reason": _scrub(m.reason, secrets),
                        "starts_at": _plain(m.starts_at),
                        "ends_at": _plain(m.ends_at),
                    }
                    for m in actions
                ],
            }
            self.ctx.ledger.append(
                s,
                "personal_data.exported",
                actor=by,
                subject=f"account:{account_ref}"[:255],
                data={
                    "items": len(items),
                    "decisions": len(decisions),
                    "notices": len(notices),
                    "appeals": len(appeals),
                    "notices_sent": len(sent),
                    "emails": len(mine),
                },
            )
        return out

    @staticmethod
    def _notices_sent(s: Session, emails: list[str]) -> list[tuple[Notice, int]]:
        """Notices sent from one of ``emails``, each with how many items it named."""
        notices = list(
            s.scalars(
                select(Notice)
                .where(func.lower(Notice.notifier_email).in_(emails))
                .order_by(Notice.id)
            )
        )
        counts = dict(
            s.execute(
                select(NoticeItem.notice_id, func.count())
                .where(NoticeItem.notice_id.in_([n.id for n in notices]))
                .group_by(NoticeItem.notice_id)
            ).all()
        )
        return [(n, int(counts.get(n.id, 0))) for n in notices]

    @staticmethod
    def _third_parties(s: Session, sent: list[tuple[Notice, int]], mine: list[str]) -> set[str]:
        """Identities of others in the person's notices: the reported items' accounts and refs,
        and the notifiers of other notices about the same items."""
        ids = [n.id for n, _ in sent]
        if not ids:
            return set()
        item_ids = set(s.scalars(select(NoticeItem.item_id).where(NoticeItem.notice_id.in_(ids))))
        out: set[str] = set()
        for ref, url, acct in s.execute(
            select(Item.platform_ref, Item.url, Account.platform_ref)
            .outerjoin(Account, Account.id == Item.account_id)
            .where(Item.id.in_(item_ids))
        ):
            out |= {v for v in (ref, url, acct) if v}
        others = s.execute(
            select(Notice.notifier_name, Notice.notifier_email).where(
                Notice.id.in_(select(NoticeItem.notice_id).where(NoticeItem.item_id.in_(item_ids))),
                or_(
                    Notice.notifier_email.is_(None),
                    func.lower(Notice.notifier_email).not_in(mine),
                ),
            )
        )
        for name, email in others:
            out |= {v for v in (name, email) if v}
        return out

    def _statement(self, d: Decision, secrets: set[str]) -> dict[str, Any]:
        """A decision's statement of reasons as the user may see it."""
        out = {f: _plain(getattr(d, f)) for f in SOR_FIELDS}
        out["decision_facts"] = _scrub(d.decision_facts, secrets)
        out["illegal_content_explanation"] = _scrub(d.illegal_content_explanation, secrets)
        out["incompatible_content_explanation"] = _scrub(
            d.incompatible_content_explanation, secrets
        )
        out["source_identity"] = REDACTED if d.source_identity else None
        return out

    @staticmethod
    def _pseudonymise_misuse(
        s: Session, cutoff: datetime, now: datetime
    ) -> tuple[list[int], list[int], int]:
        """Pseudonymise notifier/complainant refs of strikes and actions over before ``cutoff``.

        Strikes still counting (not expired nor revoked) and suspensions still running keep
        their ref: Art. 23 decisions need them. Records tied to a protected case are kept.
        """
        key = random.token_bytes(32)  # this run's key, never stored

        def pseudonym(ref: str) -> str:
            digest = hmac.new(key, ref.lower().encode(), hashlib.sha256).hexdigest()[:24]
            return f"{PSEUDONYM}{digest}"

        kinds = ("notifier", "complainant")
        thresholds = MisuseThresholds()
        valid = max(
            thresholds.notifier.warning_valid_days, thresholds.complainant.warning_valid_days
        )
        warned_before = min(cutoff, now - timedelta(days=valid))  # a warning still counting stays
        not_yet = ~Strike.subject_ref.startswith(PSEUDONYM)
        strikes = list(
            s.scalars(
                select(Strike).where(
                    Strike.subject_type.in_(kinds),
                    not_yet,
                    Strike.created_at < cutoff,
                    or_(Strike.expires_at < cutoff, Strike.revoked_at < cutoff),
                )
            )
        )
        actions = list(
            s.scalars(
                select(MisuseAction).where(
                    MisuseAction.subject_type.in_(kinds),
                    ~MisuseAction.subject_ref.startswith(PSEUDONYM),
                    MisuseAction.starts_at < cutoff,
                    or_(
                        and_(
                            MisuseAction.action == "warning", MisuseAction.starts_at < warned_before
                        ),
                        and_(MisuseAction.ends_at.is_not(None), MisuseAction.ends_at < cutoff),
                    ),
                )
            )
        )
        decisions = {k.decision_id for k in strikes if k.decision_id is not None}
        case_of = dict(
            s.execute(select(Decision.id, Decision.case_id).where(Decision.id.in_(decisions))).all()
        )
        protected = _protected_cases(s, {c for c in case_of.values() if c is not None}, now)
        done_strikes, done_actions, kept = [], [], 0
        for k in strikes:
            if k.decision_id is not None and case_of.get(k.decision_id) in protected:
                kept += 1
                continue
            k.subject_ref = pseudonym(k.subject_ref)
            done_strikes.append(k.id)
        for m in actions:
            m.subject_ref = pseudonym(m.subject_ref)
            done_actions.append(m.id)
        return sorted(done_strikes), sorted(done_actions), kept

    def purge_personal_data(
        self, now: datetime | None = None, *, by: str = "system:retention"
    ) -> dict[str, Any]:
        """Blank old decided notifiers' and complainants' identities (see the module docstring)."""
        now = as_utc(now) if now else self.ctx.clock()
        cutoff = now - timedelta(days=self.conf.retention_days)
        with self.ctx.db.session() as s:
            notices = list(
                s.scalars(
                    select(Notice).where(
                        Notice.status.in_(("decided", "refused")),
                        Notice.decided_at < cutoff,
                        or_(Notice.notifier_name.is_not(None), Notice.notifier_email.is_not(None)),
                    )
                )
            )
            links = s.execute(
                select(NoticeItem.notice_id, NoticeItem.case_id).where(
                    NoticeItem.notice_id.in_([n.id for n in notices])
                )
            ).all()
            appeals = list(
                s.scalars(
                    select(Appeal).where(
                        Appeal.status == "decided",
                        Appeal.decided_at < cutoff,
                        Appeal.complainant_ref != REDACTED,
                    )
                )
            )
            appeal_cases = dict(
                s.execute(
                    select(Decision.id, Decision.case_id).where(
                        Decision.id.in_([a.decision_id for a in appeals])
                    )
                ).all()
            )
            cases = {c for _, c in links if c is not None}
            cases |= {c for c in appeal_cases.values() if c is not None}
            protected = _protected_cases(s, cases, now)
            held = {nid for nid, cid in links if cid in protected}
            purged_notices, purged_appeals, kept = [], [], 0
            for n in notices:
                if n.id in held:
                    kept += 1
                    continue
                n.notifier_name = None
                n.notifier_email = None
                purged_notices.append(n.id)
            for a in appeals:
                if appeal_cases.get(a.decision_id) in protected:
                    kept += 1
                    continue
                a.complainant_ref = REDACTED
                purged_appeals.append(a.id)
            strikes, actions, kept_refs = self._pseudonymise_misuse(s, cutoff, now)
            report = {
                "cutoff": cutoff.isoformat(),
                "notices": sorted(purged_notices),
                "appeals": sorted(purged_appeals),
                "strikes": strikes,
                "misuse_actions": actions,
                "kept_for_preservation": kept + kept_refs,
            }
            self.ctx.ledger.append(
                s, "personal_data.purged", actor=by, subject="personal_data", data=report
            )
        return report
