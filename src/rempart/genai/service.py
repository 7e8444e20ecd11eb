"""``GenaiService``: guardrails for the platform's own image generator.

``check_request`` looks at a prompt (and the photo to edit, if any) before anything is
generated; ``check_output`` looks at the generated image before it is delivered and, when it
passes, signs it with a C2PA manifest declaring ``trainedAlgorithmicMedia`` (AI Act Art. 50(2),
DSA Art. 35(1)(k)). Refusals and blocks are decisions by rule like any other: an item
``genai:<request_id>``, a case, an automated flag, a decision with its statement of reasons, and
ledger events. Allowed requests are only counted.

Marking is required: with no usable certificate configured an allowed output comes back
without the image (``signed`` false, ``image`` None) and ``signing_error`` says what to
configure (REMPART_C2PA_SIGN_CERT, REMPART_C2PA_SIGN_KEY); unmarked output is never returned.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rempart.errors import Invalid
from rempart.events import current_actor
from rempart.genai import lexicon as lx
from rempart.genai.analysis import Analysis, ImageFacts, analyse
from rempart.genai.schemas import GenaiOutputVerdict, GenaiVerdict, ImageSignals, Reason, TermOut
from rempart.genai.similarity import Similarity
from rempart.moderation.items import open_case, upsert_item
from rempart.moderation.models import AutomatedFlag
from rempart.moderation.notices import RANK_CHILD_SAFETY
from rempart.moderation.schemas import AccountIn, DecisionIn, ItemIn

if TYPE_CHECKING:
    from rempart.context import Rempart
    from rempart.scan.service import ScanResult

POLICY_VERSION = "genai-guardrail@1"
MAX_PROMPT = 4000  # characters
_REF = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")
CSAM_SPECS = frozenset(
    {"KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"}
)
NCII_SPECS = frozenset(
    {
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
        "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
        "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
    }
)
MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
CSAM_GROUND = (
    "Directive 2011/93/EU Arts 2(c) and 5 (child sexual abuse material, including realistic "
    "images of a non-existent child) and its national transpositions"
)
TOS_GROUND = (
    "Terms of service, generative AI acceptable use: no sexualised or undressed images of real "
    "or identifiable people without consent, no sexual content involving minors, no "
    "reproduction of abuse material"
)


@dataclass(frozen=True)
class Rule:
    """A refusal rule: what it means and the DSA codes of its decision."""

    message: str
    child: bool = False
    ncii: bool = False


RULES: dict[str, Rule] = {
    "real_person_sexualised": Rule(
        "the request would undress or sexualise a real or identifiable person (a photo, a "
        "named person, or someone the prompt points at)",
        ncii=True,
    ),
    "minor_sexualised": Rule(
        "the request combines sexual or undressing content with a reference to a minor",
        child=True,
    ),
    "image_minor_sexual": Rule(
        "the input image looks sexual and shows an apparent minor", child=True
    ),
    "banked_image": Rule("the input image matches a hash bank of known abuse material"),
    "banked_text": Rule("the prompt matches a text bank of known abuse requests"),
    "known_abuse": Rule("the request asks to reproduce known abuse material (leaked, hidden-camera "
                        "or revenge material, a known abuse series)", ncii=True),
    "similar_to_refused": Rule(
        "the request is a close paraphrase of requests the guardrail refuses"
    ),
    "adult_content_disabled": Rule("this platform does not generate nudity or sexual content"),
    "output_banked": Rule("the generated image matches a hash bank of known abuse material"),
    "output_minor_sexual": Rule(
        "the generated image looks sexual and shows an apparent minor", child=True
    ),
    "output_real_person_sexual": Rule(
        "the generated image is sexual and shows a face, for a prompt about a real person",
        ncii=True,
    ),
    "output_sexual": Rule("the generated image is sexual and this platform does not allow it"),
}  # fmt: skip


class GenaiService:
    """Request and output checks for the platform's generator, with records of refusals.

    ``adult_content``: whether fictional adult nudity is allowed at all (default True: a pure
    text-to-image prompt about a fictional adult is the platform's own call). When False,
    any nudity or sexual cue refuses and any sexual output is blocked.
    """

    def __init__(
        self, ctx: Rempart, *, adult_content: bool = True, generator: str | None = None
    ) -> None:
        self.ctx = ctx
        self.generator = generator  # the software agent named in the manifest
        self.adult_content = adult_content
        self.counts: Counter[str] = Counter()
        self.similarity = Similarity()

    # --- requests ------------------------------------------------------------------------

    def check_request(
        self,
        prompt: str,
        image: bytes | None = None,
        *,
        request_id: str | None = None,
        account: str | None = None,
        language: str | None = None,
    ) -> GenaiVerdict:
        """Allow or refuse a generation request (a prompt, and optionally the photo to edit)."""
        t0 = time.perf_counter()
        rid = _request_id(request_id)
        _check_prompt(prompt)
        _check_account(account)
        timings: dict[str, float] = {}
        scan = None
        facts: ImageFacts | None = None
        if image is not None:
            t = time.perf_counter()
            scan = self.ctx.scanner.scan(image)
            facts = _image_facts(scan)
            timings["image"] = _ms(t)
        t = time.perf_counter()
        a = analyse(prompt, facts, language=language)
        timings["analyse"] = _ms(t)
        rules = list(a.rules)
        if not self.adult_content and a.cues & {lx.NUDE, lx.SEXUAL} and not rules:
            rules.append("adult_content_disabled")
        if scan is not None and _blocking(scan):
            rules.append("banked_image")
        text_matches = self._text_banks(prompt)
        if text_matches:
            rules.append("banked_text")
        similarity = None
        if not rules and self.similarity.worth_checking(a, image is not None):
            t = time.perf_counter()
            similarity = self.similarity.score(prompt)
            timings["similarity"] = _ms(t)
            if similarity is not None and similarity >= self.similarity.threshold:
                rules.append("similar_to_refused")
        verdict = GenaiVerdict(
            request_id=rid,
            decision="refuse" if rules else "allow",
            reasons=[self._reason(r, a, scan) for r in rules],
            matches=[TermOut(**m.__dict__) for m in a.matches],
            categories=sorted(a.cues),
            language=a.language,
            normalized=a.normalized.text,
            ages=a.ages,
            named_persons=a.named_person,
            similarity=similarity,
            image=_signals(scan) if scan is not None else None,
            text_bank_matches=text_matches,
            policy_version=POLICY_VERSION,
        )
        if rules:
            self._record(
                verdict,
                kind="request",
                account=account,
                content_types=["CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT"],
                language=a.language,
                detail={"prompt_excerpt": prompt[:500], "cues": sorted(a.cues)},
            )
        self.counts[f"request_{verdict.decision}"] += 1
        timings["total"] = _ms(t0)
        verdict.timings_ms = timings
        return verdict

    def _text_banks(self, prompt: str) -> list[dict[str, Any]]:
        """Matches of the prompt in text banks (the text signal type), if any bank holds text."""
        try:
            from rempart.banks.lookup import Query
            from rempart.signals.types import MAX_TEXT_SIGNAL, SIGNAL_TYPES, TEXT
        except ImportError:  # pragma: no cover - text banks not installed
            return []
        if TEXT not in SIGNAL_TYPES:
            return []  # pragma: no cover
        if not any(b.enabled and not b.negative for b in self.ctx.banks.list_banks()):
            return []
        try:
            signal = SIGNAL_TYPES[TEXT].normalize(" ".join(prompt.split())[:MAX_TEXT_SIGNAL])
            result = self.ctx.lookup.lookup(TEXT, [Query(signal)])
        except Exception:  # a text bank problem must not hide the lexicon's verdict
            return []
        return [m.model_dump(mode="json") for m in result.matches if not m.negative]

    # --- outputs -------------------------------------------------------------------------

    def check_output(
        self,
        image_bytes: bytes,
        *,
        request_id: str | None = None,
        prompt: str | None = None,
        account: str | None = None,
        title: str | None = None,
    ) -> GenaiOutputVerdict:
        """Block a generated image or return it signed as ``trainedAlgorithmicMedia``."""
        from rempart.media import detect
        from rempart.signals.provenance.manifest import SIGNABLE, ProvenanceError

        t0 = time.perf_counter()
        rid = _request_id(request_id)
        _check_account(account)
        if prompt is not None:
            _check_prompt(prompt)
        scan = self.ctx.scanner.scan(image_bytes)
        signals = _signals(scan)
        rules: list[str] = []
        if _blocking(scan):
            rules.append("output_banked")
        facts = _image_facts(scan)
        prompt_verdict: Analysis | None = None
        if prompt is not None:
            prompt_verdict = analyse(prompt, None)
        if facts.sexual and facts.apparent_minor:
            rules.append("output_minor_sexual")
        real = prompt_verdict is not None and bool(prompt_verdict.cues & {lx.PERSON, lx.IMAGE_REF})
        if facts.sexual and facts.face and real:
            rules.append("output_real_person_sexual")
        if facts.sexual and not self.adult_content and not rules:
            rules.append("output_sexual")
        if prompt_verdict is not None:
            rules.extend(r for r in prompt_verdict.rules if r not in rules)
        out = GenaiOutputVerdict(
            request_id=rid,
            decision="block" if rules else "allow",
            reasons=[self._reason(r, prompt_verdict, scan) for r in rules],
            signals=signals,
            policy_version=POLICY_VERSION,
        )
        if rules:
            self._record_output(out, scan, image_bytes, account)
        else:
            info = detect(image_bytes, None, self.ctx.limits)
            mime = SIGNABLE.get(info.format, f"image/{info.format}")
            t = time.perf_counter()
            out.mime = mime
            try:
                out.image = self.ctx.provenance.sign(
                    image_bytes,
                    mime,
                    digital_source_type="trainedAlgorithmicMedia",
                    title=title or f"generated image {rid}",
                    generator=self.generator,
                )
            except ProvenanceError as exc:
                if exc.status < 500:
                    raise  # the image cannot carry a manifest: the caller's input
                # not configured or unusable credentials: never hand back an unmarked image
                out.signing_error = exc.detail
            else:
                out.signed = True
                out.digital_source_type = "trainedAlgorithmicMedia"
            out.timings_ms["sign"] = _ms(t)
        self.counts[f"output_{out.decision}"] += 1
        out.timings_ms.update({"scan": scan.timings_ms.get("total", 0.0), "total": _ms(t0)})
        return out

    # --- records -------------------------------------------------------------------------

    def _reason(self, code: str, a: Analysis | None, scan: ScanResult | None) -> Reason:
        rule = RULES[code]
        child = rule.child or (_csam_scan(scan) and code in ("banked_image", "output_banked"))
        female = a is not None and a.female_target
        if child:
            cat, spec = MINORS, ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"]
            if code in ("banked_image", "output_banked"):
                spec = ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]
        elif code in ("banked_image", "output_banked") and scan is not None:
            m = next((m for m in scan.matches if not m.negative), None)
            cat = (m.dsa_category if m else None) or "STATEMENT_CATEGORY_CYBER_VIOLENCE"
            spec = list(m.specifications) if m else []
        elif female:
            cat = "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN"
            spec = ["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN"]
        elif rule.ncii or code in ("similar_to_refused", "banked_text"):
            cat, spec = (
                "STATEMENT_CATEGORY_CYBER_VIOLENCE",
                ["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"],
            )
        else:
            cat, spec = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", []
        return Reason(
            code=code, message=rule.message, category=cat, specification=spec, child_safety=child
        )

    def _record(
        self,
        verdict: GenaiVerdict | GenaiOutputVerdict,
        *,
        kind: str,
        account: str | None,
        content_types: list[str],
        language: str | None,
        detail: dict[str, Any],
    ) -> None:
        """One decision by rule for a refusal or a block, with its case, flag and events."""
        ctx = self.ctx
        ref = f"genai:{verdict.request_id}" + (":output" if kind == "output" else "")
        main = next((r for r in verdict.reasons if r.child_safety), verdict.reasons[0])
        child = any(r.child_safety for r in verdict.reasons)
        lang = language.upper() if language and len(language) == 2 else None
        now = ctx.clock()
        with ctx.db.session() as s:
            item = upsert_item(
                s,
                ItemIn(
                    ref=ref,
                    account=AccountIn(ref=account) if account else None,
                    content_types=content_types,
                    language=lang,
                ),
                now,
            )
            case = open_case(s, item, now, "child_safety" if child else "general")
            if child:
                case.person_only_close = True  # child safety is never cleared by a machine
            case.facts = {**case.facts, "genai": verdict.model_dump(mode="json")}
            for r in verdict.reasons:
                s.add(
                    AutomatedFlag(
                        case_id=case.id,
                        item_id=item.id,
                        detector_kind="guardrail",
                        detector=f"genai:{r.code}",
                        category=r.category,
                        detail={"policy": POLICY_VERSION, **detail},
                        flagged_at=now,
                    )
                )
            s.flush()
            d = ctx.decisions.record(
                s,
                case,
                _decision(verdict, main, kind),
                by=f"rule:genai/{main.code}",
                person=False,
                policy_version=POLICY_VERSION,
                signals={"genai": verdict.model_dump(mode="json")},
            )
            if child and case.status == "open":
                ctx.queues.enqueue(
                    s,
                    case_id=case.id,
                    queue="child_safety",
                    rank=RANK_CHILD_SAFETY,
                    priority=100,
                    reason=f"{POLICY_VERSION} rule {main.code}: generation {kind} refused",
                )
            verdict.item_ref, verdict.case_id, verdict.decision_id = ref, case.id, d.id
            ctx.ledger.append(
                s,
                f"genai_{kind}_{verdict.decision}",
                actor=current_actor(),
                subject=f"item:{ref}",
                data={
                    "request_id": verdict.request_id,
                    "rules": [r.code for r in verdict.reasons],
                    "decision_id": d.id,
                    "policy": POLICY_VERSION,
                },
            )

    def _record_output(
        self, out: GenaiOutputVerdict, scan: ScanResult, data: bytes, account: str | None
    ) -> None:
        """A blocked output: banked material goes through the active policy (like any upload:
        decision, preservation, child-safety queue); the guardrail records its own decision
        when the policy did not act."""
        ref = f"genai:{out.request_id}:output"
        if any(r.code == "output_banked" for r in out.reasons):
            ctx = self.ctx
            with ctx.db.session() as s:
                upsert_item(
                    s,
                    ItemIn(
                        ref=ref,
                        account=AccountIn(ref=account) if account else None,
                        content_types=["CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_IMAGE"],
                    ),
                    ctx.clock(),
                )
            result = ctx.moderation.intake.apply(ref, scan, data=data)
            if result.decision_id is not None:
                out.item_ref, out.case_id, out.decision_id = ref, result.case_id, result.decision_id
                return
        self._record(
            out,
            kind="output",
            account=account,
            content_types=["CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_IMAGE"],
            language=None,
            detail={"signals": out.signals.model_dump(mode="json")},
        )


def _decision(verdict: GenaiVerdict | GenaiOutputVerdict, main: Reason, kind: str) -> DecisionIn:
    """The statement-of-reasons fields of a refusal or block."""
    what = (
        "The generation request was refused: no image was produced."
        if kind == "request"
        else "The generated image was withheld: it was not delivered."
    )
    facts = (
        f"Automated guardrail {POLICY_VERSION} on the platform's own image generator, request "
        f"{verdict.request_id}: " + "; ".join(f"{r.code}: {r.message}" for r in verdict.reasons)
    )
    common: dict[str, Any] = {
        "action": True,
        "decision_visibility": ["DECISION_VISIBILITY_OTHER"],
        "decision_visibility_other": what,
        "category": main.category,
        "category_specification": main.specification,
        "decision_facts": facts[:5000],
        "strike_weight": 1.0 if main.child_safety else 0.0,
    }
    if main.child_safety:
        return DecisionIn(
            **common,
            decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
            illegal_content_legal_ground=CSAM_GROUND,
            illegal_content_explanation=(
                f"{main.message}. Sexual depictions of minors, real or generated, are child "
                "sexual abuse material."
            ),
        )
    return DecisionIn(
        **common,
        decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
        incompatible_content_ground=TOS_GROUND,
        incompatible_content_explanation=main.message,
        incompatible_content_illegal=main.category != "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    )


def _image_facts(scan: ScanResult) -> ImageFacts:
    """Face, sexual content and apparent minor, from the scan's classifiers (flagged = over
    each model's own threshold)."""
    report = scan.classifiers
    if report is None:
        return ImageFacts()
    by = {r.name: r for r in report.results}

    def flagged(name: str) -> bool:
        r = by.get(name)
        return bool(r and r.flagged)

    face = by.get("face")
    return ImageFacts(
        face=flagged("face"),
        face_score=face.score if face else 0.0,
        sexual=flagged("sexual") or flagged("nsfw") or flagged("nudenet"),
        apparent_minor=flagged("apparent_minor"),
    )


def _blocking(scan: ScanResult) -> bool:
    """Whether the scan matched a bank (any bank's match blocks: banks hold abuse material)."""
    return any(not m.negative for m in scan.matches)


def _csam_scan(scan: ScanResult | None) -> bool:
    if scan is None:
        return False
    return any(
        CSAM_SPECS & set(m.specifications) or m.dsa_category == MINORS
        for m in scan.matches
        if not m.negative
    )


def _signals(scan: ScanResult) -> ImageSignals:
    notes = list(scan.notes)
    classifiers: dict[str, dict[str, Any]] = {}
    if scan.classifiers is not None:
        classifiers = {k: dict(v) for k, v in scan.classifiers.facts().items()}
        notes.extend(getattr(scan.classifiers, "notes", []) or [])
    else:
        notes.append("image classifiers did not run (disabled or not wired)")
    prov: dict[str, Any] = {}
    if scan.provenance is not None:
        prov = dict(scan.provenance.facts())
    return ImageSignals(
        matches=[m.model_dump(mode="json") for m in scan.matches],
        classifiers=classifiers,
        provenance=prov,
        notes=notes,
    )


def _request_id(value: str | None) -> str:
    if value is None:
        return uuid.uuid4().hex
    if not _REF.match(value):
        raise Invalid("request_id: 1-200 characters among letters, digits and . _ : -")
    return value


def _check_account(value: str | None) -> None:
    if value is not None and not (0 < len(value) <= 255 and value.isprintable()):
        raise Invalid("account: 1-255 printable characters (the platform's account id)")


def _check_prompt(prompt: str) -> None:
    if not isinstance(prompt, str) or not prompt.strip():
        raise Invalid("prompt is empty; send the text of the generation request")
    if len(prompt) > MAX_PROMPT:
        raise Invalid(
            f"prompt is {len(prompt)} characters long; at most {MAX_PROMPT} are checked",
            code="prompt_too_long",
            status=413,
        )


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 3)
