"""Prompt normalisation: undo the tricks people use to get words past a filter.

The pipeline, in order: Unicode NFKC; zero-width and soft-hyphen characters removed; casefold;
look-alike letters from Cyrillic and Greek mapped to Latin; accents stripped; leetspeak undone
inside words (``n4k3d`` → ``naked``); letters spelled out with separators joined again
(``u.n.d.r.e.s.s``, ``u n d r e s s``); repeated letters squeezed (``nuuuude`` → ``nude``,
``undress`` → ``undres``: the lexicon is squeezed the same way, so both sides meet).

Every token keeps the span of the original text it came from, so a refusal can point at the
words that caused it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

ZERO_WIDTH = dict.fromkeys(
    map(
        ord,
        "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
        "\ufe0e\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff",  # emoji modifiers
    ),
    None,
)
# Cyrillic and Greek letters that look like Latin ones (after casefold), and a few symbols
CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "к": "k", "м": "m", "н": "h",
        "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i",
        "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
        "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j", "ℓ": "l",
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "c", "σ": "o",
        "μ": "u", "ϲ": "c", "ϳ": "j",
    }
)  # fmt: skip
# emoji that stand for a word the lexicon knows ("make her 👙", "no 👗", "🔞"): read as that word
EMOJI_WORDS = {
    "\U0001f459": "bikini", "\U0001fa71": "swimsuit", "\U0001fa72": "underwear",
    "\U0001f457": "dress", "\U0001f45a": "top", "\U0001f455": "shirt", "\U0001f456": "jeans",
    "\U0001fa73": "shorts", "\U0001f351": "booty",
    "\U0001f346": "penis", "\U0001f51e": "nsfw", "\U0001fae6": "seductive",
    "\U0001f476": "baby", "\U0001f9d2": "child", "\U0001f467": "little girl",
    "\U0001f466": "little boy", "\U0001f3eb": "school", "\U0001f6ab": "no",
}  # fmt: skip
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
     "@": "a", "$": "s", "€": "e", "!": "i", "|": "l", "+": "t"}
)  # fmt: skip
LEET_CHARS = "@$€!|+"
# a word: letters/digits, with leet symbols allowed inside or at the start
_WORD = re.compile(r"[@$€!|+]*[^\W_][\w@$€!|+]*")
_AGE = re.compile(
    r"(?<![\d.,])(\d{1,2})\s*(?:-\s*)?"
    r"(?:yo\b|y/o|y\.o\b|yrs?\b|years?\b|year-old|yr-old|ans\b|an\b|anos\b|años\b|ano\b"
    r"|jahre?n?\b|jahrige|jahriger|jahriges|jahrigen|jahrig|j\b|anni\b|enne\b)",
)
# "aged 16", "age 15", "âgée de 14 ans" (folded), "de 13 años", "im Alter von 12", "età di 15"
_AGED = re.compile(
    r"\b(?:aged?|age of|agee? de|edad de|alter von|eta di|idade de)\s*(\d{1,2})(?![\d.,])"
)
# ages written in words, with a word that makes them an age ("sixteen year old", "quatorze
# ans", "trece años", "vierzehnjährige"); "one" is left out ("one year ago", "un an")
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "dix sept": 17, "dix-sept": 17,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17,
    "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "elf": 11, "zwolf": 12, "dreizehn": 13, "vierzehn": 14,
    "funfzehn": 15, "sechzehn": 16, "siebzehn": 17,
}  # fmt: skip
_AGE_WORD = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))
    + r")[\s-]*(?:years?[\s-]*old|yrs?[\s-]*old|yo\b|y/o|ans\b|anos\b|jahre?\s*alt"
    r"|jahrig\w*)"
)
_GRADE = re.compile(
    r"(?:(\d{1,2})(?:st|nd|rd|th)?\s*grade|grade\s*(\d{1,2})|(\d{1,2})(?:e|eme|ieme)\s*annee"
    r"|(\d{1,2})\.?\s*klasse|klasse\s*(\d{1,2}))"
)


@dataclass(frozen=True)
class Token:
    """One normalised word and the span of the original prompt it stands for."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Normalized:
    """A prompt after the pipeline: its tokens, the joined text, and the ages it states."""

    original: str
    tokens: tuple[Token, ...]
    ages: tuple[int, ...]

    @property
    def text(self) -> str:
        """The normalised words joined by single spaces."""
        return " ".join(t.text for t in self.tokens)


def squeeze(word: str) -> str:
    """Collapse every run of one repeated letter to a single letter."""
    return re.sub(r"(.)\1+", r"\1", word)


def strip_accents(text: str) -> str:
    """Remove combining marks (é → e, ñ → n, ü → u)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """NFKC, zero-width removed, casefold, look-alikes mapped, accents stripped (same length
    bookkeeping is not kept here: use ``normalize`` for spans)."""
    text = unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).casefold()
    text = text.translate(CONFUSABLES)
    return strip_accents(text)


def canonical(word: str) -> str:
    """One lexicon word in the same form as prompt tokens (folded, leet undone, squeezed)."""
    return squeeze(fold(word).translate(LEET))


def canonical_set(words: str) -> frozenset[str]:
    """Space-separated words, each in canonical form."""
    return frozenset(canonical(w) for w in words.split())


def _fold_char(c: str) -> str:
    word = EMOJI_WORDS.get(c)
    if word is not None:
        return f" {word} "
    return fold(c)


def normalize(prompt: str) -> Normalized:
    """Run the whole pipeline over ``prompt``; tokens keep their original spans."""
    # fold character by character so each output character knows where it came from
    chars: list[str] = []
    where: list[int] = []
    for i, c in enumerate(prompt):
        for out in _fold_char(c):
            chars.append(out)
            where.append(i)
    folded = "".join(chars)
    ages = _ages(folded)
    raw: list[Token] = []
    for m in _WORD.finditer(folded):
        word = m.group(0)
        if any(ch.isalpha() for ch in word):
            word = word.translate(LEET)
        word = "".join(ch for ch in word if ch.isalnum())
        if not word:
            continue
        start = where[m.start()]
        end = where[m.end() - 1] + 1
        raw.append(Token(word, start, end))
    tokens = _join_spelled(raw, prompt)
    return Normalized(
        prompt,
        tuple(Token(squeeze(t.text), t.start, t.end) for t in tokens),
        ages,
    )


def _join_spelled(tokens: list[Token], original: str) -> list[Token]:
    """Join runs of three or more one-letter tokens: ``u n d r e s s`` → ``undress``.

    Inside a run, a separator unlike the usual one is a word break: ``m.a.k.e h.e.r`` is
    "make her", ``n a k e d   t e e n`` (wider spaces) is "naked teen".
    """
    out: list[Token] = []
    run: list[Token] = []

    def emit(part: list[Token]) -> None:
        if len(part) >= 3:
            out.append(Token("".join(t.text for t in part), part[0].start, part[-1].end))
        else:
            out.extend(part)

    def flush() -> None:
        if len(run) < 3:
            emit(run)
            run.clear()
            return
        seps = [original[a.end : b.start] for a, b in pairwise(run)]
        usual = Counter(seps).most_common(1)[0][0]
        part = [run[0]]
        for sep, t in zip(seps, run[1:], strict=True):
            if _breaks(sep, usual):
                emit(part)
                part = []
            part.append(t)
        emit(part)
        run.clear()

    for t in tokens:
        if len(t.text) == 1 and t.text.isalpha():
            if run and original[run[-1].end : t.start].strip(" .-_*·•~/\\") != "":
                flush()
            run.append(t)
        else:
            flush()
            out.append(t)
    flush()
    return out


def _breaks(sep: str, usual: str) -> bool:
    """Whether ``sep`` between two spelled-out letters ends a word, given the usual one."""
    if sep == usual or not any(c.isspace() for c in sep):
        return False
    if not usual.isspace():
        return True  # letters joined by dots, words parted by spaces
    return not sep.isspace() or len(sep) > len(usual)


def _ages(folded: str) -> tuple[int, ...]:
    """Ages stated in the prompt ("12 yo", "14 ans", "13-jährige", "8th grade" → 13)."""
    found: list[int] = []
    for m in _AGE.finditer(folded):
        found.append(int(m.group(1)))
    for m in _AGED.finditer(folded):
        found.append(int(m.group(1)))
    for m in _AGE_WORD.finditer(folded):
        found.append(_NUMBER_WORDS[m.group(1)])
    for m in _GRADE.finditer(folded):
        n = next(int(g) for g in m.groups() if g)
        if 1 <= n <= 12:
            found.append(n + 5)  # grade n is about age n + 5 (US grades, Klasse, année)
    return tuple(found)
