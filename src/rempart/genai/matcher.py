"""Finding lexicon terms in a normalised prompt: exact, by stem, and with a typo or two.

Single words match with optimal-string-alignment distance (a swap of two letters is one edit):
at most 1 for words of five letters or more, 2 for eight or more (lengths after squeezing).
Candidates come from a deletion index (the SymSpell idea), so a prompt is matched in about a
millisecond rather than by comparing every token with every term.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rempart.genai.lexicon import Term, terms
from rempart.genai.normalize import Normalized, Token, canonical, canonical_set
from rempart.genai.vocabulary import ORDINARY

GAP = 3  # words a ``_`` may skip
# common words one typo away from a lexicon word: never matched fuzzily
PROTECTED = canonical_set(
    "baked named faked raked waked naker chili chile chill chilled porto dresser "
    "address adress stripe striped string strings stripes nuder minority minors "
    "teeth tween twin childe kinda kinds kindly madchen eller nude node nudge sexta "
    "bikers biking bikes bike topless tops stop stops shirts nudist nudists hidden "
    "cloth clothe closes clone clones undo under untie undress dressed desired "
    "remote remover removal women woman lingered lingers linger porter posing "
    "shorten shorter skirts skirting brat bras brass brave brace grade grades model "
    "models modelo nudity made make mate kite kites node nodes take taken takes "
    "naval navel bike kind kinds sexton sextet tops tips eine seine deine keine einer "
    "einem einen deiner seiner dies diese dieser these those there their"
)


def osa(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance between ``a`` and ``b`` (``limit + 1`` if above)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowance(word: str) -> int:
    """Typos a word of this length may carry: 0 under five letters, 1 from five, 2 from eight."""
    n = len(word)
    return 2 if n >= 8 else 1 if n >= 5 else 0


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


@dataclass(frozen=True)
class Part:
    """One element of a term's pattern: a word, a stem (``word*``), or a gap (``_``)."""

    kind: str  # word|stem|gap
    text: str = ""


@dataclass(frozen=True)
class Compiled:
    """A term and its pattern."""

    term: Term
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Hit:
    """A term found in a prompt: where, and whether a typo had to be forgiven."""

    term: Term
    first: int  # token indexes, inclusive
    last: int
    fuzzy: bool


class Matcher:
    """The lexicon compiled for matching."""

    def __init__(self, entries: list[Term]) -> None:
        self.compiled: list[Compiled] = []
        self.by_word: dict[str, list[int]] = defaultdict(list)
        self.by_stem: dict[str, list[int]] = defaultdict(list)
        self.word_deletes: dict[str, set[str]] = defaultdict(set)
        self.stem_deletes: dict[str, set[str]] = defaultdict(set)
        self.known_words: set[str] = set()
        self.known_stems: set[str] = set()
        for e in entries:
            parts = []
            for raw in e.text.split():
                if raw == "_":
                    parts.append(Part("gap"))
                elif raw.endswith("*"):
                    parts.append(Part("stem", canonical(raw[:-1])))
                else:
                    parts.append(Part("word", canonical(raw)))
            parts = [p for p in parts if p.kind == "gap" or p.text]
            for p in parts:
                if p.kind == "word":
                    self.known_words.add(p.text)
                elif p.kind == "stem":
                    self.known_stems.add(p.text)
            if not parts or parts[0].kind == "gap":
                continue
            idx = len(self.compiled)
            self.compiled.append(Compiled(e, tuple(parts)))
            head = parts[0]
            if head.kind == "word":
                self.by_word[head.text].append(idx)
                if not e.gated:
                    for d in _deletes(head.text, allowance(head.text)):
                        self.word_deletes[d].add(head.text)
            else:
                self.by_stem[head.text].append(idx)
                if not e.gated:
                    for d in _deletes(head.text, allowance(head.text)):
                        self.stem_deletes[d].add(head.text)

    def known(self, token: str) -> bool:
        """Whether ``token`` is itself a lexicon word (then it is never read as a typo of
        another one: "nudity" is not "nudify", "underwear" is not "underage")."""
        if token in PROTECTED or token in ORDINARY or token in self.known_words:
            return True
        return any(token[:n] in self.known_stems for n in range(1, len(token) + 1))

    def part_matches(self, part: Part, token: str, gated: bool) -> tuple[bool, bool]:
        """(matches, fuzzily) for one token against one pattern part."""
        if part.kind == "word":
            if token == part.text:
                return True, False
            k = 0 if gated or self.known(token) else allowance(part.text)
            if len(token) < 5 and token[0] != part.text[0]:
                k = 0  # a short word with another first letter is another word ("trip")
            if k and len(token) >= 4 and osa(token, part.text, k) <= k:
                return True, True
            return False, False
        if token.startswith(part.text):
            return True, False
        k = 0 if gated or self.known(token) else allowance(part.text)
        if part.text.startswith(token):
            k = min(k, allowance(token))  # "shot" is a word, not a cut-off "shota"
        if k and len(token) >= 4 and token[0] == part.text[0]:
            for n in range(max(1, len(part.text) - k), min(len(token), len(part.text) + k) + 1):
                if osa(token[:n], part.text, k) <= k:
                    return True, True
        return False, False

    def _heads(self, token: str) -> set[int]:
        """Terms whose first part could match ``token``."""
        out: set[int] = set(self.by_word.get(token, ()))
        for n in range(1, len(token) + 1):
            out.update(self.by_stem.get(token[:n], ()))
        if len(token) >= 4 and not self.known(token):
            for d in _deletes(token, 2):
                for w in self.word_deletes.get(d, ()):
                    out.update(self.by_word[w])
            for n in range(4, len(token) + 1):
                for d in _deletes(token[:n], 1 if n < 9 else 2):
                    for w in self.stem_deletes.get(d, ()):
                        out.update(self.by_stem[w])
        return out

    def find(self, norm: Normalized, lang: str) -> list[Hit]:
        """Every term occurrence in the prompt (gated terms only in their language)."""
        tokens = [t.text for t in norm.tokens]
        # two adjacent tokens joined also count as one word ("un dress", "na ked")
        hits: list[Hit] = []
        for i, tok in enumerate(tokens):
            for idx in self._heads(tok):
                c = self.compiled[idx]
                found = self._match_from(c, tokens, i)
                if found is not None:
                    hits.append(Hit(c.term, i, found[0], found[1]))
        # a gated word counts in its language, or when another word of that language is
        # there too (mixed or undetermined prompts: "menina nua", "Kind nackt")
        langs: dict[str, set[int]] = defaultdict(set)
        for h in hits:
            langs[h.term.lang].add(h.first)
        hits = [
            h
            for h in hits
            if (
                not h.term.gated
                or _lang_ok(h.term.lang, lang)
                or (h.term.lang != "en" and langs[h.term.lang] - {h.first})
            )
            and not (h.fuzzy and not _fuzzy_lang_ok(h.term.lang, lang))
        ]
        for i in range(len(tokens) - 1):
            joined = tokens[i] + tokens[i + 1]
            if len(tokens[i]) > 4 and len(tokens[i + 1]) > 4:
                continue
            for idx in self._heads(joined):
                c = self.compiled[idx]
                if len(c.parts) != 1 or c.term.gated:
                    continue
                ok, fuzzy = self.part_matches(c.parts[0], joined, True)  # exact only
                if ok and len(joined) >= 5:
                    hits.append(Hit(c.term, i, i + 1, fuzzy))
        return hits

    def _match_from(self, c: Compiled, tokens: list[str], i: int) -> tuple[int, bool] | None:
        """Match the pattern starting at token ``i``: (last token index, fuzzy) or None."""
        gated = c.term.gated

        def go(p: int, t: int, fuzzy: bool) -> tuple[int, bool] | None:
            if p == len(c.parts):
                return t - 1, fuzzy
            part = c.parts[p]
            if part.kind == "gap":
                for skip in range(GAP + 1):
                    r = go(p + 1, t + skip, fuzzy)
                    if r is not None:
                        return r
                return None
            if t >= len(tokens):
                return None
            ok, fz = self.part_matches(part, tokens[t], gated)
            if not ok:
                return None
            return go(p + 1, t + 1, fuzzy or fz)

        return go(0, i, False)


def _lang_ok(term_lang: str, prompt_lang: str) -> bool:
    """Gated terms: English ones also in undetermined prompts; others only in their language."""
    if term_lang == "en":
        return prompt_lang in ("en", "und")
    return prompt_lang == term_lang


def _fuzzy_lang_ok(term_lang: str, prompt_lang: str) -> bool:
    """A typo is forgiven in the prompt's own language (and English, the lingua franca of
    prompts), or when the language is unknown: in an English prompt "cover" is a word, not a
    misspelt Spanish "coger"."""
    return prompt_lang in ("und", term_lang) or term_lang == "en" or prompt_lang not in LANGS


LANGS = frozenset({"en", "fr", "es", "de"})  # what the language guess can answer


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    """The shipped lexicon, compiled once per process."""
    return Matcher(terms())


def spans(norm: Normalized, hit: Hit) -> tuple[int, int]:
    """The original-text span a hit covers."""
    toks: tuple[Token, ...] = norm.tokens
    return toks[hit.first].start, toks[hit.last].end
