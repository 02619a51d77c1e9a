"""Two checkouts' speed, compared as ratios taken in one run: bench/web.py and bench/load.py run
in turns against another checkout (`--serve PATH`) and this one, in the order ABBA, BAAB, ...
so that a drift of the shared machine falls on both, and each pair gives a ratio (this
checkout's figure over the other's). Reports every pair and the median ratio with its range.

On this 2-core shared machine one process's CPU time can move by 10-15% from one run to the
next (the same code, the machine otherwise idle), so a single pair says little; the median of
several pairs, and the agreement of its range with 1.0 or not, is what to read, beside the
ratio of the two sides' best runs.

    git worktree add --detach /tmp/base 784664f && ln -s "$PWD/.venv" /tmp/base/.venv
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/compare.py /tmp/base [--pairs 4] [--web-n 100] [--load-seconds 40]

With --lockstep, bench/web.py's page and save run in two processes at once, one per checkout,
answering one request each in turn, and each round gives a ratio: the machine's drift, which
moves whole runs by 10-15%, then falls on both alike.

The other checkout must serve the same URLs and answer the same forms (bench/load.py builds its
data with this checkout's code: the schema must be the same; bench/web.py builds its own).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# (bench, key in its JSON, label, True when higher is better)
FIGURES = [
    ("web", ("page", "p50_ms"), "web.py page p50 ms", False),
    ("web", ("page", "cpu_p50_ms"), "web.py page CPU p50 ms", False),
    ("web", ("save", "p50_ms"), "web.py save p50 ms", False),
    ("web", ("save", "cpu_p50_ms"), "web.py save CPU p50 ms", False),
    ("web", ("page", "page_faults"), "web.py page faults/request", False),
    ("load", ("requests_per_s",), "load.py requests/s", True),
    ("load", ("server_cpu_ms",), "load.py server CPU ms/request", False),
    ("load", ("postgres_cpu_ms",), "load.py PostgreSQL CPU ms/request", False),
]


def _command(script: str, serve: Path | None, *options: str) -> list[str]:
    """bench/<script> with its options, serving the other checkout's code when `serve` is set."""
    return [sys.executable, str(BENCH / script), *options] + (
        ["--serve", str(serve)] if serve else []
    )


def _describe(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()


def _per_kind() -> dict[str, dict[str, list[float]]]:
    return {kind: {"ms": [], "cpu_ms": []} for kind in ("page", "save")}


def _web(serve: Path | None, args: argparse.Namespace) -> dict:
    command = _command(
        "web.py", serve, "--json", "--n", str(args.web_n), "--cues", str(args.web_cues)
    )
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: over a budget, still measured
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout[done.stdout.index("{") :])


def _load(serve: Path | None, args: argparse.Namespace) -> dict:
    command = _command("load.py", serve, "--json", "--seconds", str(args.load_seconds))
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("JSON ")]
    if done.returncode or not lines:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout[-3000:]}")
    return json.loads(lines[-1][5:])


def _lockstep(other: Path, args: argparse.Namespace) -> None:
    """bench/web.py --lockstep for both checkouts at once, one request each in turn (ABBA):
    what the machine does meanwhile falls on both alike. Per kind, the median over the
    rounds of the ratio of the two answers (wall clock and CPU), for each pair of processes
    and over all of them."""
    rows = _per_kind()
    for pair in range(args.pairs):
        procs = {}
        for name, serve in (("other", other), ("this", None)):
            command = _command(
                "web.py", serve, "--lockstep", "--n", "20", "--cues", str(args.web_cues)
            )
            procs[name] = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        for proc in procs.values():
            if not any(line.strip() == "ready" for line in proc.stdout):
                sys.exit(f"a bench/web.py --lockstep ended before it was ready (pair {pair + 1})")

        def ask(proc: subprocess.Popen, kind: str) -> dict:
            """--burst requests of the kind in a row (hot caches, as in a whole run), summed."""
            total = {"ms": 0.0, "cpu_ms": 0.0}
            for _ in range(args.burst):
                proc.stdin.write(kind + "\n")
                proc.stdin.flush()
                answer = json.loads(proc.stdout.readline())
                total = {figure: total[figure] + answer[figure] for figure in total}
            return total

        mine = _per_kind()
        for i in range(args.rounds):
            for kind in ("page", "save"):
                order = ("other", "this") if i % 2 == 0 else ("this", "other")
                got = {name: ask(procs[name], kind) for name in order}
                for figure in ("ms", "cpu_ms"):
                    ratio = got["this"][figure] / got["other"][figure]
                    mine[kind][figure].append(ratio)
                    rows[kind][figure].append(ratio)
        for proc in procs.values():
            proc.stdin.write("\n")
            proc.stdin.close()
            proc.wait(timeout=120)
        print(
            f"process pair {pair + 1}: "
            + "; ".join(
                f"{kind} {figure} {statistics.median(mine[kind][figure]):.3f}x"
                for kind in mine
                for figure in ("ms", "cpu_ms")
            ),
            flush=True,
        )
    print()
    print("| request | figure | ratio this/other: median of all rounds | quartiles | rounds |")
    print("|---|---|---:|---|---:|")
    for kind, figures in rows.items():
        for figure, ratios in figures.items():
            q1, _, q3 = statistics.quantiles(ratios, n=4)
            print(
                f"| {kind} | {'wall clock' if figure == 'ms' else 'CPU'} | "
                f"{statistics.median(ratios):.3f}x | {q1:.3f}-{q3:.3f} | {len(ratios)} |"
            )


def _pick(result: dict, key: tuple[str, ...]) -> float:
    for part in key:
        result = result[part]
    return float(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (the base of the ratios)")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--benches", default="web,load", help="web, load or both (default)")
    parser.add_argument("--web-n", type=int, default=100)
    parser.add_argument("--web-cues", type=int, default=300)
    parser.add_argument("--load-seconds", type=float, default=40.0)
    parser.add_argument(
        "--lockstep",
        action="store_true",
        help="bench/web.py's two requests, the checkouts answering in turns (--rounds each, "
        "for --pairs pairs of processes), instead of whole runs in turns",
    )
    parser.add_argument("--rounds", type=int, default=100, help="with --lockstep")
    parser.add_argument(
        "--burst",
        type=int,
        default=1,
        help="with --lockstep: requests of a kind in a row in each turn (their sum is compared)",
    )
    args = parser.parse_args()
    other = args.other.resolve()
    if args.lockstep:
        print(
            f"# bench/compare.py --lockstep {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: this checkout "
            f"over {other}, {args.pairs} pairs of processes x {args.rounds} rounds, "
            f"bursts of {args.burst}, {args.web_cues} cues, load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        _lockstep(other, args)
        return 0
    benches = [b for b in ("web", "load") if b in args.benches.split(",")]
    runners = {"web": _web, "load": _load}
    print(
        f"# bench/compare.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: this checkout "
        f"({_describe(BENCH.parent)}) over {other} ({_describe(other)}), {args.pairs} pairs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    pairs: dict[str, list[tuple[dict, dict]]] = {b: [] for b in benches}
    for i in range(args.pairs):
        for bench in benches:
            sides = (("other", other), ("this", None))
            order = sides if i % 2 == 0 else sides[::-1]
            got = {name: runners[bench](serve, args) for name, serve in order}
            b, a = got["other"], got["this"]
            pairs[bench].append((b, a))
            first = "base first" if i % 2 == 0 else "this first"
            shown = [
                f"{label.split(' ', 1)[1]} {_pick(b, key):.2f} -> {_pick(a, key):.2f}"
                for name, key, label, _ in FIGURES
                if name == bench
            ]
            print(f"pair {i + 1} {bench} ({first}): " + "; ".join(shown), flush=True)
    print()
    print(
        "| figure | other: median (best) | this: median (best) | ratio this/other: median "
        "| range | ratio of the bests |"
    )
    print("|---|---:|---:|---:|---|---:|")
    for bench, key, label, higher_better in FIGURES:
        if bench not in pairs:
            continue
        before = [_pick(b, key) for b, _ in pairs[bench]]
        after = [_pick(a, key) for _, a in pairs[bench]]
        ratios = [a / b if b else float("nan") for b, a in zip(before, after, strict=True)]
        # The best run of each side: on a machine whose noise only ever adds time, the least
        # disturbed run is the nearest to what the code costs.
        best = max if higher_better else min
        print(
            f"| {label} | {statistics.median(before):.2f} ({best(before):.2f}) | "
            f"{statistics.median(after):.2f} ({best(after):.2f}) | "
            f"{statistics.median(ratios):.3f}x | {min(ratios):.3f}-{max(ratios):.3f} | "
            f"{best(after) / best(before) if best(before) else float('nan'):.3f}x |"
        )
    errors = sum(a.get("errors", 0) + b.get("errors", 0) for b, a in pairs.get("load", []))
    print(f"\nload.py errors in all runs: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
