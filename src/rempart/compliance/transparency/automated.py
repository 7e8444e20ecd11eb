"""Part 8: measures taken by automated means, and the accuracy of the automated detectors.

How the indicators are computed (the "Contextual Information" cell of each row repeats the
counts and the formula used, as Annex II asks):

* A flag (a bank match or a classifier flag) is a positive prediction. A person's review that
  confirms it makes it a true positive (TP); one that overturns it a false positive (FP);
  unreviewed flags are left out.
* False negatives (FN) are items a person actioned for a detector's category that the detector
  did not flag; true negatives (TN) are only known from a control sample. Both come from
  ``ReportData.misses`` and are used for the "Total number" and "Own-initiative" scopes.
* Accuracy = (TP+TN)/(TP+FP+FN+TN) when TN and FN are known; otherwise TP/(TP+FP), the share of
  reviewed automated flags confirmed (the accuracy of automatically actioned content).
  Precision = TP/(TP+FP). Recall = TP/(TP+FN), blank when FN is unknown.
* Each Accuracy/Precision/Recall row of the template gives the figure over all detectors, then
  one row per detector follows it (Annex II: "separate rows ... per classifier").
* Measures: own-initiative measures, actions on notices, and orders to act given effect (the
  latter never automated); "solely automated" is the decision's own flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rempart.compliance.transparency import figures
from rempart.compliance.transparency.data import AutomatedFlag, DetectorMisses, ReportData
from rempart.compliance.transparency.templates import (
    LANGUAGE_PLACEHOLDERS,
    LANGUAGES,
    applies,
    template,
)

PART = "part_8_automated_means"
ACCURACY = "Accuracy of the automated means - Accuracy"
PRECISION = "Accuracy of the automated means - Precision"
RECALL = "Accuracy of the automated means - Recall"
SOLELY = "Number of measures solely taken by automated means"
NOT_AUTOMATED = "Number of measures not taken by automated means"
NOTICES_SOLELY = "Number of notices solely processed by automated means"
NOTICES_NOT = "Number of notices not processed by automated means"

NO_DETECTION = "No automated detection in this scope in the reporting period"
NO_REVIEW = "No automated flag in this scope was reviewed by a person"
ACC_FULL = "Accuracy = (TP+TN)/(TP+FP+FN+TN)"
ACC_REVIEWED = (
    "Accuracy = TP/(TP+FP): share of automated flags reviewed by a person that were confirmed "
    "(true negatives not observed)"
)
PREC = "Precision = TP/(TP+FP) over automated flags reviewed by a person"
REC = (
    "Recall = TP/(TP+FN); FN = items a person actioned for the detector's category that it did "
    "not flag"
)
REC_UNKNOWN = "Recall not computed: false negatives are unknown"
NO_POSITIVES = "No item of the detector's category was confirmed or actioned by a person"

Detector = tuple[str, str]


@dataclass(frozen=True)
class Confusion:
    """Confusion counts of one detector (or all) in one scope; None where not observed."""

    tp: int
    fp: int
    unreviewed: int
    fn: int | None
    tn: int | None

    def value(self, indicator: str) -> str:
        """The indicator's cell: a share in [0, 1], or blank when undefined."""
        if indicator == ACCURACY:
            if self.fn is not None and self.tn is not None:
                return figures.share(self.tp + self.tn, self.tp + self.fp + self.fn + self.tn)
            return figures.share(self.tp, self.tp + self.fp)
        if indicator == PRECISION:
            return figures.share(self.tp, self.tp + self.fp)
        if self.fn is None:
            return ""
        return figures.share(self.tp, self.tp + self.fn)

    def note(self, label: str, indicator: str) -> str:
        """The Contextual Information cell: what was counted and the formula used."""
        fn = "unknown" if self.fn is None else str(self.fn)
        tn = "not observed" if self.tn is None else str(self.tn)
        counts = f"{label}: TP={self.tp}, FP={self.fp}, FN={fn}, TN={tn}"
        counts += f", unreviewed flags={self.unreviewed}"
        full = self.fn is not None and self.tn is not None
        if indicator == RECALL:
            if self.fn is None:
                formula = REC_UNKNOWN
            elif self.tp + self.fn == 0:
                formula = NO_POSITIVES
            else:
                formula = REC
        elif self.value(indicator) == "":
            formula = NO_REVIEW
        elif indicator == ACCURACY:
            formula = ACC_FULL if full else ACC_REVIEWED
        else:
            formula = PREC
        return f"{counts}. {formula}"


def _confusion(
    flags: Sequence[AutomatedFlag], misses: Sequence[DetectorMisses] | None
) -> Confusion:
    tp = sum(1 for f in flags if f.review == "confirmed")
    fp = sum(1 for f in flags if f.review == "overturned")
    fn = tn = None
    if misses:
        fn = sum(m.false_negatives for m in misses)
        tns = [m.true_negatives for m in misses]
        tn = None if None in tns else sum(t or 0 for t in tns)
    return Confusion(tp, fp, len(flags) - tp - fp, fn, tn)


class _Scope:
    """The flags and known misses of one scope, per detector and over all detectors."""

    def __init__(
        self, flags: Sequence[AutomatedFlag], misses: dict[Detector, DetectorMisses] | None
    ) -> None:
        self.flags = flags
        self.misses = misses
        names: set[Detector] = {(f.detector_kind, f.detector) for f in flags}
        if misses is not None:
            names |= set(misses)
        self.detectors = sorted(names)

    def overall(self) -> Confusion:
        """Counts over every detector of the scope (FN known only if known for each)."""
        known: list[DetectorMisses] | None = None
        if self.misses and self.detectors and all(d in self.misses for d in self.detectors):
            known = [self.misses[d] for d in self.detectors]
        return _confusion(self.flags, known)

    def of(self, detector: Detector) -> Confusion:
        """Counts of one detector."""
        mine = [f for f in self.flags if (f.detector_kind, f.detector) == detector]
        known = self.misses is not None and detector in self.misses
        miss = [self.misses[detector]] if self.misses is not None and known else None
        return _confusion(mine, miss)


def automated_part(data: ReportData, service: str, period: str, tier: str) -> list[list[str]]:
    """Part 8, with per-detector rows and the VLOP per-language rows expanded."""
    tpl = template(PART)
    misses: dict[Detector, DetectorMisses] = {(m.detector_kind, m.detector): m for m in data.misses}
    flags = data.flags
    notice_flags = [f for f in flags if f.scope != "own_initiative"]
    scopes = {
        "Total number": _Scope(flags, misses),
        "Own-initiative": _Scope([f for f in flags if f.scope == "own_initiative"], misses),
        "NAM Total": _Scope(notice_flags, None),
        "NAM Trusted Flagger": _Scope(
            [f for f in flags if f.scope == "trusted_flagger_notice"], None
        ),
    }
    measures = _measures(data)
    own = [m for m in measures if m[0] == "own"]
    tf_notices = [n for n in data.notices if n.trusted_flagger]
    counts = {
        ("Total number", SOLELY): sum(1 for m in measures if m[1]),
        ("Total number", NOT_AUTOMATED): sum(1 for m in measures if not m[1]),
        ("Own-initiative", SOLELY): sum(1 for m in own if m[1]),
        ("Own-initiative", NOT_AUTOMATED): sum(1 for m in own if not m[1]),
        ("NAM Total", NOTICES_SOLELY): sum(1 for n in data.notices if n.automated),
        ("NAM Total", NOTICES_NOT): sum(1 for n in data.notices if not n.automated),
        ("NAM Trusted Flagger", NOTICES_SOLELY): sum(1 for n in tf_notices if n.automated),
        ("NAM Trusted Flagger", NOTICES_NOT): sum(1 for n in tf_notices if not n.automated),
    }
    out: list[list[str]] = []
    languages_done = False
    for row in tpl.rows:
        appl, section, indicator, scope = row[0], row[3], row[4], row[5]
        if scope.strip() in LANGUAGE_PLACEHOLDERS:
            if not languages_done:
                out += _language_rows(tpl.rows, data, measures, service, period, tier)
                languages_done = True
            continue
        head = [appl, service, period, section, indicator, scope]
        if not applies(appl, tier):
            out.append([*head, "", ""])
            continue
        key = (scope.strip(), indicator.strip())
        if key in counts:
            out.append([*head, figures.count(counts[key]), ""])
            continue
        sc, ind = scopes[key[0]], key[1]
        if not sc.detectors:
            out.append([*head, "", NO_DETECTION])
            continue
        overall = sc.overall()
        out.append([*head, overall.value(ind), overall.note(_all_label(sc), ind)])
        offline = {e.detector: e for e in data.evaluations}
        for det in sc.detectors:
            conf = sc.of(det)
            note = conf.note(f"{det[0]} {det[1]}", ind)
            if det[0] == "classifier" and det[1] in offline:
                note += ". " + offline[det[1]].describe()
            out.append([*head, conf.value(ind), note])
    return out


def _all_label(scope: _Scope) -> str:
    return f"All automated detectors ({len(scope.detectors)})"


def _measures(data: ReportData) -> list[tuple[str, bool, str | None]]:
    """(origin, solely automated, language) of every measure taken in the period."""
    out: list[tuple[str, bool, str | None]] = [
        ("own", m.solely_automated, m.language) for m in data.measures
    ]
    for n in data.notices:
        out += [("notice", a.solely_automated, a.language or n.language) for a in n.actions]
    out += [
        ("order", False, o.language)
        for o in data.orders
        if o.kind == "act" and o.effect_given_at is not None
    ]
    return out


def _language_rows(
    rows: Sequence[tuple[str, ...]],
    data: ReportData,
    measures: Sequence[tuple[str, bool, str | None]],
    service: str,
    period: str,
    tier: str,
) -> list[list[str]]:
    """The VLOP rows: each indicator of the template's placeholder rows, for every language."""
    indicators: list[tuple[str, str, str]] = []
    for row in rows:
        if row[5].strip() in LANGUAGE_PLACEHOLDERS and all(i[2] != row[4] for i in indicators):
            indicators.append((row[0], row[3], row[4]))
    out: list[list[str]] = []
    for appl, section, indicator in indicators:
        for lang in LANGUAGES:
            head = [appl, service, period, section, indicator, lang]
            if not applies(appl, tier):
                out.append([*head, "", ""])
                continue
            ind = indicator.strip()
            mine = [m for m in measures if (m[2] or "").lower() == lang]
            if ind == SOLELY:
                out.append([*head, figures.count(sum(1 for m in mine if m[1])), ""])
            elif ind == NOT_AUTOMATED:
                out.append([*head, figures.count(sum(1 for m in mine if not m[1])), ""])
            else:
                flags = [f for f in data.flags if (f.language or "").lower() == lang]
                conf = _confusion(flags, None)
                out.append([*head, conf.value(ind), conf.note(f"Flags on {lang} content", ind)])
    return out
