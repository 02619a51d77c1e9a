"""Concurrent edits: two browsers of the same annotator (two logged-in sessions) send 1,000
randomized writes (edit text, retime, accept, reject) to the same few cues of one annotation
at once, through gunicorn + PostgreSQL on loopback, as the timeline's htmx sends them: each
with the version of the cue that browser last saw. Each browser keeps its own idea of the
versions, from its own responses only; a 409 makes it reload the workspace (as the 409
message's "reload" does) and go on.

At the end the clients' logs are reconciled with the database: every write answered 200 must
be in the history exactly once (an AnnotationEvent whose before-version is the version sent
and whose after-state is the write's change, and the matching AuditEvent); every 409 must name
a version that some acknowledged write really replaced; no event may exist that no client was
told about; and each cue's final row must be its last event's after-state. Any other answer
(5xx, a dropped connection) is an unknown outcome and fails the run.

Usage:
    DATABASE_URL=postgres://postgres:emocue@127.0.0.1:5432/postgres \\
        python bench/concurrent_edits.py [--edits 1000] [--cues 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "studio.settings.base"

import live_server as live

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument(
    "--edits", type=int, default=1000, help="writes in all, shared by the two browsers"
)
parser.add_argument("--cues", type=int, default=5, help="cues the writes go to")
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--threads", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
ARGS = parser.parse_args()

ACTIONS = ("edit", "retime", "accept", "reject")
FRAME_MS = 40  # the bench clips are 25 fps: spans on frame starts are stored as sent


@dataclass
class Write:
    client: str
    n: int
    cue_id: int
    action: str
    sent_version: int
    change: dict
    status: int | None = None  # None: no answer (a dropped connection)
    new_version: int | None = None
    detail: str = ""


class Editor(threading.Thread):
    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        session_key: str,
        clip_name: str,
        cue_ids: list[int],
        writes: int,
        seed: int,
        gate: threading.Barrier,
    ):
        super().__init__(daemon=True)
        self.name_ = name
        self.browser = live.Browser(host, port, cookies={"sessionid": session_key})
        self.base = f"/p/bench/annotate/{clip_name}/"
        self.cue_ids, self.writes, self.gate = cue_ids, writes, gate
        self.random = random.Random(seed)
        self.versions: dict[int, int] = {}
        self.log: list[Write] = []
        self.reloads = 0

    def _reload(self) -> None:
        status, text = self.browser.get(self.base + "workspace/", htmx=True)
        if status == 200:
            self.versions.update({int(c): int(v) for c, v in live.CUE_RE.findall(text)})
        self.reloads += 1

    def _change(self, action: str, n: int) -> dict:
        tag = f"{self.name_}-{n}"
        if action == "edit":
            return {"text": f"Edit {tag}: the eyebrows rise."}
        if action == "retime":
            start = self.random.randrange(0, 1400) * FRAME_MS
            return {"start_ms": start, "end_ms": start + self.random.randrange(1, 50) * FRAME_MS}
        if action == "reject":
            return {"reason": f"Reject {tag}"}
        return {}

    def run(self) -> None:
        status, text = self.browser.get(self.base)
        self.versions.update({int(c): int(v) for c, v in live.CUE_RE.findall(text)})
        self.gate.wait()
        for n in range(self.writes):
            cue_id = self.random.choice(self.cue_ids)
            action = self.random.choice(ACTIONS)
            write = Write(
                self.name_, n, cue_id, action, self.versions[cue_id], self._change(action, n)
            )
            try:
                status, text = self.browser.post(
                    f"{self.base}cues/{cue_id}/{action}/",
                    {"version": write.sent_version, **write.change},
                )
            except Exception as error:
                write.detail = f"{type(error).__name__}: {error}"
                self.log.append(write)
                self._reload()
                continue
            write.status = status
            if status == 200:
                found = {int(c): int(v) for c, v in live.CUE_RE.findall(text)}
                write.new_version = found.get(cue_id)
                self.versions[cue_id] = write.new_version or self.versions[cue_id]
            else:
                write.detail = re.sub(r"\s+", " ", text)[:200]
                self._reload()
            self.log.append(write)
        self.browser.close()


def _expected_after(write: Write, after: dict) -> bool:
    change = write.change
    if write.action == "edit":
        return after["text"] == change["text"] and after["decision"] == "edited"
    if write.action == "retime":
        return (after["start_ms"], after["end_ms"]) == (change["start_ms"], change["end_ms"])
    if write.action == "reject":
        return after["decision"] == "rejected" and after["reject_reason"] == change["reason"]
    return after["decision"] == "accepted"


def reconcile(writes: list[Write], cue_ids: list[int]) -> dict:
    from annotate.annotation.models import AnnotationEvent
    from annotate.core.models import AuditEvent
    from annotate.runs.models import Cue

    events = {
        (e.cue_id, e.before["version"]): e
        for e in AnnotationEvent.objects.filter(cue_id__in=cue_ids).order_by("pk")
    }
    audits = Counter(
        (a.object_id, a.action, a.before["version"], a.after["version"])
        for a in AuditEvent.objects.filter(object_type="cue", object_id__in=cue_ids).exclude(
            action="open"
        )
    )
    problems: list[str] = []
    claimed: set[tuple[int, int]] = set()
    counts = Counter()
    for w in writes:
        counts[w.status] += 1
        key = (w.cue_id, w.sent_version)
        if w.status == 200:
            event = events.get(key)
            if event is None:
                problems.append(
                    f"LOST: {w} answered 200 but no event replaced version {w.sent_version}"
                )
                continue
            if key in claimed:
                problems.append(f"two acknowledged writes claim the event {key}")
            claimed.add(key)
            if event.action != w.action or not _expected_after(w, event.after):
                problems.append(f"{w}: the event at {key} is {event.action} {event.after}")
            if w.new_version != w.sent_version + 1 or event.after["version"] != w.sent_version + 1:
                problems.append(
                    f"{w}: new version {w.new_version}, event after {event.after['version']}"
                )
            if audits[(w.cue_id, w.action, w.sent_version, w.sent_version + 1)] != 1:
                problems.append(f"{w}: no single audit event for it")
        elif w.status == 409:
            if key not in events:  # refused although nothing had replaced the version it sent
                problems.append(f"SPURIOUS 409: {w}")
        else:
            problems.append(f"UNKNOWN OUTCOME: {w}")
    phantom = set(events) - claimed
    for key in sorted(phantom):
        problems.append(
            f"PHANTOM: event {key} ({events[key].action}) that no client was told landed"
        )
    for cue in Cue.objects.filter(pk__in=cue_ids):
        history = sorted(v for (c, v) in events if c == cue.pk)
        if history != list(range(1, cue.version)):
            problems.append(f"cue {cue.pk}: version {cue.version} but events at {history[:5]}...")
        last = events.get((cue.pk, cue.version - 1))
        if last is not None and any(
            last.after[f] != getattr(cue, f)
            for f in ("text", "start_ms", "end_ms", "decision", "reject_reason")
        ):
            problems.append(f"cue {cue.pk}: the row is not its last event's after-state")
    return {
        "counts": counts,
        "events": len(events),
        "audit": sum(audits.values()),
        "problems": problems,
    }


def main() -> int:
    started_at = datetime.now(UTC)
    load_before = live.machine_load()
    log = Path(tempfile.mkdtemp(prefix="emocue-bench-edits-")) / "gunicorn.log"
    try:
        return _run(log, started_at, load_before)
    finally:
        shutil.rmtree(log.parent, ignore_errors=True)


def _run(log: Path, started_at: datetime, load_before: str) -> int:
    with live.bench_database("edits"):
        annotator = live.build_annotators(n=1, cues=ARGS.cues)[0]
        sessions = [annotator.session_key, live.second_session(annotator.username)]
        env = live.server_env(
            MEDIA_ROOT=str(log.parent / "media"),
            CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
        )
        with live.gunicorn(env=env, workers=ARGS.workers, threads=ARGS.threads, log=log) as (
            host,
            port,
        ):
            gate = threading.Barrier(2)
            share = [ARGS.edits // 2, ARGS.edits - ARGS.edits // 2]
            editors = [
                Editor(
                    name,
                    host,
                    port,
                    sessions[i],
                    annotator.clip_name,
                    annotator.cue_ids,
                    share[i],
                    ARGS.seed * 10 + i,
                    gate,
                )
                for i, name in enumerate(("browser-A", "browser-B"))
            ]
            t0 = time.monotonic()
            for e in editors:
                e.start()
            for e in editors:
                e.join(timeout=600)
            elapsed = time.monotonic() - t0
            load_after = live.machine_load()
        writes = [w for e in editors for w in e.log]
        result = reconcile(writes, annotator.cue_ids)
    counts = result["counts"]
    by_action = Counter((w.action, w.status) for w in writes)
    print(
        f"# bench/concurrent_edits.py {started_at:%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores; load average before {load_before}, after {load_after}"
    )
    print(
        f"# {len(writes)} writes by 2 sessions of one annotator on {ARGS.cues} cues "
        f"in {elapsed:.1f} s (seed {ARGS.seed}); "
        f"reloads after a 409: {sum(e.reloads for e in editors)}"
    )
    print(
        f"landed (200): {counts.get(200, 0)}; refused stale (409): {counts.get(409, 0)}; "
        f"other answers: {sum(v for k, v in counts.items() if k not in (200, 409))}"
    )
    for name in ("browser-A", "browser-B"):
        mine = [w for w in writes if w.client == name]
        print(
            f"  {name}: {sum(w.status == 200 for w in mine)} landed, "
            f"{sum(w.status == 409 for w in mine)} refused"
        )
    print(
        "  by action: "
        + ", ".join(f"{a} {by_action[(a, 200)]}/{by_action[(a, 409)]}" for a in ACTIONS)
        + " (landed/refused)"
    )
    print(f"history: {result['events']} annotation events, {result['audit']} cue audit events")
    print(
        f"reconciliation problems (lost, phantom, spurious 409, unknown): {len(result['problems'])}"
    )
    for problem in result["problems"][:20]:
        print(f"  {problem}")
    return 0 if not result["problems"] and len(writes) == ARGS.edits else 1


if __name__ == "__main__":
    sys.exit(main())
