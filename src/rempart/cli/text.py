"""``rempart text``: classify text, train and evaluate the text policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rempart.cli.common import console, err, fail, handled, services

if TYPE_CHECKING:
    from rempart.classify.text.service import TextClassifier

app = typer.Typer(help="Text policy: classify posts, train and evaluate.", no_args_is_help=True)

TextArg = Annotated[str, typer.Argument(help="the text, or - to read it from stdin")]
Lang = Annotated[str | None, typer.Option("--lang", help="language code (else detected)")]
DataDir = Annotated[
    Path | None, typer.Option("--data", help="labelled data folder (default: the package's)")
]
Weights = Annotated[
    Path | None, typer.Option("--weights", help="weights file (default: the package's)")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="JSON on stdout")]


def _read(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


def _classifier(weights: Path | None) -> TextClassifier:
    from rempart.classify.text.service import TextClassifier

    return TextClassifier(weights) if weights else TextClassifier.default()


@app.command()
@handled
def classify(text: TextArg, lang: Lang = None, weights: Weights = None) -> None:
    """Score a text for denial, hate, grooming and threats (JSON)."""
    report = _classifier(weights).classify(_read(text), lang)
    console.print_json(report.model_dump_json())


@app.command()
@handled
def scan(
    text: TextArg,
    lang: Lang = None,
    bank: Annotated[
        list[str] | None, typer.Option("--bank", help="only this bank (repeat)")
    ] = None,
) -> None:
    """Match a text against the text banks and score it (JSON), like ``POST /v1/text/scan``."""
    from rempart.scan.text import scan_text

    with services() as ctx:
        result = scan_text(ctx.lookup, ctx.text_classifier, _read(text), lang, bank)
    console.print_json(result.model_dump_json())


@app.command()
@handled
def train(
    data: DataDir = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="weights file to write (default: the package's)")
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="embedding cache file (default: under REMPART_HOME)"),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="embed everything afresh")] = False,
) -> None:
    """Embed the labelled data and fit one calibrated linear model per category."""
    from rempart.classify.text import dataset
    from rempart.classify.text.service import default_weights_path
    from rempart.classify.text.train import EmbeddingCache, write_model
    from rempart.classify.text.train import train as fit
    from rempart.config import get_settings

    examples = dataset.load(data)
    cache_path = None if no_cache else cache or get_settings().home / "cache" / "text-emb.npz"
    with Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        doc = fit(examples, EmbeddingCache(cache_path), progress)
    target = out or default_weights_path()
    version = write_model(doc, target)
    table = Table(title=f"text policy {version} (cross-validated on the train split)")
    for col in ("category", "threshold", "precision", "recall", "F1", "train", "positive"):
        table.add_column(col)
    for cat, d in doc["categories"].items():
        cv = d["cv"]
        table.add_row(
            cat, f"{d['threshold']:.3f}", f"{cv['precision']:.3f}", f"{cv['recall']:.3f}",
            f"{cv['f1']:.3f}", str(cv["train"]), str(cv["train_positive"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"wrote {target} (version {version})")


@app.command("eval")
@handled
def evaluate(
    data: DataDir = None,
    weights: Weights = None,
    as_json: JsonFlag = False,
    write: Annotated[
        bool, typer.Option("--write-metrics", help="also write data/metrics.json")
    ] = False,
) -> None:
    """Precision, recall and F1 per category and language on the test split."""
    from rempart.classify.text import dataset
    from rempart.classify.text.evaluate import evaluate as run
    from rempart.classify.text.evaluate import write_metrics

    examples = dataset.load(data)
    if not any(e.split == "test" for e in examples):
        raise fail("the data has no test split to evaluate on")
    metrics = run(_classifier(weights), examples)
    if write:
        err.print(f"wrote {write_metrics(metrics)}")
    if as_json:
        print(json.dumps(metrics, sort_keys=True))
        return
    table = Table(title=f"text policy {metrics['version']} on the test split")
    for col in (
        "lang",
        "category",
        "precision",
        "recall",
        "F1",
        "test",
        "positive",
        "hard neg. FP",
        "other cat. FP",
    ):
        table.add_column(col)
    for lang, cats in metrics["results"].items():
        for cat, r in cats.items():
            table.add_row(
                lang, cat, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                str(r["test"]), str(r["positive"]),
                f"{r['hard_negative_flagged']}/{r['hard_negative']}",
                f"{r['other_positive_flagged']}/{r['other_positive']}",
            )  # fmt: skip
    console.print(table)
    console.print(f"{metrics['ms_per_text']} ms per text")
