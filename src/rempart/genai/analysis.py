"""Prompt analysis: which cues a prompt carries, and which refusal rules they trigger.

The rules (a cue alone decides little; ``lexicon`` names the cues):

* ``real_person_sexualised``: undressing or nudifying a person (an undressing verb, or a
  removal verb followed by a garment), or nudity, sexual content, underwear or swimwear
  applied to a real or identifiable person: an input photo with a face or a person the
  prompt points at, a named person, "my ex", "this woman", "the girl in the photo", or a
  pronoun with an edit verb ("put her in a bikini", "mets-la en maillot").
* ``minor_sexualised``: any sexual, nude, undressing or underwear content with any
  reference to a minor (a word, an age under 18, a school grade) or, in that sexual context,
  a euphemism ("barely legal", "petite"). With or without an image, always.
* ``known_abuse``: asking to reproduce known abuse material (leaked nudes, revenge porn, a
  known series, hidden-camera material).

What stays allowed by design: swimwear, nudity or sexual content of fictional adults in a pure
text-to-image prompt (no photo, no real person, no minor), art-history and medical questions,
removing a background, a hat or glasses, dressing someone in more clothes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rempart.classify.text.lang import detect
from rempart.genai import lexicon as lx
from rempart.genai.matcher import Hit, default_matcher, spans
from rempart.genai.normalize import Normalized, canonical, canonical_set, normalize

ADULT_AGE = 18
WINDOW = 4  # tokens between a removal verb and the garment
OFF_WORDS = frozenset({"off", "aus", "weg", "runter", "ab"})  # as written in the prompt
# words saying a garment goes away, after it (normalised): removed, gone, disappear(s/ed),
# vanish(ed), missing; disparait/disparu (fr), desaparec* (es), verschwind*/weg (de)
# (tokens have doubled letters squeezed: "disappear" is "disapear", "missing" "mising")
GONE_PREFIXES = ("removed", "gone", "disapear", "vanish", "mising", "dispar", "desaparec",
                 "verschwind", "sparisc")  # fmt: skip
ALL_LANGUAGES = ("en", "fr", "es", "de", "it", "pt")
ZIEH = frozenset({"zieh", "ziehe", "zieht", "ziehen", "zog"})
# words between a weak removal verb and its object ("enlève-lui sa robe", "take off all of it")
OBJECT_SKIP = canonical_set(
    "the a an her his their its all of off down away up out lui la le les l sa son ses un une "
    "des du de leur el los las su sus lo le les ella die der das den dem des ihr ihre ihren "
    "ihrem ihm sein seine seinen ein eine einen mal bitte please pls stp svp porfa this that "
    "these those ce cet cette ces este esta ese esa estos estas diese dieser dieses diesen "
    "ihrer seiner seinem dein deine deinen deiner mein meine my your ton ta tes mon ma mes tu"
)
# objects that make a weak verb ("strip", "enlève", "quita") mean undressing
EVERYTHING = canonical_set(
    "everything all it tout toute tous todo toda alles nothing rien nada nichts"
)
MALE_WORDS = canonical_set(
    "him he man men boy boys guy dude husband boyfriend bf brother dad father uncle "
    "lui homme garcon mec el hombre chico novio hermano er mann junge freund bruder"
)
# a preposition between a removal verb and a garment: something is taken off the garment
# ("remove the print on her shirt", "enlève la tache sur sa robe", "entferne den Fleck auf")
ON_GARMENT = canonical_set("on from onto upon sur sobre auf von vom am")
# "without her top", "sans son haut", "sin blusa", "ohne Oberteil": the garment is missing
WITHOUT = canonical_set("without sans sin ohne senza sem")
# "what's under her shirt", "ce qu'il y a sous sa robe", "lo de debajo de la falda"
UNDER = canonical_set("under beneath underneath sous dessous debajo bajo unter drunter")
LOOK = canonical_set(
    "what whats reveal show see expose body skin voir montre revele corps peau ver muestra "
    "ensena cuerpo piel hay zeig zeige sehen korper haut was"
)
# "get her out of that dress": out of + a garment
OUT_OF = ("out", "of")
# English weak verbs that take a person as object: "strip the model"
PERSON_OBJECTS = canonical_set("model models person subject people lady ladies")
# a garment taken from a thing ("the clothes from the washing line"): not from a person
FROM_THING = canonical_set("from off de del des du von vom aus")
FEMALE_WORDS = canonical_set(
    "her she woman women girl girls lady wife girlfriend gf sister mom mother aunt "
    "elle femme fille meuf nana copine soeur ella mujer chica tia novia hermana "
    "sie frau madchen freundin schwester lei donna ragazza ela mulher menina "
    "actress actrice actriz schauspielerin classmate influencer"
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}")
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]{1,20}(?:[ -][A-Z][a-zà-ÿ]{1,20})+\b")
COMMON_CAPS = canonical_set(
    "i a an the make put turn show give dress remove take undress please can could would "
    "this that these my her his she he new old big little young hot sexy real ai "
    "mets fais rends enleve enlever la le les une un ce cette pon haz quita quitale la el "
    "una mach zieh die der das ein eine make photo picture image beach bikini nude naked "
    "generate draw paint create render style art portrait woman man girl boy lady "
    "mr mrs ms dr saint st new york los angeles san paris london berlin madrid rome"
)


@dataclass(frozen=True)
class TermMatch:
    """A lexicon term found in the prompt, with the text it matched."""

    cue: str
    term: str
    lang: str
    matched: str
    start: int
    end: int
    fuzzy: bool


@dataclass
class Analysis:
    """Everything the rules saw in one prompt, and what they decided."""

    normalized: Normalized
    language: str
    matches: list[TermMatch]
    cues: set[str]
    ages: list[int]
    named_person: list[str]
    rules: list[str] = field(default_factory=list)
    female_target: bool = False

    @property
    def refused(self) -> bool:
        """Whether any rule refused the prompt."""
        return bool(self.rules)


@dataclass(frozen=True)
class ImageFacts:
    """What the checks found in an input image (absent: no image sent)."""

    face: bool = False
    face_score: float = 0.0
    sexual: bool = False
    apparent_minor: bool = False


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[str, int, int]] = set()
    out = []
    for h in sorted(hits, key=lambda h: (h.first, -(h.last - h.first), h.fuzzy)):
        key = (h.term.cue, h.first, h.last)
        if key in seen:
            continue
        seen.add(key)
        out.append(h)
    return out


def _named_people(prompt: str, norm: Normalized) -> list[str]:
    """Handles (@name) and First Last names: a named person is a real person."""
    out = [m.group(0) for m in _HANDLE.finditer(prompt)]
    words = prompt.split()
    if words and sum(1 for w in words if w[:1].isupper()) > 0.6 * len(words) and len(words) > 3:
        return out  # Title Case Prompt: capitals say nothing
    for m in _NAME.finditer(prompt):
        parts = re.split(r"[ -]", m.group(0))
        kept = [p for p in parts if canonical(p) not in COMMON_CAPS]
        if len(kept) >= 2:
            out.append(" ".join(kept))
    return out


def analyse(
    prompt: str, image: ImageFacts | None = None, *, language: str | None = None
) -> Analysis:
    """Normalise, match the lexicon, and apply the refusal rules to one prompt."""
    norm = normalize(prompt)
    lang = language or detect(prompt)
    hits = _dedupe(default_matcher().find(norm, lang))
    tokens = [t.text for t in norm.tokens]
    matches: list[TermMatch] = []
    by_cue: dict[str, list[Hit]] = {}
    for h in hits:
        by_cue.setdefault(h.term.cue, []).append(h)
    benign_at = {i for h in by_cue.get(lx.BENIGN_OBJECT, []) for i in range(h.first, h.last + 1)}
    clothing_at = {i for h in by_cue.get(lx.CLOTHING, []) for i in range(h.first, h.last + 1)}

    def near_benign(h: Hit) -> bool:
        """An undressing word about a salad, a wound, a hat: not about a person."""
        return any(i in benign_at for i in range(h.first, h.last + 4)) and not any(
            i in clothing_at for i in range(h.first, h.last + 4)
        )

    target_at = {
        i
        for cue in (lx.CLOTHING, lx.NUDE, lx.INTIMATE, lx.SWIMWEAR, lx.PRONOUN, lx.MINOR)
        for h in by_cue.get(cue, [])
        for i in range(h.first, h.last + 1)
    }

    def elsewhere(h: Hit) -> bool:
        """A weak verb ("enlève", "quita", "get rid of") whose object is a thing, not a
        person or a garment: "enlève l'arrière-plan", "quita el coche"."""
        for i in range(h.last + 1, len(tokens)):
            if i in target_at:
                return False
            t = tokens[i]
            if t in OBJECT_SKIP:
                continue
            person = t in FEMALE_WORDS or t in MALE_WORDS
            if h.term.lang == "en" and t in PERSON_OBJECTS:
                person = True
            return not (t in EVERYTHING or person)
        return False  # nothing after the verb: "strip", "enlève tout" (a person's photo)

    cues: set[str] = set()
    used: list[Hit] = []
    for cue, group in by_cue.items():
        for h in group:
            if cue in (lx.UNDRESS, lx.UNDRESS_WEAK) and near_benign(h):
                continue
            if cue == lx.UNDRESS_WEAK and elsewhere(h):
                continue
            cues.add(cue)
            used.append(h)
    people_at = target_at - clothing_at

    def from_thing(c: Hit) -> bool:
        """A garment taken from a thing, with no person in sight: "the clothes from the
        washing line", "les vêtements de la valise"."""
        after = tokens[c.last + 1 : c.last + 1 + WINDOW]
        if not after or after[0] not in FROM_THING or people_at:
            return False
        if any(t in FEMALE_WORDS or t in MALE_WORDS for t in tokens):
            return False
        return any(c.last + 1 < i <= c.last + WINDOW for i in benign_at)

    # a removal verb followed by a garment ("remove her shirt", "enlève sa robe")
    for r in by_cue.get(lx.REMOVE, []):
        for c in by_cue.get(lx.CLOTHING, []):
            if (
                r.last < c.first <= r.last + WINDOW
                and not any(r.last < i < c.first for i in benign_at)
                and not any(t in ON_GARMENT for t in tokens[r.last + 1 : c.first])
                and not from_thing(c)
            ):
                cues.add(lx.UNDRESS)
    # a garment followed by "off" ("shirt off", "Kleid aus"), or by its removal or
    # disappearance a few words on ("her top removed", "her bra is gone")
    for c in by_cue.get(lx.CLOTHING, []):
        if c.last + 1 < len(tokens):
            after = norm.tokens[c.last + 1]
            if re.sub(r"[\W_]", "", prompt[after.start : after.end].casefold()) in OFF_WORDS:
                cues.add(lx.UNDRESS)  # "shirt off", "d r e s s  o f f"
        before = tokens[max(0, c.first - 3) : c.first]
        if any(t in WITHOUT for t in before):
            cues.add(lx.NUDE)  # "without her top", "ohne Oberteil"
        for j in range(max(0, c.first - 4), c.first):
            between = tokens[j + 1 : c.first]
            if not all(t in OBJECT_SKIP for t in between):
                continue
            if tokens[j] in UNDER and any(w in LOOK for w in tokens[max(0, j - 6) : j]):
                cues.add(lx.UNDRESS)  # "reveal her body under the shirt"
            if j > 0 and (tokens[j - 1], tokens[j]) == OUT_OF:
                cues.add(lx.UNDRESS)  # "get her out of that dress"
        following = tokens[c.last + 1 : c.last + 1 + WINDOW]
        if (
            any(t.startswith(GONE_PREFIXES) for t in following)
            or any(c.last < r.first <= c.last + WINDOW for r in by_cue.get(lx.REMOVE, []))
        ) and not from_thing(c):
            cues.add(lx.UNDRESS)
    # German separable verb: "zieh die Frau auf dem Foto aus"
    for i, t in enumerate(tokens):
        if (
            t in ZIEH
            and "aus" in tokens[i + 2 : i + 10]
            and not any(j in benign_at for j in range(i, min(len(tokens), i + 10)))
        ):
            cues.add(lx.UNDRESS_WEAK)
    ages = [a for a in norm.ages if 0 < a < 100]
    if any(a < ADULT_AGE for a in ages):
        cues.add(lx.MINOR)
    if lx.MINOR in cues:
        # with a minor in the prompt, err towards refusal: exposing words count in every
        # language, even where they are ordinary words elsewhere ("string", "tanga"), because
        # a misjudged language must never let a sexual request about a child through
        for other in ALL_LANGUAGES:
            for h in default_matcher().find(norm, other):
                if h.term.cue in (lx.NUDE, lx.SEXUAL, lx.INTIMATE) and h.term.cue not in cues:
                    cues.add(h.term.cue)
                    used.append(h)
    named = _named_people(prompt, norm)
    # an edit verb right before a capitalised word: "make Emma naked", "undress Lena"
    for h in by_cue.get(lx.EDIT, []) + by_cue.get(lx.UNDRESS, []):
        nxt = h.last + 1
        if nxt < len(norm.tokens):
            tok = norm.tokens[nxt]
            word = prompt[tok.start : tok.end]
            if word[:1].isupper() and canonical(word) not in COMMON_CAPS and len(word) > 2:
                named.append(word)
    if named:
        cues.add(lx.PERSON)
    for h in used:
        start, end = spans(norm, h)
        matches.append(
            TermMatch(h.term.cue, h.term.text, h.term.lang, prompt[start:end], start, end, h.fuzzy)
        )
    a = Analysis(norm, lang, matches, cues, ages, named)
    a.female_target = any(t in FEMALE_WORDS for t in tokens)
    _rules(a, image)
    return a


def _rules(a: Analysis, image: ImageFacts | None) -> None:
    c = a.cues
    pronoun = lx.PRONOUN in c
    strong_ref = bool(c & {lx.PERSON, lx.IMAGE_REF})
    undress_weak = lx.UNDRESS_WEAK in c and (pronoun or strong_ref or image is not None)
    undress = lx.UNDRESS in c or undress_weak
    edit = lx.EDIT in c or undress
    real_ref = strong_ref or (pronoun and edit)
    if image is not None and (image.face or pronoun or strong_ref):
        real_ref = True
    if lx.CONTEXT in c and image is None and not strong_ref and not undress:
        real_ref = False  # "why is Venus painted nude": art history, not a person edit
    sexual = bool(c & {lx.NUDE, lx.SEXUAL})
    exposing = sexual or undress or lx.INTIMATE in c
    if undress or (real_ref and (exposing or lx.SWIMWEAR in c)):
        a.rules.append("real_person_sexualised")
    minor = lx.MINOR in c or (lx.MINOR_EUPHEMISM in c and exposing)
    if minor and exposing:
        a.rules.append("minor_sexualised")
    if image is not None and image.sexual and image.apparent_minor:
        a.rules.append("image_minor_sexual")
    if lx.ABUSE in c:
        a.rules.append("known_abuse")
