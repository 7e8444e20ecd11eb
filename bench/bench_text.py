"""Text policy benchmark: precision, recall and F1 per category and language on the held-out
test split of the project's labelled data, the hard negatives wrongly flagged, the speed per
text, and the text-bank lookup time; writes ``data/metrics.json`` (read by the transparency
report's automated-means part) unless ``--no-write``.

The model is the shipped one (``rempart text train`` wrote it from the train split; its
thresholds were chosen by cross-validation on that split only).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rempart.classify.text import dataset
from rempart.classify.text.evaluate import evaluate, write_metrics
from rempart.classify.text.service import TextClassifier


def single_text_ms(clf: TextClassifier, texts: list[str]) -> tuple[float, float]:
    """Median and 95th percentile milliseconds to classify one text on its own."""
    times = []
    for t in texts:
        start = time.perf_counter()
        clf.classify(t)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    """Run the evaluation and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer texts for the speed figure")
    ap.add_argument("--no-write", action="store_true", help="do not write data/metrics.json")
    args = ap.parse_args()
    clf = TextClassifier.default()
    examples = dataset.load()
    metrics = evaluate(clf, examples)
    test = [e.text for e in examples if e.split == "test"]
    median, p95 = single_text_ms(clf, test[: 30 if args.quick else 200])
    metrics["ms_per_text_single"] = {"median": round(median, 2), "p95": round(p95, 2)}
    print(f"text policy {clf.version} ({clf.model}), test split, thresholds from train CV")
    print(f"{'lang':<5} {'category':<9} {'P':>6} {'R':>6} {'F1':>6} {'test':>5} {'pos':>4} "
          f"{'hard neg FP':>12} {'other cat FP':>13}")  # fmt: skip
    for lang, cats in metrics["results"].items():
        for cat, r in cats.items():
            print(f"{lang:<5} {cat:<9} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} "
                  f"{r['test']:>5} {r['positive']:>4} "
                  f"{r['hard_negative_flagged']:>5}/{r['hard_negative']:<6}"
                  f"{r['other_positive_flagged']:>6}/{r['other_positive']:<6}")  # fmt: skip
    print(f"speed: {metrics['ms_per_text']:.1f} ms/text in batches of 64, "
          f"{median:.1f} ms median ({p95:.1f} ms p95) one at a time, 1 process")  # fmt: skip
    if not args.no_write:
        print(f"wrote {write_metrics(metrics)}")


if __name__ == "__main__":
    main()
