"""Personal data that is not evidence: data-subject access exports and a retention schedule.

``subject_export`` answers a GDPR Art. 15 access request by an account: its items, the
decisions about it with their statements of reasons, the notices about its items, its appeals,
strikes and suspensions. Notifiers' names and e-mails are redacted everywhere (also inside the
notice text and the decision's ``source_identity``), as are the notifiers' and other
complainants' own texts; internal notes, staff names and detection signals are left out.

``purge_personal_data`` blanks notifiers' names and e-mails on notices decided longer ago than
``REMPART_PERSONAL_DATA_RETENTION_DAYS`` (default 365), and the complainant reference on
appeals decided that long ago, never on anything linked to a preserved case or to a case with
evidence under an active vault hold. Both are ledger events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rempart.clock import as_utc
from rempart.context import Rempart
from rempart.errors import Invalid, NotFound
from rempart.evidence.vault.models import VaultHold, VaultObject
from rempart.evidence.vault.retention import is_active
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

    def subject_export(self, account_ref: str, *, by: str = "system") -> dict[str, Any]:
        """Everything about ``account_ref`` an access request returns, notifiers redacted."""
        if not account_ref.strip():
            raise Invalid("name the account")
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
                        )
                    )
                    .order_by(Appeal.id)
                )
            )
            secrets |= {a.complainant_ref for a in appeals if a.complainant_ref != account_ref}
            strikes = list(
                s.scalars(
                    select(Strike)
                    .where(Strike.subject_type == "account", Strike.subject_ref == account_ref)
                    .order_by(Strike.id)
                )
            )
            actions = list(
                s.scalars(
                    select(MisuseAction)
                    .where(
                        MisuseAction.subject_type == "account",
                        MisuseAction.subject_ref == account_ref,
                    )
                    .order_by(MisuseAction.id)
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
                "decisions": [self._statement(d, secrets) for d in decisions],
                "appeals": [
                    {
                        "decision_uuid": next(
                            (d.uuid for d in decisions if d.id == a.decision_id), None
                        ),
                        "complainant_role": a.complainant_role,
                        "by_you": a.complainant_ref == account_ref,
                        "complaint_type": a.complaint_type,
                        "text": a.text if a.complainant_ref == account_ref else None,
                        "submitted_at": _plain(a.submitted_at),
                        "status": a.status,
                        "outcome": a.outcome,
                        "decided_at": _plain(a.decided_at),
                        "reasoned_text": _scrub(a.reasoned_text, secrets),
                    }
                    for a in appeals
                ],
                "strikes": [
                    {
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
                },
            )
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
            report = {
                "cutoff": cutoff.isoformat(),
                "notices": sorted(purged_notices),
                "appeals": sorted(purged_appeals),
                "kept_for_preservation": kept,
            }
            self.ctx.ledger.append(
                s, "personal_data.purged", actor=by, subject="personal_data", data=report
            )
        return report
