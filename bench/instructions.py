"""Instructions per request, counted by valgrind's callgrind: the same three requests as
bench/load.py (timeline page, workspace fragment, cue save), served in-process by Django's
test client (CSRF enforced) from one PostgreSQL database, for two or more checkouts of the
code. Wall-clock benches on a shared 2-core machine drift by several per cent between runs;
an instruction count is the same to about 0.1% whatever else the machine is doing, so it can
tell a 3% difference that bench/load.py cannot.

Each checkout (a git ref, checked out into a temporary worktree, or "." for the working tree)
runs in its own process under `valgrind --tool=callgrind --instr-atstart=no`: Django starts
and each kind of request is warmed up uninstrumented, then instrumentation is switched on
around each of --requests requests of one kind (the client's reading of the answer is not
counted) and the total is read from callgrind's dump, less what the switching alone costs
(measured the same way around no request). The
checkouts take turns (--rounds) so that a drift in the shared database would show as a
spread between rounds.

The data are built once, with the working tree's code (bench/live_server.build_annotators):
one annotator holding a draft of --cues proposed cues, in a database that each run copies
(CREATE DATABASE ... TEMPLATE), so every run starts from the same rows; all are dropped at
the end.
Every checkout must run on that schema (the migrations may differ only in choices).

Usage:
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/instructions.py 784664f . [--requests 10] [--cues 40] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("page", "workspace", "save")


def child(args: argparse.Namespace) -> None:
    """Runs under callgrind, in the checkout's directory: serve the requests, dump per kind."""
    sys.path.insert(0, os.getcwd())
    os.environ["DJANGO_SETTINGS_MODULE"] = "studio.settings.base"
    import django

    django.setup()
    from django.test import Client

    csrf_re = re.compile(r'"X-CSRFToken": "([^"]+)"')
    cue_re = re.compile(r'data-cue-id="(\d+)" data-version="(\d+)"')
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = args.session
    base = f"/p/bench/annotate/{args.clip}/"
    versions: dict[int, int] = {}
    state = {"csrf": "", "saves": 0}

    def read(response) -> str:
        assert response.status_code == 200, (response.status_code, response.content[:300])
        text = response.content.decode()
        token = csrf_re.search(text)
        if token:
            state["csrf"] = token.group(1)
        versions.update((int(c), int(v)) for c, v in cue_re.findall(text))
        return text

    def control(*flags: str) -> None:
        subprocess.run(
            ["callgrind_control", *flags, str(os.getpid())], check=True, stdout=subprocess.DEVNULL
        )

    def serve(call, measure: bool):
        """The request, instrumented when measured; the client's parsing of the answer is not."""
        if measure:
            control("-i", "on")
        response = call()
        if measure:
            control("-i", "off")
        return response

    def request(kind: str, measure: bool = False) -> None:
        if kind == "none":  # the toggling alone, subtracted from the others
            serve(lambda: None, measure)
        elif kind == "page":
            read(serve(lambda: client.get(base), measure))
        elif kind == "workspace":
            read(serve(lambda: client.get(base + "workspace/", HTTP_HX_REQUEST="true"), measure))
        else:
            cue_id = sorted(versions)[state["saves"] % len(versions)]
            state["saves"] += 1
            data = {"version": versions[cue_id], "text": f"Edited, save {state['saves']}."}
            read(
                serve(
                    lambda: client.post(
                        f"{base}cues/{cue_id}/edit/",
                        data,
                        HTTP_HX_REQUEST="true",
                        HTTP_X_CSRFTOKEN=state["csrf"],
                    ),
                    measure,
                )
            )

    for kind in KINDS:  # warm: imports, template and URL caches, connections
        for _ in range(3):
            request(kind)
    control("-z")
    for kind in ("none", *KINDS):
        for _ in range(args.requests):
            request(kind, measure=True)
        control("-d", kind)


def totals(out_dir: Path) -> dict[str, int]:
    """Instructions of each dump, by the kind its trigger names ("dump page")."""
    found = {}
    for path in out_dir.glob("callgrind.out.*"):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: dump (\S+)$", text, re.M)
        total = re.search(r"^totals: (\d+)$", text, re.M)
        if trigger and total and trigger.group(1) in ("none", *KINDS):
            found[trigger.group(1)] = int(total.group(1))
    return found


def run_checkout(path: Path, args: argparse.Namespace, session: str, clip: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="emocue-callgrind-") as out:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out.%p",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--session",
            session,
            "--clip",
            clip,
            "--requests",
            str(args.requests),
        ]
        env = os.environ | {"PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"}
        done = subprocess.run(command, cwd=path, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{path}: exit {done.returncode}\n{done.stderr[-3000:]}")
        found = totals(Path(out))
        if set(found) != {"none", *KINDS}:
            sys.exit(f"{path}: dumps for {sorted(found)} only\n{done.stderr[-3000:]}")
        return {kind: (found[kind] - found["none"]) / args.requests for kind in KINDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("refs", nargs="*", help='git refs to compare, "." = the working tree')
    parser.add_argument("--requests", type=int, default=10, help="instrumented, per kind")
    parser.add_argument("--cues", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--session", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if len(args.refs) < 2:
        parser.error("give two or more refs to compare")

    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings.base")
    import live_server as live
    from django.db import connections

    checkouts: dict[str, Path] = {}
    with (
        tempfile.TemporaryDirectory(prefix="emocue-refs-") as trees,
        live.bench_database("instr") as name,
    ):
        for ref in args.refs:
            if ref == ".":
                checkouts[ref] = ROOT
                continue
            tree = Path(trees) / ref.replace("/", "_")
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), ref],
                check=True,
            )
            checkouts[ref] = tree
        try:
            (annotator,) = live.build_annotators(n=1, cues=args.cues)
            connections.close_all()  # the data are the template of every run's copy
            results: dict[str, list[dict]] = {ref: [] for ref in args.refs}
            copy = f"{name}_run"
            for round_ in range(args.rounds):
                for ref, path in checkouts.items():
                    # Each run starts from the same rows: the saves of one don't grow the next's.
                    live._admin(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
                    os.environ["DATABASE_URL"] = live.database_url(copy)
                    try:
                        got = run_checkout(path, args, annotator.session_key, annotator.clip_name)
                    finally:
                        live._admin(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                    results[ref].append(got)
                    print(f"round {round_ + 1} {ref}: {json.dumps(got)}", file=sys.stderr)
        finally:
            for path in checkouts.values():
                if path != ROOT:
                    subprocess.run(
                        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                        check=False,
                    )

    first = args.refs[0]
    print(
        f"instructions per request (callgrind), {args.requests} requests per kind, "
        f"{args.cues} cues, {args.rounds} rounds; ratio to {first}"
    )
    print("| kind | " + " | ".join(args.refs) + " |")
    print("|---|" + "---|" * len(args.refs))
    for kind in KINDS:
        base = min(r[kind] for r in results[first])
        cells = []
        for ref in args.refs:
            values = [r[kind] for r in results[ref]]
            spread = (max(values) - min(values)) / min(values) * 100
            cells.append(
                f"{min(values) / 1e6:.2f} M ({min(values) / base:.3f}x, spread {spread:.2f}%)"
            )
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
