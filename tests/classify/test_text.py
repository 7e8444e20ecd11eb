"""The text policy classifier on held-out sentences written for this test (not in the
training data), hard negatives included; input limits; the CLI; reproducible training."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rempart.classify.text import dataset
from rempart.classify.text.dataset import CATEGORIES
from rempart.classify.text.embed import MAX_TOKENS
from rempart.classify.text.lang import detect
from rempart.classify.text.service import TextClassifier, TextReport, default_weights_path
from rempart.classify.text.train import EmbeddingCache, train, write_model
from rempart.cli.main import app
from rempart.errors import Invalid
from rempart.policy.engine import evaluate
from rempart.policy.facts import ClassifierFact, Facts, ItemFact
from rempart.policy.loader import load_policy
from rempart.policy.service import default_text

runner = CliRunner()

HELD_OUT: dict[tuple[str, str], list[str]] = {
    ("denial", "en"): [
        "Nobody was ever gassed at Treblinka, the whole story was cooked up after the war",
        "the 6 million figure is pure fiction, check the red cross numbers lol",
        "Anne Frank's diary is a forgery written with a ballpoint pen, wake up",
        "Holohoax. Zero evidence, just survivor tales and Hollywood movies",
        "there was no genocide in Rwanda, it was a civil war and both sides exaggerate",
    ],
    ("denial", "fr"): [
        (
            "Personne n'a jamais été gazé à Treblinka, toute cette histoire a été inventée après "
            "la "
            "guerre"
        ),
        "les 6 millions c'est du pipeau total, regardez les vrais chiffres",
        "le journal d'Anne Frank est un faux écrit au stylo bille, réveillez-vous",
        "Shoah = mensonge. Aucune preuve, que des témoignages bidons et des films",
        "les chambres à gaz c'est un point de détail monté en mythe pour culpabiliser l'Europe",
    ],
    ("hate", "en"): [
        "those people are vermin and should be driven out of our towns",
        "muslims are a disease spreading through europe, they are not human",
        "gay people are degenerates who should be locked away from decent society",
        "every single one of them is a parasite living off our taxes, subhuman trash",
        "black people are animals, keep them out of our neighbourhood",
    ],
    ("hate", "fr"): [
        "ces gens-là sont de la vermine, il faut les chasser de nos villes",
        "les musulmans sont une maladie qui ronge la France, ce ne sont pas des humains",
        "les homos sont des dégénérés qu'il faudrait enfermer loin des gens normaux",
        "tous des parasites qui vivent sur nos impôts, des sous-hommes",
        "les noirs sont des animaux, qu'ils restent loin de notre quartier",
    ],
    ("grooming", "en"): [
        "how old are u? 12? cool, ur really mature for ur age, dont tell ur mom we talk ok",
        "let's move to snap, this app is too public. it'll be our little secret",
        "i can buy u that game skin if u send me a pic of u in ur pyjamas",
        "delete our messages after reading so ur parents dont find out, promise?",
        "are you home alone after school? i could come pick you up, just us two",
    ],
    ("grooming", "fr"): [
        "t'as quel âge ? 12 ans ? t'es super mature pour ton âge, dis rien à ta mère ok",
        "viens on passe sur snap, ici c'est trop public. ce sera notre petit secret",
        "je peux t'acheter des skins si tu m'envoies une photo de toi en pyjama",
        "efface nos messages après les avoir lus pour que tes parents sachent pas, promis ?",
        "t'es seule chez toi après l'école ? je peux venir te chercher, juste nous deux",
    ],
    ("threat", "en"): [
        "I know where you live and I'm coming with a knife tonight",
        "keep talking and I will put a bullet in your head",
        "we'll burn your house down with your family inside",
        "next time I see you at the station I'm going to break your legs",
        "you have 24h to delete that post or you're dead, I swear",
    ],
    ("threat", "fr"): [
        "je sais où t'habites et je viens avec un couteau ce soir",
        "continue à parler et je te mets une balle dans la tête",
        "on va brûler ta maison avec ta famille dedans",
        "la prochaine fois que je te croise à la gare je te casse les jambes",
        "t'as 24h pour supprimer ce post sinon t'es mort, je te jure",
    ],
}
# per language: history teaching, a news report condemning a denier, counter-speech against
# hate (never flagged); then ordinary texts near a category (at most one flagged)
HARD_NEGATIVES: dict[str, list[str]] = {
    "en": [
        (
            "In today's history lesson we study how the Nazis murdered six million Jews in the "
            "Holocaust"
        ),
        (
            "The court convicted a man who claimed the gas chambers never existed; the judge "
            "called "
            "his denial an insult to the victims"
        ),
        (
            "If you see someone calling refugees vermin, report it. Dehumanising language is how "
            "persecution starts"
        ),
        "My daughter is 12, how do I set up parental controls so strangers can't message her?",
        "In the game you have to kill the dragon before it burns the village",
        "I'm going to kill it at the interview tomorrow, wish me luck",
        "Hey, you looked great at the party last night, want to grab a drink on Friday?",
    ],
    "fr": [
        (
            "En cours d'histoire aujourd'hui, on étudie comment les nazis ont assassiné six "
            "millions "
            "de Juifs pendant la Shoah"
        ),
        (
            "Le tribunal a condamné un homme qui affirmait que les chambres à gaz n'ont jamais "
            "existé"
            " ; le juge a qualifié ce négationnisme d'insulte aux victimes"
        ),
        (
            "Si vous voyez quelqu'un traiter les réfugiés de vermine, signalez-le. La "
            "déshumanisation"
            " précède la persécution"
        ),
        (
            "Ma fille a 12 ans, comment activer le contrôle parental pour que des inconnus ne "
            "puissent pas lui écrire ?"
        ),
        "Dans le jeu, il faut tuer le dragon avant qu'il brûle le village",
        "Je vais tout déchirer à l'entretien demain, souhaite-moi bonne chance",
        "Salut, tu étais superbe à la soirée hier, on prend un verre vendredi ?",
    ],
}
# counter-speech that restates the denier's claim in order to refute it
RESTATING: dict[str, list[str]] = {
    "en": [
        (
            "Saying the Holocaust didn't happen is a lie: the camps, the documents and the "
            "survivors "
            "prove it"
        ),
    ],
    "fr": [
        (
            "Dire que la Shoah n'a pas eu lieu est un mensonge : les camps, les archives et les "
            "survivants le prouvent"
        ),
    ],
}


@pytest.fixture(scope="module")
def clf() -> TextClassifier:
    """The shipped model, loaded once for the module."""
    return TextClassifier.default()


@pytest.fixture(scope="module")
def held_out(clf: TextClassifier) -> dict[tuple[str, str], list[TextReport]]:
    """Reports of every held-out positive, computed once (one batch)."""
    keys = sorted(HELD_OUT)
    reports = clf.classify_many([t for k in keys for t in HELD_OUT[k]])
    out, i = {}, 0
    for k in keys:
        out[k] = reports[i : i + len(HELD_OUT[k])]
        i += len(HELD_OUT[k])
    return out


def test_held_out_sentences_are_not_training_data() -> None:
    known = {e.text.casefold() for e in dataset.load()}
    fresh = [t for texts in (*HELD_OUT.values(), *HARD_NEGATIVES.values()) for t in texts]
    assert not [t for t in fresh if t.casefold() in known]


@pytest.mark.parametrize(("category", "lang"), sorted(HELD_OUT))
def test_flags_held_out_positives(
    held_out: dict[tuple[str, str], list[TextReport]], category: str, lang: str
) -> None:
    reports = held_out[(category, lang)]
    hits = [r for r in reports if category in r.flagged]
    # most of them: the thresholds trade recall (about 0.75-0.95 on the test split) for precision
    assert len(hits) >= 3, [(r.scores[category], r.flagged) for r in reports]
    assert all(r.language == lang for r in reports)


def test_flags_most_held_out_positives_overall(
    held_out: dict[tuple[str, str], list[TextReport]],
) -> None:
    found = sum(category in r.flagged for (category, _), rs in held_out.items() for r in rs)
    assert found >= 32, f"{found} of 40"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hard_negatives_are_not_flagged(clf: TextClassifier, lang: str) -> None:
    texts = HARD_NEGATIVES[lang]
    reports = clf.classify_many(texts)
    assert [r.flagged for r in reports[:3]] == [[], [], []], [r.scores for r in reports[:3]]
    flagged = [(t, r.flagged) for t, r in zip(texts[3:], reports[3:], strict=True) if r.flagged]
    assert len(flagged) <= 1, flagged


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_counter_speech_restating_the_claim_is_never_acted_on_by_a_machine(
    clf: TextClassifier, lang: str
) -> None:
    """Known limit (README): restating a denial to refute it embeds close to the denial and is
    often flagged. What users rely on: the shipped policy sends such a flag to a person, and
    never removes or restricts the text itself."""
    policy = load_policy(default_text())
    for report in clf.classify_many(RESTATING[lang]):
        facts = Facts(
            classifiers={
                f"text_{c}": ClassifierFact(score=s, flagged=c in report.flagged)
                for c, s in report.scores.items()
            },
            item=ItemFact(content_type=["CONTENT_TYPE_TEXT"]),
        )
        verdict = evaluate(policy, facts)
        assert verdict.outcome in ("allow", "review") and verdict.decision is None


def test_report_shape_facts_and_version(clf: TextClassifier) -> None:
    r = clf.classify("je vais te retrouver et te tuer", lang="FR")
    assert r.language == "fr" and not r.language_detected
    assert set(r.scores) == set(CATEGORIES) and all(0.0 <= s <= 1.0 for s in r.scores.values())
    assert set(r.facts()) == {"text_denial", "text_hate", "text_grooming", "text_threat"}
    fact = r.facts()["text_threat"]
    assert fact["score"] == r.scores["threat"] and fact["model"] == r.model
    digest = hashlib.sha256(default_weights_path().read_bytes()).hexdigest()[:12]
    assert r.version == fact["version"] == digest
    assert "threat" in r.flagged and r.scores["threat"] >= r.thresholds["threat"]


def test_empty_and_blank_text_are_refused(clf: TextClassifier) -> None:
    for bad in ("", "   \n\t "):
        with pytest.raises(Invalid, match="empty"):
            clf.classify(bad)
    with pytest.raises(ValueError, match="language code"):
        clf.classify("hello", lang="english please")


def test_long_text_is_cut_at_the_model_window_and_says_so(clf: TextClassifier) -> None:
    long = "The weather was mild and the market was busy that morning. " * 200
    r = clf.classify(long)
    assert r.truncated and r.tokens <= MAX_TOKENS
    assert not clf.classify("the market was busy").truncated


def test_language_guess() -> None:
    assert detect("I will find you and hurt you") == "en"
    assert detect("je vais te retrouver et te faire mal") == "fr"
    assert detect("Te voy a encontrar y hacerte daño") == "es"
    assert detect("Ich werde dich finden und dir wehtun") == "de"
    assert detect("ok") == detect("Привет, как дела?") == detect("1234 !!") == "und"


def test_cli_classify_prints_json_and_refuses_blank() -> None:
    r = runner.invoke(app, ["text", "classify", "keep talking and I will put a bullet in you"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert "threat" in out["flagged"] and out["language"] == "en"
    r = runner.invoke(app, ["text", "classify", "  "])
    assert r.exit_code == 1 and "empty" in r.stderr


# --- training: a small data folder made here ------------------------------------------------
SMALL = {
    "threat": (
        [
            "I will stab you when you leave work",
            "you're dead tomorrow, I'm bringing a gun",
            "je vais te défoncer la tête à la sortie",
            "we will find your kids and hurt them",
            "one more word and I break your neck",
            "t'es mort ce soir, je t'attends devant chez toi",
        ],
        [
            "the film's villain threatens to blow up the city",
            "I'm dying to see that concert tomorrow",
            "il a menacé son voisin, la police l'a arrêté",
            "lovely weather for a picnic today",
            "on se retrouve au café à midi ?",
            "my cat knocked the vase off the table",
        ],
    ),
}


def _write_data(root: Path) -> None:
    for category, (pos, neg) in SMALL.items():
        for lang in ("en", "fr"):
            d = root / lang
            d.mkdir(parents=True, exist_ok=True)
            lines = []
            for i, t in enumerate(pos + neg):
                label = int(i < len(pos))
                kind = "positive" if label else ("hard_negative" if i % 2 else "negative")
                split = "test" if i % 6 == 5 else "train"
                row = {"text": f"{t} ({lang})", "label": label, "kind": kind, "split": split}
                lines.append(json.dumps(row))
            (d / f"{category}.jsonl").write_text("\n".join(lines) + "\n")


def test_training_is_reproducible_and_the_cli_evaluates(tmp_path: Path) -> None:
    _write_data(tmp_path / "data")
    examples = dataset.load(tmp_path / "data")
    cache = EmbeddingCache(tmp_path / "cache.npz")
    v1 = write_model(train(examples, cache), tmp_path / "a.json")
    assert (tmp_path / "cache.npz").exists()
    v2 = write_model(train(examples, EmbeddingCache(None)), tmp_path / "b.json")
    assert v1 == v2 and (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    doc = json.loads((tmp_path / "a.json").read_text())
    assert (
        set(doc["categories"]) == {"threat"} and len(doc["categories"]["threat"]["weights"]) == 384
    )
    r = runner.invoke(
        app,
        ["text", "eval", "--data", str(tmp_path / "data"), "--weights", str(tmp_path / "a.json"),
         "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    metrics = json.loads(r.stdout)
    assert metrics["version"] == v1 and set(metrics["results"]) == {"all", "en", "fr"}
    assert metrics["results"]["en"]["threat"]["test"] == 2


def test_bad_data_line_names_file_and_line(tmp_path: Path) -> None:
    d = tmp_path / "data" / "en"
    d.mkdir(parents=True)
    good = {"text": "hi", "label": 0, "kind": "negative", "split": "train"}
    (d / "hate.jsonl").write_text(json.dumps(good) + '\n{"text": "x", "label": 2}\n')
    with pytest.raises(Invalid, match=r"hate\.jsonl:2: 'label'"):
        dataset.load(tmp_path / "data")
