"""Offline language guess for en, fr, es and de: script first, then stopwords and accents.

It only labels reports and metrics; the classifier and the text banks are multilingual and
do not depend on it. Short or mixed texts come back ``und`` (undetermined) rather than a guess.
"""

from __future__ import annotations

import re

SUPPORTED = ("en", "fr", "es", "de")
UNDETERMINED = "und"


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_STOP: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were you your they them this that with have has not for what "
        "of to it be will just they're don't i'm im u ur my me we our all who how why when "
        "there their he she his her its been would should could because about from "
        "do does did can if so no yes never going gonna want"
    ),
    "fr": _words(
        "le la les et est sont des une un du que qui ne pas pour avec dans sur ce cette ces "
        "je tu il elle nous vous ils elles on mon ton son mes tes ses au aux mais ou donc "
        "c'est j'ai t'es t'as y'a tout tous très été être avoir fait leur leurs qu'ils moi toi "
        "suis es sera te ta ma sa vais va vas ça ca faire rien comme plus bien lui ces "
        "quoi jamais parce toujours aussi alors chez vraiment"
    ),
    "es": _words(
        "el la los las y es son de del que en un una por para con no se lo le su sus al "
        "como pero más muy yo tú te mi me nos ellos ellas esto esta este eso fue ser está "
        "están hay todo todos también porque cuando"
    ),
    "de": _words(
        "der die das und ist sind nicht ein eine einen dem den des zu mit auf für von ich du "
        "er sie es wir ihr mich dich mir dir sich auch aber oder wenn dass doch noch nur so "
        "wie was wer bin bist hat habe haben wird werden war kein keine ja nein nicht "
        "dein deine mein meine euch uns immer jetzt hier schon"
    ),
}
_MARKS: dict[str, str] = {"fr": "àâçéèêëîïôœùûü", "es": "ñ¿¡áíóú", "de": "äöüß"}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def detect(text: str) -> str:
    """``en``/``fr``/``es``/``de``, or ``und`` when no language clearly leads."""
    lowered = text.lower().replace("’", "'")
    letters = [c for c in lowered if c.isalpha()]
    if not letters:
        return UNDETERMINED
    latin = sum(1 for c in letters if c < "ɏ")
    if latin < 0.6 * len(letters):
        return UNDETERMINED  # another script: none of the four
    words = _WORD.findall(lowered)
    scores = {lang: 0.0 for lang in SUPPORTED}
    for w in words:
        for lang, stop in _STOP.items():
            if w in stop:
                scores[lang] += 1.0
            elif "'" in w and w.split("'")[0] + "'" in ("l'", "d'", "j'", "c'", "qu'", "n'"):
                scores["fr"] += 0.5 if lang == "fr" else 0.0
    for lang, marks in _MARKS.items():
        scores[lang] += 0.5 * sum(1 for c in lowered if c in marks)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0 or top < 1.25 * second:
        return UNDETERMINED
    return best


def check_lang(lang: str | None) -> str | None:
    """A caller's language code, lowercased; ``None`` passes (the text is then detected)."""
    if lang is None:
        return None
    code = lang.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", code):
        raise ValueError(f"lang must be a language code such as 'en' or 'fr', got {lang!r}")
    return code
