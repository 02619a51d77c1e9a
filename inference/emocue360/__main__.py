"""Command line: ``python -m inference.emocue360 {score,extract} ...``.

score   Score a prediction cue file against a gold cue file.
extract Turn a CSV of descriptions into a cue file.

Input problems exit with status 2 and one line on stderr that says what to fix.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

from inference.csv_cells import csv_cell_text

from .cues import MODALITIES, cue_set_to_json
from .metric import DEFAULT_TAU, MODES, VARIANTS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inference.emocue360",
        description="EmoCue-360: cue-level scoring of emotion explanations.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score predicted cues against gold cues")
    s.add_argument("--gold", required=True, help="gold cue file (JSON)")
    s.add_argument("--pred", required=True, help="predicted cue file (JSON)")
    s.add_argument(
        "--mode",
        choices=MODES,
        default="strict",
        help="strict (default) or reference (the public reference code, quirks included)",
    )
    s.add_argument(
        "--variants",
        default="",
        help=f"comma-separated extra variants: {', '.join(VARIANTS[1:])}, or 'all'",
    )
    s.add_argument("--tau", type=float, default=DEFAULT_TAU, help="threshold of hit_rate")
    s.add_argument("--ci", action="store_true", help="bootstrap 95%% confidence intervals")
    s.add_argument("--n-resamples", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--per-sample", action="store_true", help="include per-sample scores in --json")
    s.add_argument("--json", action="store_true", help="print the full result as JSON")
    s.add_argument("-o", "--output", help="also write the JSON result to this file")
    s.add_argument("--model", help="local sentence-transformers folder (default all-MiniLM-L6-v2)")
    s.add_argument(
        "--cache",
        default=os.environ.get("EMOCUE360_CACHE"),
        help="SQLite embedding cache file shared across runs (env EMOCUE360_CACHE)",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bars")

    e = sub.add_parser("extract", help="extract cues from a CSV of descriptions")
    e.add_argument("--csv", required=True, help="CSV file with one description per row")
    e.add_argument("--text-column", default="english", help="column with the description")
    e.add_argument("--name-column", default="name", help="column with the sample name")
    e.add_argument("-o", "--output", required=True, help="cue file to write (JSON)")
    e.add_argument(
        "--plain",
        action="store_true",
        help="write plain strings (reference format); subtitle cues get 'Subtitle text: '",
    )
    e.add_argument("--extractor", choices=("rules", "chat"), default="rules")
    e.add_argument(
        "--prototypes",
        action="store_true",
        help="rules: use all-MiniLM-L6-v2 prototypes for clauses no word list claims",
    )
    e.add_argument("--chat-base-url", default=os.environ.get("EMOCUE360_CHAT_BASE_URL"))
    e.add_argument("--chat-model", default=os.environ.get("EMOCUE360_CHAT_MODEL"))
    e.add_argument(
        "--chat-cache",
        default=os.environ.get("EMOCUE360_CHAT_CACHE"),
        help="SQLite file caching chat answers",
    )
    e.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _variants(value: str) -> list[str]:
    if value.strip() == "all":
        return list(VARIANTS)
    return [v.strip() for v in value.split(",") if v.strip()]


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:.4f}"


def _table(result: dict) -> str:
    config = result["config"]
    counts = result["counts"]
    lines = [
        f"EmoCue-360 v{config['metric_version']}  mode={config['mode']}  "
        f"model={config['model_id']}",
        f"gold samples: {counts['gold_samples']}  predicted samples: {counts['predicted_samples']}"
        f"  gold samples without prediction: {counts['gold_samples_without_prediction']}",
    ]
    if config["bootstrap"]:
        b = config["bootstrap"]
        lines.append(
            f"CI: {b['confidence']:.0%} bootstrap, {b['n_resamples']} resamples, seed {b['seed']}"
        )
    lines.append("")
    lines.append(
        f"{'variant':<15}{'modality':<11}{'precision':>22}{'recall':>22}{'f1':>22}{'n':>6}"
    )
    for variant, block in result["scores"].items():
        name = variant + (
            f"@{block['config']['tau']}" if block["config"]["tau"] is not None else ""
        )
        for key in (*MODALITIES, "overall"):
            row = block[key]
            cells = []
            for metric in ("precision", "recall", "f1"):
                cell = _fmt(row[metric])
                interval = (row.get("ci") or {}).get(metric)
                if interval:
                    cell += f" [{interval[0]:.3f},{interval[1]:.3f}]"
                cells.append(f"{cell:>22}")
            n = row.get("n_samples", "")
            lines.append(f"{name:<15}{key:<11}{''.join(cells)}{n!s:>6}")
    if "paper" in result["scores"] and len(result["scores"]) > 1:
        lines.append("\nThe 'paper' rows are EmoCue-360 as published; other variants are extras.")
    return "\n".join(lines)


def _cmd_score(args: argparse.Namespace) -> int:
    from .metric import Scorer

    variants = _variants(args.variants)
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise ValueError(f"unknown variant(s) {bad}; choose from {list(VARIANTS)} or 'all'")
    from .cues import load_json_file

    gold = load_json_file(args.gold, role="gold")  # fail on bad files before loading a model
    predicted = load_json_file(args.pred, role="predicted")
    scorer = Scorer(model_path=args.model, store=args.cache, show_progress=not args.quiet)
    result = scorer.score(
        gold=gold,
        predicted=predicted,
        mode=args.mode,
        variants=variants,
        tau=args.tau,
        ci=args.ci,
        n_resamples=args.n_resamples,
        seed=args.seed,
        per_sample=args.per_sample or bool(args.output),
    )
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        if not args.per_sample:
            result.pop("per_sample", None)
        print(json.dumps(result, indent=2))
    else:
        print(_table(result))
    return 0


def _read_descriptions(path: str, text_column: str, name_column: str) -> dict[str, str]:
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"CSV file {path!r} does not exist") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for column in (name_column, text_column):
                if column not in columns:
                    raise ValueError(
                        f"CSV file {path!r} has no column {column!r}; its columns are {columns}"
                    )
            descriptions: dict[str, str] = {}
            for line, row in enumerate(reader, start=2):
                name = csv_cell_text(row[name_column] or "").strip()
                if not name:
                    raise ValueError(f"{path}:{line}: empty {name_column!r}")
                if name in descriptions:
                    raise ValueError(f"{path}:{line}: sample {name!r} appears twice")
                descriptions[name] = csv_cell_text(row[text_column] or "")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"CSV file {path!r} cannot be read: {exc}") from None
    if not descriptions:
        raise ValueError(f"CSV file {path!r} has no rows")
    return descriptions


def _cmd_extract(args: argparse.Namespace) -> int:
    descriptions = _read_descriptions(args.csv, args.text_column, args.name_column)
    if args.extractor == "chat":
        from .chat import ChatCueExtractor

        if not args.chat_base_url or not args.chat_model:
            raise ValueError(
                "the chat extractor needs --chat-base-url and --chat-model "
                "(or EMOCUE360_CHAT_BASE_URL / EMOCUE360_CHAT_MODEL); "
                "the key is read from EMOCUE360_CHAT_API_KEY"
            )
        extractor = ChatCueExtractor(
            base_url=args.chat_base_url,
            model=args.chat_model,
            api_key=os.environ.get("EMOCUE360_CHAT_API_KEY"),
            cache_path=args.chat_cache,
        )
    else:
        from .extract import RuleCueExtractor

        encoder = None
        if args.prototypes:
            from .embedding import SentenceTransformerEncoder

            encoder = SentenceTransformerEncoder()
        extractor = RuleCueExtractor(encoder=encoder)
    from .extract import extract_many

    cues = extract_many(extractor, descriptions, progress=not args.quiet)
    out = {name: cue_set_to_json(cue_set, plain=args.plain) for name, cue_set in cues.items()}
    Path(args.output).write_text(
        json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    totals = {m: sum(len(c[m]) for c in cues.values()) for m in MODALITIES}
    print(
        f"wrote {args.output}: {len(cues)} samples; cues "
        + ", ".join(f"{m} {n}" for m, n in totals.items()),
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        if args.command == "score":
            return _cmd_score(args)
        return _cmd_extract(args)
    except ValueError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # e.g. the chat endpoint kept failing
        from .chat import CueExtractionError

        if isinstance(exc, CueExtractionError):
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
