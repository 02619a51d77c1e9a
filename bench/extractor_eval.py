"""Evaluate the offline cue extractor on a CSV of real descriptions.

Reports cues per modality (mean, median, max per description), how often a modality comes
out empty, cue kinds, the extraction speed, and a sample of outputs beside the source
sentences. The data file is an argument: it is never part of the repository.

    python bench/extractor_eval.py /path/to/emer-v1-gt-eng.csv --text-column reasons \
        --name-column names [--show 5] [--seed 0] [--markdown]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.csv_cells import csv_cell_text  # noqa: E402
from inference.emocue360 import MODALITIES, RuleCueExtractor  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="CSV file with descriptions")
    parser.add_argument("--text-column", default="reasons")
    parser.add_argument("--name-column", default="names")
    parser.add_argument("--show", type=int, default=5, help="examples to print")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print tables for RESULTS.md")
    args = parser.parse_args()

    with open(args.csv, newline="", encoding="utf-8-sig") as fh:
        # Cells an EmoCue export made spreadsheet-safe read back as their exact text.
        rows = [
            (csv_cell_text(r[args.name_column]), csv_cell_text(r[args.text_column] or ""))
            for r in csv.DictReader(fh)
        ]
    extractor = RuleCueExtractor()
    start = time.perf_counter()
    results = {name: extractor.extract(text) for name, text in rows}
    elapsed = time.perf_counter() - start

    n = len(rows)
    print(f"descriptions: {n}; extraction {elapsed * 1000 / n:.2f} ms each (rules, no model)\n")
    if args.markdown:
        print("| modality | cues total | mean per description | median | max | empty |")
        print("|---|---:|---:|---:|---:|---:|")
    for modality in MODALITIES:
        counts = [len(r[modality]) for r in results.values()]
        empty = sum(1 for c in counts if c == 0)
        kinds = {}
        for r in results.values():
            for cue in r[modality]:
                kinds[cue.kind] = kinds.get(cue.kind, 0) + 1
        if args.markdown:
            print(
                f"| {modality} | {sum(counts)} | {statistics.mean(counts):.2f} | "
                f"{statistics.median(counts):g} | {max(counts)} | {empty} ({empty / n:.0%}) |"
            )
        else:
            print(
                f"{modality:>10}: {sum(counts)} cues, mean {statistics.mean(counts):.2f}, "
                f"median {statistics.median(counts):g}, max {max(counts)}, "
                f"empty in {empty}/{n} ({empty / n:.0%}); kinds {kinds}"
            )
    no_subtitle_auditory = sum(
        1 for r in results.values() if not [c for c in r["auditory"] if c.kind != "subtitle"]
    )
    print(
        f"\nauditory empty once subtitle cues are set aside: {no_subtitle_auditory}/{n} "
        f"({no_subtitle_auditory / n:.0%})"
    )

    rng = random.Random(args.seed)
    for name, text in rng.sample(rows, min(args.show, n)):
        print(f"\n--- {name}\n{text}")
        for modality in MODALITIES:
            for cue in results[name][modality]:
                print(f"  {modality:<9} {cue.kind:<11} {cue.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
