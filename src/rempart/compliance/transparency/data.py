"""What a transparency report is computed from: plain, database-independent records of one period.

``collect.py`` builds a ``ReportData`` from the database; tests and other tools may build one by
hand. Every record is checked when created (codes belong to the part's template, times are
aware and in order), so the writer never meets a value it cannot place in a template row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rempart.compliance.transparency.templates import MEMBER_STATES, category_structure
from rempart.errors import Invalid

Ground = Literal["law", "terms"]
OrderKind = Literal["act", "info"]
MeasureGround = Literal["illegal", "terms"]
Outcome = Literal["upheld", "partially_reversed", "reversed", "omitted"]
ComplaintType = Literal[
    "restrict_visibility",  # Art. 20(1)(a)
    "suspend_service",  # Art. 20(1)(b)
    "suspend_account",  # Art. 20(1)(c)
    "restrict_monetisation",  # Art. 20(1)(d)
    "no_action_on_notice",  # decision not to act on an Art. 16 notice
    "no_action_on_tf_notice",  # ... on a trusted flagger's notice
]
SuspensionKind = Literal["illegal_content", "unfounded_notices", "unfounded_complaints"]
DetectorKind = Literal["classifier", "bank", "guardrail"]  # guardrail: genai request checks
Review = Literal["confirmed", "overturned"]
FlagScope = Literal["own_initiative", "notice", "trusted_flagger_notice"]

COMPLAINT_TYPES: tuple[ComplaintType, ...] = (
    "restrict_visibility",
    "suspend_service",
    "suspend_account",
    "restrict_monetisation",
    "no_action_on_notice",
    "no_action_on_tf_notice",
)
OUTCOMES: tuple[Outcome, ...] = ("upheld", "partially_reversed", "reversed", "omitted")
VISIBILITY = (
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
)
MONETARY = (
    "DECISION_MONETARY_SUSPENSION",
    "DECISION_MONETARY_TERMINATION",
    "DECISION_MONETARY_OTHER",
)
PROVISION = (
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
)
ACCOUNT = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")

NOTICE_PART = "part_4_notices"
ORDER_PART = "part_3_member_states_orders"
ILLEGAL_PART = "part_5_own_initiative_illegal"
TERMS_PART = "part_6_own_initiative_TC"


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise Invalid(f"{name} must be a timezone-aware datetime, got {value!r}")


def _not_before(name: str, value: datetime | None, start: datetime, start_name: str) -> None:
    _aware(name, value)
    if value is not None and value < start:
        raise Invalid(f"{name} ({value.isoformat()}) is before {start_name} ({start.isoformat()})")


def _category(part: str, what: str, category: str, specification: str | None) -> None:
    tree = category_structure(part)
    if category not in tree:
        raise Invalid(f"{what}: {category!r} is not a category of {part}; one of {sorted(tree)}")
    if specification is None:
        return
    if specification not in tree[category]:
        allowed = ", ".join(tree[category]) or "none"
        raise Invalid(
            f"{what}: {specification!r} is not a sub-category of {category} (allowed: {allowed})"
        )


def _count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"{name} must be a non-negative integer, got {value!r}")


@dataclass(frozen=True)
class NoticeAction:
    """An action taken on the basis of a notice, and when it was implemented.

    ``ground`` says whether the action was based on the law or the terms and conditions
    (Part 4, columns L-O); ``solely_automated`` whether it was decided by automated means alone
    (Part 8 measure counts).
    """

    ground: Ground
    implemented_at: datetime
    solely_automated: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Notice:
    """An Art. 16 notice received in the period (Part 4; Part 8 NAM rows).

    ``specification`` is the notifier's sub-category (``KEYWORD_*``); with ``KEYWORD_OTHER``,
    ``other_description`` names it. ``items`` counts the exact electronic locations named.
    """

    received_at: datetime
    category: str
    specification: str | None = None
    other_description: str | None = None
    items: int = 1
    trusted_flagger: bool = False
    automated: bool = False
    actions: tuple[NoticeAction, ...] = ()
    language: str | None = None

    def __post_init__(self) -> None:
        _aware("notice received_at", self.received_at)
        _category(NOTICE_PART, "notice", self.category, self.specification)
        _count("notice items", self.items)
        for action in self.actions:
            if action.ground not in ("law", "terms"):
                raise Invalid(f"notice action ground must be law or terms, got {action.ground!r}")
            _not_before(
                "notice action implemented_at", action.implemented_at, self.received_at, "receipt"
            )


@dataclass(frozen=True)
class Order:
    """An order from a Member State authority received in the period (Part 3).

    ``kind`` is ``act`` (orders to act against illegal content, Art. 9) or ``info`` (orders to
    provide information, Art. 10). ``automated_receipt`` marks a receipt confirmation sent
    automatically: sent within one hour, Annex II lets it count as zero hours.
    """

    kind: OrderKind
    member_state: str
    category: str
    received_at: datetime
    specification: str | None = None
    other_description: str | None = None
    items: int = 1
    receipt_confirmed_at: datetime | None = None
    effect_given_at: datetime | None = None
    automated_receipt: bool = False
    language: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("act", "info"):
            raise Invalid(f"order kind must be act or info, got {self.kind!r}")
        state = self.member_state.strip().upper()
        state = "EL" if state == "GR" else state
        if state not in MEMBER_STATES:
            raise Invalid(
                f"order member state {self.member_state!r} is not an EU Member State code "
                f"({', '.join(MEMBER_STATES)})"
            )
        object.__setattr__(self, "member_state", state)
        _aware("order received_at", self.received_at)
        _category(ORDER_PART, "order", self.category, self.specification)
        _count("order items", self.items)
        received = self.received_at
        _not_before("order receipt_confirmed_at", self.receipt_confirmed_at, received, "receipt")
        _not_before("order effect_given_at", self.effect_given_at, received, "receipt")


@dataclass(frozen=True)
class Measure:
    """A restriction imposed at the provider's own initiative (Parts 5 and 6, Part 8).

    Own initiative: not preceded by an order or an Art. 16 notice. ``ground`` ``illegal`` goes
    to Part 5, ``terms`` to Part 6. Restrictions use the Transparency Database codes.
    """

    ground: MeasureGround
    category: str
    decided_at: datetime
    specification: str | None = None
    other_description: str | None = None
    visibility: tuple[str, ...] = ()
    monetary: str | None = None
    provision: str | None = None
    account: str | None = None
    solely_automated: bool = False
    language: str | None = None

    def __post_init__(self) -> None:
        if self.ground not in ("illegal", "terms"):
            raise Invalid(f"measure ground must be illegal or terms, got {self.ground!r}")
        _aware("measure decided_at", self.decided_at)
        part = ILLEGAL_PART if self.ground == "illegal" else TERMS_PART
        _category(part, f"{self.ground} measure", self.category, self.specification)
        for code in self.visibility:
            if code not in VISIBILITY:
                raise Invalid(f"unknown visibility restriction {code!r}; one of {VISIBILITY}")
        if len(set(self.visibility)) != len(self.visibility):
            raise Invalid(f"visibility restrictions repeat a code: {self.visibility}")
        for value, allowed in (
            (self.monetary, MONETARY),
            (self.provision, PROVISION),
            (self.account, ACCOUNT),
        ):
            if value is not None and value not in allowed:
                raise Invalid(f"unknown restriction {value!r}; one of {allowed}")


@dataclass(frozen=True)
class Complaint:
    """An internal complaint (Art. 20) submitted in the period, and its outcome if decided.

    ``outcome`` is None while pending; upheld or (partially) reversed outcomes need
    ``decided_at`` (when the decision was notified) for the median time.
    """

    type: ComplaintType
    submitted_at: datetime
    outcome: Outcome | None = None
    decided_at: datetime | None = None
    new_restriction_imposed: bool = False

    def __post_init__(self) -> None:
        if self.type not in COMPLAINT_TYPES:
            raise Invalid(f"unknown complaint type {self.type!r}; one of {COMPLAINT_TYPES}")
        _decided("complaint", self.submitted_at, self.outcome, self.decided_at)


@dataclass(frozen=True)
class Dispute:
    """A dispute submitted to an out-of-court settlement body (Art. 21) in the period."""

    submitted_at: datetime
    outcome: Outcome | None = None
    decided_at: datetime | None = None
    implemented: bool | None = None

    def __post_init__(self) -> None:
        _decided("dispute", self.submitted_at, self.outcome, self.decided_at)


def _decided(
    what: str, submitted_at: datetime, outcome: str | None, decided_at: datetime | None
) -> None:
    _aware(f"{what} submitted_at", submitted_at)
    if outcome is not None and outcome not in OUTCOMES:
        raise Invalid(f"unknown {what} outcome {outcome!r}; one of {OUTCOMES}")
    if outcome is None and decided_at is not None:
        raise Invalid(f"{what} has decided_at but no outcome")
    if outcome not in (None, "omitted") and decided_at is None:
        raise Invalid(f"{what} outcome {outcome!r} needs decided_at")
    _not_before(f"{what} decided_at", decided_at, submitted_at, "submission")


@dataclass(frozen=True)
class Suspension:
    """A suspension under Art. 23 enacted in the period, by what it sanctions."""

    kind: SuspensionKind
    imposed_at: datetime

    def __post_init__(self) -> None:
        if self.kind not in ("illegal_content", "unfounded_notices", "unfounded_complaints"):
            raise Invalid(f"unknown suspension kind {self.kind!r}")
        _aware("suspension imposed_at", self.imposed_at)


@dataclass(frozen=True)
class AutomatedFlag:
    """One positive prediction of a detector (a bank match or a classifier flag).

    ``review`` is what a person later found: ``confirmed`` (a true positive) or ``overturned``
    (a false positive); None when nobody reviewed it (left out of accuracy figures). ``scope``
    says whether the detection was own-initiative or part of processing a notice.
    """

    detector_kind: DetectorKind
    detector: str
    flagged_at: datetime
    review: Review | None = None
    scope: FlagScope = "own_initiative"
    language: str | None = None

    def __post_init__(self) -> None:
        if self.detector_kind not in ("classifier", "bank", "guardrail"):
            raise Invalid(
                f"detector kind must be classifier, bank or guardrail: {self.detector_kind!r}"
            )
        if not self.detector:
            raise Invalid("automated flag needs a detector name")
        if self.review not in (None, "confirmed", "overturned"):
            raise Invalid(f"review must be confirmed, overturned or None, got {self.review!r}")
        if self.scope not in ("own_initiative", "notice", "trusted_flagger_notice"):
            raise Invalid(f"unknown flag scope {self.scope!r}")
        _aware("flagged_at", self.flagged_at)


@dataclass(frozen=True)
class DetectorMisses:
    """What a detector missed, when known: the input recall (and full accuracy) need.

    ``false_negatives``: items a person actioned for the detector's category that the detector
    did not flag. ``true_negatives``: items it did not flag that a person checked and found
    fine (only from a control sample; None when not observed).
    """

    detector_kind: DetectorKind
    detector: str
    false_negatives: int
    true_negatives: int | None = None

    def __post_init__(self) -> None:
        _count("false_negatives", self.false_negatives)
        if self.true_negatives is not None:
            _count("true_negatives", self.true_negatives)


@dataclass(frozen=True)
class OfflineEvaluation:
    """A classifier's measured accuracy on its held-out labelled test set (``make bench``).

    Live flags only show precision over what people reviewed; this is the figure from data
    with known answers (true and false negatives included), per language where measured.
    """

    detector: str
    model_version: str
    precision: float
    recall: float
    f1: float
    positives: int
    negatives: int
    per_language: tuple[tuple[str, float, float, float], ...] = ()  # (lang, P, R, F1)

    def describe(self) -> str:
        """One sentence for the report's Contextual Information cell."""
        langs = "; ".join(
            f"{lang}: P={p:.2f} R={r:.2f} F1={f:.2f}" for lang, p, r, f in self.per_language
        )
        text = (
            f"Offline evaluation of model version {self.model_version} on a held-out labelled "
            f"test set ({self.positives} positive, {self.negatives} negative examples): "
            f"precision {self.precision:.2f}, recall {self.recall:.2f}, F1 {self.f1:.2f}"
        )
        return f"{text} ({langs})" if langs else text


@dataclass(frozen=True)
class ReportData:
    """Every recorded fact a transparency report for one period is computed from."""

    provider_name: str
    service_name: str
    notices: tuple[Notice, ...] = ()
    orders: tuple[Order, ...] = ()
    measures: tuple[Measure, ...] = ()
    complaints: tuple[Complaint, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    flags: tuple[AutomatedFlag, ...] = ()
    misses: tuple[DetectorMisses, ...] = ()
    evaluations: tuple[OfflineEvaluation, ...] = ()

    def __post_init__(self) -> None:
        seen = set()
        for miss in self.misses:
            key = (miss.detector_kind, miss.detector)
            if key in seen:
                raise Invalid(f"detector {key} has two DetectorMisses entries")
            seen.add(key)
