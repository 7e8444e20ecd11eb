"""Measures against misuse (DSA Art. 23): weighted strikes, a warning, time-limited suspensions.

Three kinds of subject are covered: accounts that frequently provide manifestly illegal content
lose the service (23(1)); notifiers and complainants who frequently send manifestly unfounded
notices or complaints lose their processing (23(2)). Each step is decided from the circumstances
23(3) names: (a) the absolute number of misuses in a window, (b) their proportion of everything
the subject provided or sent in that window, (c) gravity, carried by each strike's weight, and
(d) intent where known; and it is recorded with those figures as its reason.

Two rules are enforced rather than advised, by a check on every ``misuse_action`` row written
through the ORM: a suspension needs an earlier warning of the same subject, and it always ends
(at most ``MAX_SUSPENSION_DAYS``). Everything else is configurable (``MisuseThresholds``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, event, func, or_, select, text
from sqlalchemy.orm import Mapper, Session

from rempart.clock import Clock, as_utc
from rempart.config import Settings
from rempart.errors import Conflict, Invalid, NotFound
from rempart.moderation.misuse_schemas import (
    KIND_OF,
    SUBJECT_TYPES,
    SUSPENSION_KINDS,
    MisuseActionOut,
    MisuseRecord,
    StrikeOut,
    SubjectType,
    SuspensionKind,
    check_reason,
    check_ref,
)
from rempart.moderation.models import Account, Appeal, Decision, Item, MisuseAction, Notice, Strike
from rempart.store.db import Database

MAX_SUSPENSION_DAYS = 365  # "for a reasonable period of time": no suspension is open-ended
MAX_WEIGHT = 100.0
LIFT_MARK = "\nLifted at "  # line appended to a suspension's reason when it is ended early
REVOKE_MARK = "\nRevoked at "  # line appended to a strike's reason when it stops counting
# Part 7 of the transparency report: "Suspensions imposed on repeated offenders"
REPORT_KEYS: dict[SuspensionKind, str] = {
    "service": "manifestly_illegal_content",
    "notices": "manifestly_unfounded_notices",
    "complaints": "manifestly_unfounded_complaints",
}
REPORT_INDICATORS: dict[str, str] = {
    "manifestly_illegal_content": (
        "Number of suspensions enacted for the provision of manifestly illegal content"
    ),
    "manifestly_unfounded_notices": (
        "Number of suspensions enacted for the provision of manifestly unfounded notices"
    ),
    "manifestly_unfounded_complaints": (
        "Number of suspensions enacted for the provision of manifestly unfounded complaints"
    ),
}
WHAT = {
    "account": "items of manifestly illegal content",
    "notifier": "manifestly unfounded notices",
    "complainant": "manifestly unfounded complaints",
}
OF_WHAT = {"account": "items provided", "notifier": "notices sent", "complainant": "complaints"}
MEASURE = {
    "service": "Art. 23(1) suspension of the provision of the service",
    "notices": "Art. 23(2) suspension of the processing of notices",
    "complaints": "Art. 23(2) suspension of the processing of complaints",
}


class SubjectThresholds(BaseModel):
    """When one kind of subject is warned and suspended; every figure is recorded with the step.

    A step needs, at the time of assessment: the weight of active strikes at or above the
    threshold, a proportion of misuse over the window at or above ``min_ratio`` (23(3)(b): a
    prolific notifier with a few bad notices is not misusing the system), and for a suspension
    also ``min_count`` misuses in the window (23(3)(a), "frequently") and a valid warning.
    """

    warning_weight: float = Field(gt=0, description="Active strike weight that earns a warning.")
    suspension_weight: float = Field(gt=0, description="Weight that, after a warning, suspends.")
    window_days: int = Field(ge=1, le=3650, description="Window for counts and the ratio.")
    min_count: int = Field(ge=1, description="Misuses in the window needed for a suspension.")
    min_ratio: float = Field(ge=0, le=1, description="Share of misuse in the window needed.")
    suspension_days: list[int] = Field(
        min_length=1, description="Durations of the 1st, 2nd, 3rd... suspension; the last repeats."
    )
    strike_expiry_days: int = Field(ge=1, le=3650, description="Default life of a strike.")
    warning_valid_days: int = Field(
        ge=1, le=3650, description="How long a warning counts as the prior warning."
    )
    escalation_days: int = Field(
        ge=1, le=3650, description="Suspensions this recent make the next one longer."
    )

    @model_validator(mode="after")
    def _coherent(self) -> SubjectThresholds:
        if self.suspension_weight < self.warning_weight:
            raise ValueError("suspension_weight must be at least warning_weight (warn first)")
        for days in self.suspension_days:
            if not 1 <= days <= MAX_SUSPENSION_DAYS:
                raise ValueError(
                    f"suspension_days must each be 1..{MAX_SUSPENSION_DAYS} "
                    "(Art. 23: a reasonable, finite period)"
                )
        if self.suspension_days != sorted(self.suspension_days):
            raise ValueError("suspension_days must not get shorter (they escalate)")
        return self


class AccountThresholds(SubjectThresholds):
    """Accounts (23(1)). Weights are gravity: a caller gives a grave category a heavy strike.

    Defaults: warn at 3, suspend at 6 (with 1-weight strikes: warned at the 3rd, suspended at
    the 6th within half a year); at least 3 in 180 days; no minimum ratio, because manifestly
    illegal content is not excused by a volume of lawful posts (the ratio is still recorded);
    7, 30, then 90 days; strikes and warnings last a year.
    """

    warning_weight: float = 3.0
    suspension_weight: float = 6.0
    window_days: int = 180
    min_count: int = 3
    min_ratio: float = 0.0
    suspension_days: list[int] = Field(default_factory=lambda: [7, 30, 90])
    strike_expiry_days: int = 365
    warning_valid_days: int = 365
    escalation_days: int = 365


class NotifierThresholds(SubjectThresholds):
    """Notifiers (23(2)). Defaults: warn at 5, suspend at 10 unfounded notices in 90 days, and
    only when at least half of their notices in that window were manifestly unfounded; 7, 30,
    then 90 days; strikes and warnings last 180 days (notice volumes turn over fast)."""

    warning_weight: float = 5.0
    suspension_weight: float = 10.0
    window_days: int = 90
    min_count: int = 10
    min_ratio: float = 0.5
    suspension_days: list[int] = Field(default_factory=lambda: [7, 30, 90])
    strike_expiry_days: int = 180
    warning_valid_days: int = 180
    escalation_days: int = 365


class ComplainantThresholds(SubjectThresholds):
    """Complainants (23(2)). Defaults: warn at 3, suspend at 6 manifestly unfounded complaints
    in 90 days when at least half of their complaints were; 7, 30, then 90 days; 180-day
    strikes. Lower than for notifiers because a person files far fewer complaints."""

    warning_weight: float = 3.0
    suspension_weight: float = 6.0
    window_days: int = 90
    min_count: int = 5
    min_ratio: float = 0.5
    suspension_days: list[int] = Field(default_factory=lambda: [7, 30, 90])
    strike_expiry_days: int = 180
    warning_valid_days: int = 180
    escalation_days: int = 365


class MisuseThresholds(BaseSettings):
    """Art. 23 thresholds per subject type, from ``REMPART_MISUSE_<TYPE>__<FIELD>`` variables.

    e.g. ``REMPART_MISUSE_NOTIFIER__MIN_RATIO=0.3`` or
    ``REMPART_MISUSE_ACCOUNT__SUSPENSION_DAYS='[3, 14, 60]'``. Publish them in the terms and
    conditions (23(4)): they are the "facts and circumstances" and the durations applied.
    """

    model_config = SettingsConfigDict(
        env_prefix="REMPART_MISUSE_", env_nested_delimiter="__", extra="ignore"
    )

    account: AccountThresholds = Field(default_factory=AccountThresholds)
    notifier: NotifierThresholds = Field(default_factory=NotifierThresholds)
    complainant: ComplainantThresholds = Field(default_factory=ComplainantThresholds)

    def of(self, subject_type: str) -> SubjectThresholds:
        """The thresholds for one subject type."""
        return {
            "account": self.account,
            "notifier": self.notifier,
            "complainant": self.complainant,
        }[check_subject(subject_type)]


class WebhookEmitter(Protocol):
    """What this module needs of ``WebhookService``: an outbox insert in the caller's session."""

    def emit(self, session: Session, event: str, key: str, payload: dict[str, Any]) -> list[int]:
        """Queue ``event`` for every subscribed endpoint; idempotent by ``key``."""
        ...


def check_subject(subject_type: str) -> SubjectType:
    """A known subject type, or a clear error."""
    for known in SUBJECT_TYPES:
        if subject_type == known:
            return known
    raise Invalid(f"unknown subject type {subject_type!r}; use one of {', '.join(SUBJECT_TYPES)}")


def check_kind(kind: str) -> SuspensionKind:
    """A known suspension kind, or a clear error."""
    for known in SUSPENSION_KINDS:
        if kind == known:
            return known
    raise Invalid(f"unknown suspension kind {kind!r}; use one of {', '.join(SUSPENSION_KINDS)}")


def subject_key(subject_type: SubjectType, ref: str) -> str:
    """The stored form of a reference: trimmed; a notifier's lower-cased (an e-mail address),
    so "Ann@X.eu" and "ann@x.eu" are one notifier for strikes and for ``is_suspended``."""
    key = _valid(check_ref, ref)
    return key.lower() if subject_type == "notifier" else key


def _valid(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _line(text: str, limit: int = 200) -> str:
    """User text squeezed onto one line, so it cannot forge a recorded line (lift, revoke)."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ts(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="seconds")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@event.listens_for(MisuseAction, "before_insert")
def _guard_insert(_mapper: Mapper[Any], connection: Connection, target: MisuseAction) -> None:
    """Refuse, for any writer, a suspension without an earlier warning or without an end."""
    _check_action(target)
    if target.action != "suspension":
        return
    warned = connection.execute(
        select(MisuseAction.id)
        .where(
            MisuseAction.subject_type == target.subject_type,
            MisuseAction.subject_ref == target.subject_ref,
            MisuseAction.action == "warning",
            MisuseAction.created_at < target.starts_at,
        )
        .limit(1)
    ).first()
    if warned is None:
        raise Conflict(
            f"no suspension of {target.subject_type} {target.subject_ref!r} without a prior "
            "warning (Art. 23(1)-(2))",
            code="warning_required",
        )


@event.listens_for(MisuseAction, "before_update")
def _guard_update(_mapper: Mapper[Any], _connection: Connection, target: MisuseAction) -> None:
    """A suspension stays finite and of its subject's kind when it is edited (e.g. lifted)."""
    _check_action(target)


def _check_action(row: MisuseAction) -> None:
    if row.action == "warning":
        if row.suspension_type is not None or row.ends_at is not None:
            raise Invalid("a warning has no suspension type and no end")
        return
    if row.action != "suspension":
        raise Invalid(f"unknown misuse action {row.action!r}; use warning or suspension")
    if row.suspension_type != KIND_OF.get(row.subject_type):
        raise Invalid(
            f"a {row.subject_type} is suspended with kind {KIND_OF.get(row.subject_type)!r}, "
            f"not {row.suspension_type!r}"
        )
    if row.ends_at is None or row.starts_at is None:
        raise Invalid("a suspension must have a start and an end (Art. 23: a reasonable period)")
    length = as_utc(row.ends_at) - as_utc(row.starts_at)
    if length < timedelta(0) or length > timedelta(days=MAX_SUSPENSION_DAYS):
        raise Invalid(f"a suspension lasts between 0 and {MAX_SUSPENSION_DAYS} days")


class MisuseService:
    """Strikes, warnings and time-limited suspensions of accounts, notifiers and complainants."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        thresholds: MisuseThresholds | None = None,
        webhooks: WebhookEmitter | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.thresholds = thresholds or MisuseThresholds()
        self.webhooks = webhooks

    # --- strikes -------------------------------------------------------------------------

    def add_strike(
        self,
        session: Session,
        *,
        subject_type: str,
        subject_ref: str,
        weight: float,
        reason: str,
        decision_id: int | None = None,
        expires_days: int | None = None,
    ) -> StrikeOut:
        """Record a strike in the caller's session (a decision with a strike, or a notice or
        complaint found manifestly unfounded); call ``assess`` afterwards to take the next step.
        """
        st = check_subject(subject_type)
        ref = subject_key(st, subject_ref)
        text = _valid(check_reason, reason)
        if not 0 < weight <= MAX_WEIGHT:
            raise Invalid(f"strike weight must be above 0 and at most {MAX_WEIGHT:g}")
        if expires_days is not None and not 1 <= expires_days <= 3650:
            raise Invalid("expires_days must be between 1 and 3650")
        if decision_id is not None and session.get(Decision, decision_id) is None:
            raise NotFound(f"no decision with id {decision_id}")
        now = self.clock()
        days = expires_days or self.thresholds.of(st).strike_expiry_days
        row = Strike(
            subject_type=st,
            subject_ref=ref,
            weight=float(weight),
            reason=text,
            decision_id=decision_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        session.add(row)
        session.flush()
        return _strike_out(row, now)

    def revoke_strike(self, strike_id: int, by: str, reason: str) -> StrikeOut:
        """Stop a strike counting (e.g. an appeal reversed the decision that gave it)."""
        text = _line(_valid(check_reason, reason), 1000)
        with self.db.session() as s:
            row = s.get(Strike, strike_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no strike with id {strike_id}")
            if row.revoked_at is not None:
                raise Conflict(f"strike {strike_id} was already revoked on {_ts(row.revoked_at)}")
            now = self.clock()
            row.revoked_at = now
            row.reason = f"{row.reason}{REVOKE_MARK}{_ts(now)} by {_line(by, 255)}: {text}"
            return _strike_out(row, now)

    def active_weight(
        self,
        subject_type: str,
        ref: str,
        at: datetime | None = None,
        *,
        session: Session | None = None,
    ) -> float:
        """Sum of the weights of the subject's unexpired, unrevoked strikes at ``at`` (now)."""
        st = check_subject(subject_type)
        ref = subject_key(st, ref)
        when = as_utc(at) if at else self.clock()
        if session is not None:
            return sum(s.weight for s in _active_strikes(session, st, ref, when))
        with self.db.session() as s:
            return sum(r.weight for r in _active_strikes(s, st, ref, when))

    # --- the decision ----------------------------------------------------------------------

    def assess(
        self,
        session: Session,
        subject_type: str,
        ref: str,
        *,
        total_count: int | None = None,
        by: str = "rule:misuse",
        intent: str | None = None,
    ) -> MisuseActionOut | None:
        """Take the next Art. 23 step for a subject, if one is due: a warning, or (only after an
        earlier, still valid warning) a time-limited suspension of the subject's kind.

        ``total_count`` is everything the subject provided or sent in the window (23(3)(b));
        without it Rempart counts its own records: the account's items, the notices whose
        notifier e-mail or submitting key is ``ref``, the complaints by ``ref``. Every step
        needs a strike newer than the previous step (for a suspension: than its end), so
        re-assessing the same facts never repeats or escalates one.
        """
        st = check_subject(subject_type)
        ref = subject_key(st, ref)
        if total_count is not None and total_count < 0:
            raise Invalid("total_count cannot be negative")
        _lock_subject(session, st, ref)
        now = self.clock()
        t = self.thresholds.of(st)
        kind = KIND_OF[st]
        strikes = _active_strikes(session, st, ref, now)
        weight = sum(s.weight for s in strikes)
        since = now - timedelta(days=t.window_days)
        count = sum(1 for s in strikes if as_utc(s.created_at) >= since)
        known = total_count if total_count is not None else _total(session, st, ref, since)
        total = max(known, count)
        ratio = count / total if total else 0.0
        actions = _actions(session, st, ref)
        if any(_in_force(a, now) for a in actions):
            return None
        if actions and not any(_after(s, actions[-1]) for s in strikes):
            return None
        if not strikes or ratio < t.min_ratio:
            return None
        facts = _Facts(st, t, weight, count, total, ratio, since, strikes, intent)
        warning = _valid_warning(actions, now, t.warning_valid_days)
        if warning is None:
            if weight < t.warning_weight:
                return None
            return self._warn(session, st, ref, facts, by, now)
        if weight < t.suspension_weight or count < t.min_count:
            return None
        earlier = [
            a
            for a in actions
            if a.action == "suspension"
            and a.suspension_type == kind
            and LIFT_MARK not in a.reason
            and as_utc(a.created_at) >= now - timedelta(days=t.escalation_days)
        ]
        days = t.suspension_days[min(len(earlier), len(t.suspension_days) - 1)]
        return self._suspend(session, st, ref, facts, warning, len(earlier) + 1, days, by, now)

    def _warn(
        self, session: Session, st: SubjectType, ref: str, f: _Facts, by: str, now: datetime
    ) -> MisuseActionOut:
        text = (
            f"Art. 23 warning: further {WHAT[st]} will lead to a suspension "
            f"({MEASURE[KIND_OF[st]]}) of {f.t.suspension_days[0]} days at first. {f.describe()}"
        )
        row = MisuseAction(
            subject_type=st,
            subject_ref=ref,
            action="warning",
            reason=text,
            strike_weight=f.weight,
            starts_at=now,
            decided_by=_line(by, 255),
            created_at=now,
        )
        session.add(row)
        session.flush()
        out = _action_out(row)
        if st == "account":
            self._emit(session, "account.warn", f"misuse:{row.id}", out)
        return out

    def _suspend(
        self,
        session: Session,
        st: SubjectType,
        ref: str,
        f: _Facts,
        warning: MisuseAction,
        nth: int,
        days: int,
        by: str,
        now: datetime,
    ) -> MisuseActionOut:
        kind = KIND_OF[st]
        durations = "/".join(str(d) for d in f.t.suspension_days)
        text = (
            f"{MEASURE[kind]} for {days} days, until {_ts(now + timedelta(days=days))} "
            f"({_ordinal(nth)} suspension; durations {durations} days). {f.describe()} "
            f"Prior warning #{warning.id} of {_ts(warning.created_at)}."
        )
        row = MisuseAction(
            subject_type=st,
            subject_ref=ref,
            action="suspension",
            suspension_type=kind,
            reason=text,
            strike_weight=f.weight,
            starts_at=now,
            ends_at=now + timedelta(days=days),
            decided_by=_line(by, 255),
            created_at=now,
        )
        session.add(row)
        session.flush()
        out = _action_out(row)
        if st == "account":
            account = session.scalar(select(Account).where(Account.platform_ref == ref))
            if account is not None and account.status != "terminated":
                account.status = "suspended"
                account.suspended_until = row.ends_at
            self._emit(session, "account.suspend", f"misuse:{row.id}", out)
        return out

    def _emit(self, session: Session, event_name: str, key: str, out: MisuseActionOut) -> None:
        if self.webhooks is None:
            return
        payload = {"account": out.subject_ref, **out.model_dump(mode="json", exclude={"lifted"})}
        self.webhooks.emit(session, event_name, key, payload)

    # --- reading -------------------------------------------------------------------------

    def is_suspended(
        self,
        subject_type: str,
        ref: str,
        kind: str,
        at: datetime | None = None,
        *,
        session: Session | None = None,
    ) -> MisuseActionOut | None:
        """The suspension of ``kind`` in force for the subject at ``at`` (now), else ``None``.

        The lead refuses notices from a notifier suspended for ``notices`` and complaints from
        a complainant suspended for ``complaints`` with it.
        """
        st = check_subject(subject_type)
        k = check_kind(kind)
        ref = subject_key(st, ref)
        when = as_utc(at) if at else self.clock()
        if session is not None:
            return _current(session, st, ref, k, when)
        with self.db.session() as s:
            return _current(s, st, ref, k, when)

    def history(self, subject_type: str, ref: str) -> MisuseRecord:
        """A subject's weight now, every strike and step (oldest first), the suspension in force."""
        st = check_subject(subject_type)
        ref = subject_key(st, ref)
        now = self.clock()
        with self.db.session() as s:
            strikes = s.scalars(
                select(Strike)
                .where(Strike.subject_type == st, Strike.subject_ref == ref)
                .order_by(Strike.created_at, Strike.id)
            ).all()
            outs = [_strike_out(r, now) for r in strikes]
            actions = [_action_out(a) for a in _actions(s, st, ref)]
            return MisuseRecord(
                subject_type=st,
                subject_ref=ref,
                weight=sum(o.weight for o in outs if o.active),
                strikes=outs,
                actions=actions,
                current_suspension=_current(s, st, ref, KIND_OF[st], now),
            )

    def suspension_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Suspensions that started in [start, end), by kind, for Part 7 of the transparency
        report (manifestly illegal content / unfounded notices / unfounded complaints).

        A suspension later lifted still counts: it was enacted.
        """
        if as_utc(end) <= as_utc(start):
            raise Invalid("the period must end after it starts")
        out = dict.fromkeys(REPORT_KEYS.values(), 0)
        with self.db.session() as s:
            rows = s.execute(
                select(MisuseAction.suspension_type, func.count(MisuseAction.id))
                .where(
                    MisuseAction.action == "suspension",
                    MisuseAction.starts_at >= start,
                    MisuseAction.starts_at < end,
                )
                .group_by(MisuseAction.suspension_type)
            ).all()
        for kind, n in rows:
            if kind in REPORT_KEYS:
                out[REPORT_KEYS[kind]] = int(n)
        return out

    # --- changing steps ------------------------------------------------------------------

    def lift(self, action_id: int, by: str, reason: str) -> MisuseActionOut:
        """End a suspension in force now, recording who, why and when it was due to end."""
        text = _line(_valid(check_reason, reason), 1000)
        with self.db.session() as s:
            row = s.get(MisuseAction, action_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no misuse action with id {action_id}")
            now = self.clock()
            if row.action != "suspension":
                raise Conflict(f"misuse action {action_id} is a warning; only suspensions lift")
            if not _in_force(row, now):
                raise Conflict(f"suspension {action_id} is not in force (ended or lifted)")
            planned = row.ends_at
            row.ends_at = now
            row.reason = (
                f"{row.reason}{LIFT_MARK}{_ts(now)} by {_line(by, 255)} "
                f"(was to end {_ts(planned) if planned else '-'}): {text}"
            )
            s.flush()
            out = _action_out(row)
            if row.subject_type == "account":
                self._restore(s, row, now)
            return out

    def release_due(self, at: datetime | None = None) -> list[str]:
        """Mark active again the accounts whose suspension has ended; returns their refs.

        ``is_suspended`` never depends on this; it keeps ``Account.status`` and the platform
        (``account.restore``) in step. Run it from a worker or ``rempart misuse release``.
        """
        now = as_utc(at) if at else self.clock()
        done = []
        with self.db.session() as s:
            due = s.scalars(
                select(Account).where(
                    Account.status == "suspended",
                    Account.suspended_until.is_not(None),
                    Account.suspended_until <= now,
                )
            ).all()
            for account in due:
                last = s.scalar(
                    select(MisuseAction)
                    .where(
                        MisuseAction.subject_type == "account",
                        MisuseAction.subject_ref == account.platform_ref,
                        MisuseAction.action == "suspension",
                    )
                    .order_by(MisuseAction.created_at.desc(), MisuseAction.id.desc())
                    .limit(1)
                )
                if last is None:
                    continue  # suspended by something other than Art. 23: not ours to lift
                if self._restore(s, last, now):
                    done.append(account.platform_ref)
        return done

    def _restore(self, session: Session, ended: MisuseAction, now: datetime) -> bool:
        if _current(session, "account", ended.subject_ref, "service", now) is not None:
            return False
        account = session.scalar(select(Account).where(Account.platform_ref == ended.subject_ref))
        if account is not None and account.status == "suspended":
            account.status = "active"
            account.suspended_until = None
        self._emit(session, "account.restore", f"misuse:{ended.id}", _action_out(ended))
        return True

    def link_decision(self, session: Session, action_id: int, decision_id: int) -> None:
        """Tie a step to the Art. 17 decision (statement of reasons) that communicates it."""
        row = session.get(MisuseAction, action_id)
        if row is None:
            raise NotFound(f"no misuse action with id {action_id}")
        if session.get(Decision, decision_id) is None:
            raise NotFound(f"no decision with id {decision_id}")
        row.decision_id = decision_id


class _Facts:
    """The 23(3) circumstances of one assessment, written into the step's reason."""

    def __init__(
        self,
        st: SubjectType,
        t: SubjectThresholds,
        weight: float,
        count: int,
        total: int,
        ratio: float,
        since: datetime,
        strikes: list[Strike],
        intent: str | None,
    ) -> None:
        self.st = st
        self.t = t
        self.weight = weight
        self.count = count
        self.total = total
        self.ratio = ratio
        self.since = since
        self.strikes = strikes
        self.intent = intent

    def describe(self) -> str:
        """Weights, counts, ratio, window, gravity and intent, in one paragraph."""
        t = self.t
        heaviest = max(self.strikes, key=lambda s: (s.weight, s.id))
        first_line = heaviest.reason.split("\n", 1)[0]
        return (
            f"Weight of active strikes {self.weight:g} (warning at {t.warning_weight:g}, "
            f"suspension at {t.suspension_weight:g}). "
            f"Count (23(3)(a)): {self.count} {WHAT[self.st]} in the {t.window_days} days since "
            f"{_ts(self.since)} (minimum {t.min_count}). "
            f"Proportion (23(3)(b)): {self.count} of {self.total} {OF_WHAT[self.st]}, "
            f"ratio {self.ratio:.3f} (minimum {t.min_ratio:.3f}). "
            f"Gravity (23(3)(c)): {len(self.strikes)} active strikes, heaviest {heaviest.weight:g} "
            f"(strike #{heaviest.id}: {_line(first_line)}). "
            f"Intent (23(3)(d)): {_line(self.intent) if self.intent else 'not assessed'}."
        )


def _lock_subject(session: Session, st: str, ref: str) -> None:
    """Serialise assessments of one subject until the transaction ends, so two strikes
    arriving at once cannot both warn or both suspend. SQLite already has a single writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"misuse:{st}:{ref}"}
        )


def _active_strikes(session: Session, st: str, ref: str, at: datetime) -> list[Strike]:
    return list(
        session.scalars(
            select(Strike)
            .where(
                Strike.subject_type == st,
                Strike.subject_ref == ref,
                Strike.revoked_at.is_(None),
                Strike.expires_at > at,
                Strike.created_at <= at,
            )
            .order_by(Strike.created_at, Strike.id)
        ).all()
    )


def _actions(session: Session, st: str, ref: str) -> list[MisuseAction]:
    return list(
        session.scalars(
            select(MisuseAction)
            .where(MisuseAction.subject_type == st, MisuseAction.subject_ref == ref)
            .order_by(MisuseAction.created_at, MisuseAction.id)
        ).all()
    )


def _in_force(row: MisuseAction, at: datetime) -> bool:
    return (
        row.action == "suspension"
        and row.ends_at is not None
        and as_utc(row.starts_at) <= at < as_utc(row.ends_at)
    )


def _after(strike: Strike, step: MisuseAction) -> bool:
    """Whether a strike is new misuse since a step: after a warning, or once a suspension ended.

    Misuse during a suspension adds weight but does not by itself call for the next step.
    """
    made = as_utc(strike.created_at)
    if step.action == "suspension" and step.ends_at is not None:
        return made >= as_utc(step.ends_at)
    return made > as_utc(step.created_at)


def _valid_warning(actions: list[MisuseAction], now: datetime, days: int) -> MisuseAction | None:
    oldest = now - timedelta(days=days)
    for row in reversed(actions):
        if row.action == "warning" and oldest <= as_utc(row.created_at) < now:
            return row
    return None


def _current(
    session: Session, st: str, ref: str, kind: str, at: datetime
) -> MisuseActionOut | None:
    row = session.scalar(
        select(MisuseAction)
        .where(
            MisuseAction.subject_type == st,
            MisuseAction.subject_ref == ref,
            MisuseAction.action == "suspension",
            MisuseAction.suspension_type == kind,
            MisuseAction.starts_at <= at,
            MisuseAction.ends_at > at,
        )
        .order_by(MisuseAction.ends_at.desc())
        .limit(1)
    )
    return _action_out(row) if row is not None else None


def _total(session: Session, st: str, ref: str, since: datetime) -> int:
    """What the subject provided or sent in the window, as far as Rempart's records know."""
    if st == "account":
        query = (
            select(func.count(Item.id))
            .join(Account, Item.account_id == Account.id)
            .where(Account.platform_ref == ref, Item.created_at >= since)
        )
    elif st == "notifier":
        query = select(func.count(Notice.id)).where(
            or_(func.lower(Notice.notifier_email) == ref, func.lower(Notice.submitted_by) == ref),
            Notice.received_at >= since,
        )
    else:
        query = select(func.count(Appeal.id)).where(
            Appeal.complainant_ref == ref, Appeal.submitted_at >= since
        )
    return int(session.scalar(query) or 0)


def _strike_out(row: Strike, now: datetime) -> StrikeOut:
    expires = as_utc(row.expires_at)
    return StrikeOut(
        id=row.id,
        subject_type=row.subject_type,
        subject_ref=row.subject_ref,
        weight=row.weight,
        reason=row.reason,
        decision_id=row.decision_id,
        created_at=as_utc(row.created_at),
        expires_at=expires,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        active=row.revoked_at is None and expires > now,
    )


def _action_out(row: MisuseAction) -> MisuseActionOut:
    return MisuseActionOut.model_validate(
        {
            "id": row.id,
            "subject_type": row.subject_type,
            "subject_ref": row.subject_ref,
            "action": row.action,
            "suspension_type": row.suspension_type,
            "reason": row.reason,
            "strike_weight": row.strike_weight,
            "starts_at": as_utc(row.starts_at),
            "ends_at": as_utc(row.ends_at) if row.ends_at else None,
            "decided_by": row.decided_by,
            "decision_id": row.decision_id,
            "created_at": as_utc(row.created_at),
            "lifted": LIFT_MARK in row.reason,
        }
    )
