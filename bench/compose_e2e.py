"""The lab deployment, run for real: docker-compose.yml built and started in containers on this
machine's loopback (docker-compose.test.yml), used end to end over the API, broken on purpose,
scaled out, and taken down again.

  images     deploy/build-base.sh (Debian bookworm from debootstrap, once), deploy/wheelhouse.sh
             (wheels of every pin, once), then `docker-compose build` of the services image
             and the app's CPU flavour, timed (a warm build is the layer cache's answer).
  stack      migrate, web (gunicorn), two worker-cpu replicas, PostgreSQL, Redis and moto's S3
             server, each on the host network on its own 127.0.0.1 port; checks that no network
             was created, that every container is on the host network, and that web and the
             workers share no volume (media reach the workers through S3 only).
  example    the README's API worked example: a token, upload a clip, a worker ingests it, a
             signal run, its cues, an annotation and a review made final through the API, a
             gold set frozen, an export built by a worker and downloaded (its sha256 checked).
  scale      the same 40-clip signal run with 1, 2 and 4 worker-cpu containers (one process
             each): clips per minute and the ratio to one container.
  worker-kill  `docker kill` of one worker container in the middle of a 40-clip run: the run
             must finish with every clip done, each clip's cues as many and the same as in the
             1-worker run, and no duplicate cue.
  pg-restart PostgreSQL's container stopped for a few seconds and started again while clients
             call the API and a page: 503s with a message while it is down (no 500), then 200s
             without web being restarted.
  redis-down Redis's container stopped: a clip upload answers 503 and nothing is stored (no
             row, no S3 object); started again, the same upload goes in and is ingested.
  down       `docker-compose down -v`: no container, volume or network of the stack is left.

Network rule: the Docker daemon runs with --bridge=none --iptables=false (./studio.sh
deploy-test starts it so); every service uses network_mode: host; nothing here contacts a
container address. Results go to bench/out/compose_e2e.json and a summary is printed.

Usage (root, a running daemon; ./studio.sh deploy-test does all of it):
    python bench/compose_e2e.py [--keep] [--scale 1,2,4] [--clips 40] [--skip-scale]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
PROJECT = "emocue-e2e"
WEB = "http://127.0.0.1:58000"
S3 = "http://127.0.0.1:59000"
WHEEL_PORT = 58099
BUCKET = "emocue-media"
SECRETS = ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD")

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--keep", action="store_true", help="leave the stack up at the end")
parser.add_argument("--scale", default="1,2,4", help="worker-cpu containers for the scale runs")
parser.add_argument("--clips", type=int, default=40, help="clips of the scale and kill runs")
parser.add_argument("--skip-scale", action="store_true", help="no scale-out runs")
parser.add_argument("--pg-down", type=float, default=6.0, help="seconds PostgreSQL stays down")
ARGS = parser.parse_args()

RESULTS: dict = {"checks": {}, "timings_s": {}}
LOG_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - LOG_T0:7.1f}s] {message}", flush=True)


def check(name: str, ok: bool, detail: str = "") -> None:
    RESULTS["checks"][name] = {"ok": bool(ok), "detail": detail}
    say(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))


class Failed(Exception):
    pass


def need(ok: bool, what: str) -> None:
    if not ok:
        raise Failed(what)


def run(args: list[str], *, env: dict | None = None, timeout: float = 900, capture=True):
    done = subprocess.run(
        args, cwd=ROOT, env=env, text=True, timeout=timeout, capture_output=capture, check=False
    )
    if done.returncode != 0:
        tail = ((done.stdout or "") + (done.stderr or ""))[-3000:]
        raise Failed(f"{' '.join(args[:6])} ... exited {done.returncode}:\n{tail}")
    return done.stdout if capture else ""


def timed(name: str, fn, *args, **kwargs):
    started = time.monotonic()
    result = fn(*args, **kwargs)
    RESULTS["timings_s"][name] = round(time.monotonic() - started, 1)
    say(f"{name}: {RESULTS['timings_s'][name]} s")
    return result


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# --- the stack ---------------------------------------------------------------------------------


class Stack:
    """docker-compose v1 on docker-compose.yml + docker-compose.test.yml, merged once."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if k not in SECRETS}
        self.env.update(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            POSTGRES_PASSWORD=secrets.token_urlsafe(24),
            MINIO_ROOT_PASSWORD=secrets.token_urlsafe(24),  # asked for by minio, unused here
            EMOCUE_BASE_IMAGE=os.environ.get("EMOCUE_BASE_IMAGE", "emocue-base:bookworm"),
            EMOCUE_PIP_WHEELS=f"--no-index --find-links http://127.0.0.1:{WHEEL_PORT}/",
            COMPOSE_PROJECT_NAME=PROJECT,
        )
        self.file = workdir / "docker-compose.merged.yml"

    def base_args(self, *files: str) -> list[str]:
        args = ["docker-compose", "-p", PROJECT]
        for name in files:
            args += ["-f", name]
        return args

    def merge(self) -> None:
        """One file from both: web's published port removed (docker-compose v1 merges port
        lists, and a container on the host network may publish none). The secrets stay
        `${NAME}` references, filled from this process's environment at each call."""
        placeholders = dict(self.env, **{name: "${" + name + "}" for name in SECRETS})
        text = run(
            [*self.base_args("docker-compose.yml", "docker-compose.test.yml"), "config"],
            env=placeholders,
        )
        for name in SECRETS:
            text = text.replace("$${" + name + "}", "${" + name + "}")
        config = yaml.safe_load(text)
        config["services"]["web"].pop("ports", None)
        self.file.write_text(yaml.safe_dump(config, sort_keys=False))

    def __call__(self, *args: str, timeout: float = 900, capture=True) -> str:
        return run(
            [*self.base_args(str(self.file)), *args], env=self.env, timeout=timeout, capture=capture
        )

    def containers(self, service: str | None = None) -> list[dict]:
        label = f"label=com.docker.compose.project={PROJECT}"
        args = ["docker", "ps", "-aq", "--filter", label]
        if service:
            args += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = run(args).split()
        return json.loads(run(["docker", "inspect", *ids])) if ids else []

    def manage(self, *args: str, timeout: float = 300) -> str:
        return self("exec", "-T", "web", "python", "manage.py", *args, timeout=timeout)

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)


def health(container: dict) -> str:
    state = container["State"]
    return state.get("Health", {}).get("Status") or state["Status"]


def workers_ready(stack: Stack, count: int) -> bool:
    """`count` running worker-cpu containers, each of which has logged celery's "ready."."""
    running = [c for c in stack.containers("worker-cpu") if c["State"]["Status"] == "running"]
    if len(running) != count:
        return False
    for container in running:
        logs = subprocess.run(
            ["docker", "logs", "--since", container["State"]["StartedAt"], container["Id"]],
            capture_output=True,
            text=True,
            check=False,
        )
        if " ready." not in logs.stdout + logs.stderr:
            return False
    return True


def scale_workers(stack: Stack, count: int) -> None:
    stack("up", "-d", "--no-build", "--no-recreate", "--scale", f"worker-cpu={count}", "worker-cpu")
    wait_for(lambda: workers_ready(stack, count), timeout=300, what=f"{count} ready workers")


# --- the API -----------------------------------------------------------------------------------


class Api:
    def __init__(self, token: str, slug: str = ""):
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {token}"
        self.slug = slug

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return WEB + path
        return f"{WEB}/api/projects/{self.slug}/{path}"

    def call(self, method: str, path: str, expect: int | tuple = (200,), **kwargs):
        response = self.http.request(method, self.url(path), timeout=60, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in wanted:
            raise Failed(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response

    def get(self, path: str, **kwargs) -> dict:
        return self.call("GET", path, **kwargs).json()

    def post(self, path: str, body: dict | None = None, expect=(200, 201, 202)) -> dict:
        return self.call("POST", path, expect=expect, json=body or {}).json()

    def put(self, path: str, body: dict) -> dict:
        return self.call("PUT", path, json=body).json()

    def patch(self, path: str, body: dict) -> dict:
        return self.call("PATCH", path, json=body).json()

    def upload(self, clip: Path, name: str, subtitle: Path | None, expect=(201,)):
        files = {"file": (clip.name, clip.read_bytes(), "video/mp4")}
        if subtitle:
            files["subtitle"] = (f"{name}.srt", subtitle.read_bytes(), "application/x-subrip")
        return self.call("POST", "clips/", expect=expect, files=files, data={"name": name})

    def wait_ready(self, names: list[str], timeout: float = 600) -> None:
        def all_ready():
            rows = self.get("clips/")  # the whole list, not paged
            status = {row["name"]: row["status"] for row in rows}
            failed = [n for n in names if status.get(n) == "failed"]
            need(not failed, f"ingestion failed: {failed}")
            return all(status.get(n) == "ready" for n in names)

        wait_for(all_ready, timeout=timeout, what=f"{len(names)} clips ingested")

    def start_run(self, clips: list[str], label: str) -> int:
        body = {"proposer": "signals", "label": label, "clips": clips}
        return self.post("runs/", body, expect=201)["id"]

    def wait_run(self, run_id: int, timeout: float = 1800, on_poll=None) -> dict:
        def finished():
            state = self.get(f"runs/{run_id}/")
            if on_poll:
                on_poll(state)
            return state if state["status"] != "running" else None

        return wait_for(finished, timeout=timeout, what=f"run {run_id}", every=0.25)

    def cues_by_clip(self, run_id: int) -> dict[str, list]:
        out, path = {}, f"runs/{run_id}/proposals/?limit=500"
        while path:
            page = self.get(path)
            for proposal in page["results"]:
                need(proposal["status"] == "done", f"proposal {proposal['clip']} not done")
                out[proposal["clip"]] = sorted(
                    (c["modality"], c["kind"], c["text"], c["start_ms"], c["end_ms"])
                    for c in proposal["cues"]
                )
            path = page["next"]
        return out


# --- the steps ---------------------------------------------------------------------------------


def build_images(stack: Stack) -> None:
    timed("base image (deploy/build-base.sh)", run, ["deploy/build-base.sh"], capture=False)
    timed("wheelhouse (deploy/wheelhouse.sh)", run, ["deploy/wheelhouse.sh"], capture=False)
    wheelhouse = os.environ.get("EMOCUE_WHEELHOUSE", "/var/cache/emocue/wheels")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(WHEEL_PORT)],
        cwd=wheelhouse,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: _answers(f"http://127.0.0.1:{WHEEL_PORT}/"), timeout=20, what="wheel server"
        )
        time.sleep(0.5)  # this server answered, not another process that holds the port
        need(server.poll() is None, f"127.0.0.1:{WHEEL_PORT} is taken by another process")
        both = stack.base_args("docker-compose.yml", "docker-compose.test.yml")
        timed("build: services image", run, [*both, "build", "postgres"], env=stack.env)
        timed("build: app image, cpu flavour", run, [*both, "build", "migrate"], env=stack.env)
    finally:
        server.terminate()
        server.wait(10)
    RESULTS["images_mb"] = {
        tag: round(int(run(["docker", "image", "inspect", "-f", "{{.Size}}", tag])) / 1e6)
        for tag in ("emocue-base:bookworm", "emocue-services:bookworm", "emocue-studio:cpu")
    }
    say(f"image sizes (MB): {RESULTS['images_mb']}")


def _answers(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=2).status_code < 500
    return False


def start_stack(stack: Stack, networks_before: set[str]) -> None:
    stack.merge()
    started = time.monotonic()
    stack("up", "-d", "--no-build", "--scale", "worker-cpu=2", "web", "worker-cpu")
    wait_for(
        lambda: all(health(c) == "healthy" for c in stack.containers("web")),
        timeout=300,
        what="web healthy",
    )
    wait_for(lambda: workers_ready(stack, 2), timeout=300, what="2 ready workers")
    RESULTS["timings_s"]["up: until web is healthy and 2 workers ready"] = round(
        time.monotonic() - started, 1
    )
    say(f"stack up in {RESULTS['timings_s']['up: until web is healthy and 2 workers ready']} s")

    containers = stack.containers()
    names = sorted(c["Name"].lstrip("/") for c in containers)
    modes = {c["Name"].lstrip("/"): c["HostConfig"]["NetworkMode"] for c in containers}
    addresses = [
        net.get("IPAddress")
        for c in containers
        for net in c["NetworkSettings"]["Networks"].values()
        if net.get("IPAddress")
    ]
    networks_now = set(run(["docker", "network", "ls", "--format", "{{.Name}}"]).split())
    check(
        "network: every container on the host network, no container address, no new network",
        set(modes.values()) == {"host"} and not addresses and networks_now == networks_before,
        f"{len(names)} containers; networks {sorted(networks_now)}",
    )
    mounts = {
        c["Config"]["Labels"]["com.docker.compose.service"]
        + "#"
        + c["Config"]["Labels"]["com.docker.compose.container-number"]: {
            (m["Type"], m.get("Name") or m.get("Source") or "") for m in c["Mounts"]
        }
        | {("tmpfs", path) for path in (c["HostConfig"].get("Tmpfs") or {})}
        for c in containers
        if c["Config"]["Labels"]["com.docker.compose.service"] in ("web", "worker-cpu")
    }
    app_volumes = {
        (kind, source)
        for found in mounts.values()
        for kind, source in found
        if kind in ("volume", "bind")
    }
    check(
        "no shared volume: web and workers mount no volume or host folder",
        not app_volumes and len(mounts) == 3,
        f"mounts {json.dumps({k: sorted(v) for k, v in mounts.items()})}",
    )


def make_clips(count: int) -> list[tuple[Path, str, Path | None]]:
    """The demo's 8 clips (fixtures.demo), then copies made different by a metadata tag (a
    stream copy: same pictures and sound, another sha256) up to `count`."""
    from fixtures.demo import build_demo

    folder = OUT / "compose_e2e_clips"
    demo = build_demo(folder / "demo")
    originals = sorted((folder / "demo").glob("sample_*.mp4"))
    need(len(originals) == 8, f"demo clips: {originals}")
    clips = []
    for i in range(count):
        source = originals[i % 8]
        subtitle = source.with_suffix(".srt")
        name = f"e2e_{i:03d}_{source.stem}"
        target = folder / f"{name}.mp4"
        if not target.exists():
            run(
                [
                    "ffmpeg", "-v", "error", "-y", "-i", str(source), "-map", "0", "-c", "copy",
                    "-metadata", f"comment=emocue e2e copy {i}", str(target),
                ]
            )  # fmt: skip
        clips.append((target, name, subtitle if subtitle.exists() else None))
    del demo
    return clips


def api_setup(stack: Stack) -> tuple[Api, Api, str]:
    password = secrets.token_urlsafe(16)
    stack.shell(
        "from django.contrib.auth import get_user_model; U = get_user_model()\n"
        f"m = U.objects.create_user('e2e-manager', password='{password}', is_staff=True)\n"
        f"a = U.objects.create_user('e2e-annotator', password='{password}')"
    )
    tokens = {}
    for user in ("e2e-manager", "e2e-annotator"):
        printed = stack.manage("drf_create_token", user)
        tokens[user] = re.search(r"Generated token (\w+) for user", printed)[1]
    manager = Api(tokens["e2e-manager"])
    project = manager.post(
        "/api/projects/",
        {"name": "Compose e2e", "annotators_per_clip": 1, "hide_proposals_share": 0},
        expect=201,
    )
    manager.slug = project["slug"]
    manager.post("members/", {"username": "e2e-annotator", "role": "annotator"}, expect=201)
    return manager, Api(tokens["e2e-annotator"], project["slug"]), password


def worked_example(stack: Stack, manager: Api, annotator: Api, clip) -> dict:
    path, name, subtitle = clip
    uploaded = manager.upload(path, name, subtitle).json()
    need(uploaded["status"] == "pending", f"upload answered {uploaded}")
    manager.wait_ready([name], timeout=300)
    clip_row = manager.get(f"clips/{name}/")
    run_id = manager.start_run([name], "e2e")
    finished = manager.wait_run(run_id, timeout=600)
    progress = finished["progress"]
    need(
        finished["status"] == "finished" and (progress["done"], progress["total"]) == (1, 1),
        f"run {finished}",
    )
    proposal = manager.get(f"runs/{run_id}/proposals/{name}/")
    cues = proposal["cues"]
    need(cues, "the signal run proposed no cue")

    # An annotator takes the clip, accepts the model's cues, labels it and submits.
    opened = annotator.post(f"annotations/{name}/", expect=(200, 201))
    for cue in opened["cues"]:
        if cue.get("decision") == "proposed":
            annotator.post(
                f"annotations/{name}/cues/{cue['id']}/accept/", {"version": cue["version"]}
            )
    saved = annotator.patch(
        f"annotations/{name}/",
        {
            "version": opened["version"],
            "labels": ["happy"],
            "primary_label": "happy",
            "description": "End-to-end check in containers.",
        },
    )
    annotator.post(f"annotations/{name}/submit/", {"version": saved["version"]})

    # The manager reviews it (groups accepted, labels, final) and freezes version 1.
    review = manager.get(f"reviews/{name}/")
    if review["record"] is None:
        review = manager.post(f"reviews/{name}/open/")
    version = review["record"]["version"]
    for group in review["groups"]:
        if group["decision"] is None:
            review = manager.post(
                f"reviews/{name}/groups/{group['key']}/accept/", {"version": version}
            )
            version = review["record"]["version"]
    review = manager.put(
        f"reviews/{name}/labels/",
        {"version": version, "labels": ["happy"], "primary_label": "happy", "description": "ok"},
    )
    final = manager.post(f"reviews/{name}/finalize/", {"version": review["record"]["version"]})
    need(final["record"]["status"] == "gold", f"review not final: {final['record']}")
    frozen = manager.post("goldsets/", {"note": "e2e", "licence": "CC-BY-NC-4.0"}, expect=201)
    asked = manager.post(
        f"goldsets/{frozen['version']}/exports/",
        {"ratios": {"train": 1.0}, "seed": 0},  # one clip: one split
        expect=202,
    )
    export = wait_for(
        lambda: (
            (e := manager.get(f"goldsets/{frozen['version']}/exports/{asked['id']}/"))["status"]
            in ("done", "failed")
            and e
        ),
        timeout=300,
        what="the export",
    )
    need(export["status"] == "done", f"export {export}")
    body = manager.call(
        "GET", f"goldsets/{frozen['version']}/exports/{asked['id']}/download/"
    ).content
    sha = hashlib.sha256(body).hexdigest()
    example = {
        "clip": name,
        "clip_status": clip_row["status"],
        "duration_ms": clip_row.get("duration_ms"),
        "run": run_id,
        "cues": len(cues),
        "goldset_version": frozen["version"],
        "goldset_clips": frozen["counts"]["clips"],
        "export_bytes": len(body),
        "export_sha256_matches": sha == export["sha256"],
    }
    check(
        "worked example: upload, ingest, signal run, cues, gold set, export download",
        example["export_sha256_matches"] and frozen["counts"]["clips"] == 1,
        json.dumps(example),
    )
    return example


def s3_objects() -> int:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=S3,
        aws_access_key_id="emocue-test",
        aws_secret_access_key="emocue-test-secret",
        region_name="us-east-1",
    )
    return sum(
        page.get("KeyCount", 0)
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    )


def cpu_seconds(container_ids: list[str]) -> float | None:
    """CPU time the containers have used so far (their cgroups' cpuacct, v1, or cpu.stat, v2);
    None where neither is readable."""
    total = 0.0
    for cid in container_ids:
        v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage")
        v2 = next(Path("/sys/fs/cgroup").glob(f"**/docker-{cid}.scope/cpu.stat"), None)
        if v1.is_file():
            total += int(v1.read_text()) / 1e9
        elif v2:
            usage = re.search(r"usage_usec (\d+)", v2.read_text())
            total += int(usage[1]) / 1e6
        else:
            return None
    return total


def scale_out(stack: Stack, manager: Api, names: list[str]) -> tuple[dict, dict]:
    figures, reference = {}, None
    for count in [int(n) for n in ARGS.scale.split(",")]:
        scale_workers(stack, count)
        # Every worker process loads the proposer's models on its first clip: warm them first.
        manager.wait_run(manager.start_run(names[: 2 * count], f"warm-{count}"), timeout=900)
        # CPU time used by the whole stack during the run: on a shared machine, throughput
        # follows the share of the cores the stack gets; CPU per clip is the stack's own cost.
        ids = [c["Id"] for c in stack.containers() if c["State"]["Status"] == "running"]
        cpu_before = cpu_seconds(ids)
        started = time.monotonic()
        run_id = manager.start_run(names, f"scale-{count}")
        state = manager.wait_run(run_id, timeout=1800)
        elapsed = time.monotonic() - started
        cpu_after = cpu_seconds(ids)
        used = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        need(
            state["status"] == "finished" and state["progress"]["done"] == len(names),
            f"scale run {state}",
        )
        cues = manager.cues_by_clip(run_id)
        if reference is None:
            reference = cues
        figures[count] = {
            "run": run_id,
            "seconds": round(elapsed, 1),
            "load_average_1min_after": round(os.getloadavg()[0], 1),
            "clips_per_minute": round(len(names) / elapsed * 60, 1),
            "stack_cores_used": None if used is None else round(used / elapsed, 2),
            "stack_cpu_s_per_clip": None if used is None else round(used / len(names), 2),
            "same_cues_as_1_worker": cues == reference,
        }
        say(f"scale {count}: {figures[count]}")
    base = figures[min(figures)]["clips_per_minute"]
    for row in figures.values():
        row["speed_up"] = round(row["clips_per_minute"] / base, 2)
    check(
        "scale-out: every run finished with the same cues",
        all(row["same_cues_as_1_worker"] for row in figures.values()),
        json.dumps(figures),
    )
    return figures, reference


# Run inside web (manage.py shell): duplicate cues of a run, by position and by content, and
# how many times each of its clips was claimed by a worker.
RUN_CUE_CHECK = """
import json
from django.db.models import Count
from annotate.runs.models import Cue, Proposal
cues = Cue.objects.filter(proposal__run_id={run})
dupes = lambda *fields: cues.values('proposal', *fields).annotate(n=Count('id')).filter(n__gt=1)
attempts = Proposal.objects.filter(run_id={run}).values_list('attempts', flat=True)
print(json.dumps({{
    'position_dupes': dupes('position').count(),
    'content_dupes': dupes('modality', 'kind', 'text', 'start_ms', 'end_ms').count(),
    'attempts': sorted(attempts),
    'cues': cues.count(),
}}))
"""


def worker_kill(stack: Stack, manager: Api, names: list[str], reference: dict | None) -> dict:
    """A worker killed in the middle of a clip. A clip takes about a second, and the run's
    progress is polled, so a kill can fall just after the victim finished one: then nothing was
    interrupted and the fault was not exercised. Such a try is run again (3 tries at most), and
    the check needs a clip taken twice."""
    for attempt in range(1, 4):
        result = _worker_kill_once(stack, manager, names, reference)
        result["tries"] = attempt
        interrupted = result["clips_taken_twice"] >= 1
        if interrupted or not _kill_run_sound(result, names):
            break
        say(f"the kill fell between two clips (try {attempt}): again")
    check(
        "worker-kill: the run finishes, every clip done, no duplicate cue",
        _kill_run_sound(result, names) and result["clips_taken_twice"] >= 1,
        json.dumps(result),
    )
    return result


def _kill_run_sound(result: dict, names: list[str]) -> bool:
    """The run finished with every clip done once, no duplicate and the clean run's cues."""
    return (
        result["status"] == "finished"
        and result["progress"]["done"] == len(names)
        and result["progress"]["failed"] == 0
        and result["duplicate_cues"] == 0
        and result["same_cues_as_clean_run"]
    )


def _worker_kill_once(stack: Stack, manager: Api, names: list[str], reference: dict | None) -> dict:
    scale_workers(stack, 2)
    run_id = manager.start_run(names, "kill")
    killed: dict = {}

    def kill_once(state: dict) -> None:
        # Both workers holding a claimed clip: whichever is killed dies in the middle of one.
        if killed or state["progress"]["done"] < 3 or state["progress"]["running"] < 2:
            return
        victim = sorted(
            (c for c in stack.containers("worker-cpu") if c["State"]["Status"] == "running"),
            key=lambda c: c["Name"],
        )[0]
        run(["docker", "kill", victim["Id"]])
        killed.update(container=victim["Name"].lstrip("/"), at_done=state["progress"]["done"])
        say(f"docker kill {killed['container']} at {killed['at_done']} clips done")

    started = time.monotonic()
    state = manager.wait_run(run_id, timeout=1800, on_poll=kill_once)
    elapsed = time.monotonic() - started
    need(killed, "the run finished before a worker could be killed")
    cues = manager.cues_by_clip(run_id)
    victim = next(
        c for c in stack.containers("worker-cpu") if c["Name"].lstrip("/") == killed["container"]
    )
    counts = json.loads(stack.shell(RUN_CUE_CHECK.format(run=run_id)).strip().splitlines()[-1])
    result = {
        "run": run_id,
        "status": state["status"],
        "progress": state["progress"],
        "killed": killed,
        "seconds": round(elapsed, 1),
        "restarted_by_docker": victim["RestartCount"] > 0,
        "duplicate_cues": counts["position_dupes"] + counts["content_dupes"],
        "clips_taken_twice": sum(1 for a in counts["attempts"] if a > 1),
        "cues": counts["cues"],
        "same_cues_as_clean_run": reference is None or cues == reference,
    }
    return result


def plain_http(session: requests.Session) -> None:
    """Production settings mark the session and CSRF cookies Secure; browsers still send them
    to http://127.0.0.1 (a secure context), requests does not unless told."""
    for cookie in session.cookies:
        cookie.secure = False


def pg_restart(stack: Stack, manager: Api, password: str) -> dict:
    web_before = stack.containers("web")[0]
    page = requests.Session()
    page.get(f"{WEB}/login/", timeout=10)
    plain_http(page)
    logged_in = page.post(
        f"{WEB}/login/",
        data={
            "username": "e2e-manager",
            "password": password,
            "csrfmiddlewaretoken": page.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{WEB}/login/"},
        timeout=10,
        allow_redirects=False,
    )
    plain_http(page)
    need(logged_in.status_code == 302, f"sign-in answered {logged_in.status_code}")
    targets = {"api": manager.url("clips/"), "page": f"{WEB}/p/{manager.slug}/"}
    clients = {"api": manager.http, "page": page}

    def sample(codes: Counter, bodies: list) -> None:
        for kind, target in targets.items():
            try:
                response = clients[kind].get(target, timeout=15, allow_redirects=False)
                codes[f"{kind} {response.status_code}"] += 1
                if response.status_code >= 500 and len(bodies) < 4:
                    bodies.append(f"{kind}: {response.text[:160]!r}")
            except requests.RequestException as error:
                codes[f"{kind} {type(error).__name__}"] += 1

    healthy = Counter()
    sample(healthy, [])
    stopped_at = time.monotonic()
    stack("stop", "postgres")
    down_codes, bodies = Counter(), []
    while time.monotonic() - stopped_at < ARGS.pg_down:
        sample(down_codes, bodies)
        time.sleep(0.2)
    stack("start", "postgres")
    restarted_at = time.monotonic()
    recovered = wait_for(
        lambda: all(
            clients[k].get(t, timeout=15, allow_redirects=False).status_code == 200
            for k, t in targets.items()
        ),
        timeout=120,
        what="recovery after the PostgreSQL restart",
    )
    recovery = time.monotonic() - restarted_at
    web_after = stack.containers("web")[0]
    same_web = (
        web_after["State"]["StartedAt"] == web_before["State"]["StartedAt"]
        and web_after["RestartCount"] == web_before["RestartCount"]
    )
    statuses = {key.split()[1] for key in down_codes}
    result = {
        "before": dict(healthy),
        "while_down": dict(down_codes),
        "down_s": ARGS.pg_down,
        "recovered_after_start_s": round(recovery, 1),
        "web_not_restarted": same_web,
        "503_bodies": bodies,
    }
    check(
        "pg-restart: 503s while down (no 500), 200s after, web not restarted",
        recovered
        and same_web
        and statuses == {"503"}
        and bool(bodies)
        and not any("Traceback" in b for b in bodies),
        json.dumps(result),
    )
    return result


def redis_down(stack: Stack, manager: Api, clip) -> dict:
    path, name, subtitle = clip
    clips_before = len(manager.get("clips/"))
    objects_before = s3_objects()
    stack("stop", "redis")
    try:
        refused = manager.upload(path, name, subtitle, expect=(503,))
        pages = manager.call("GET", "/api/projects/", expect=(200,)).status_code
        clips_during = len(manager.get("clips/"))
        objects_during = s3_objects()
    finally:
        stack("start", "redis")
    wait_for(
        lambda: all(health(c) == "healthy" for c in stack.containers("redis")),
        timeout=120,
        what="redis healthy",
    )
    accepted = manager.upload(path, name, subtitle, expect=(201,)).json()
    manager.wait_ready([name], timeout=300)
    result = {
        "upload_while_down": refused.status_code,
        "message": refused.json().get("detail", "")[:200],
        "api_read_while_down": pages,
        "rows_stored": clips_during - clips_before,
        "s3_objects_stored": objects_during - objects_before,
        "upload_after": accepted["status"],
    }
    check(
        "redis-down: upload 503, nothing stored, the same upload ingested once Redis is back",
        result["rows_stored"] == 0 and result["s3_objects_stored"] == 0 and result["message"],
        json.dumps(result),
    )
    return result


def take_down(stack: Stack, before: dict) -> None:
    timed("down -v", stack, "down", "-v", "--remove-orphans")
    label = f"label=com.docker.compose.project={PROJECT}"
    left = {
        "containers": run(["docker", "ps", "-aq", "--filter", label]).split(),
        "volumes": sorted(set(run(["docker", "volume", "ls", "-q"]).split()) - before["volumes"]),
        "networks": sorted(
            set(run(["docker", "network", "ls", "--format", "{{.Name}}"]).split())
            - before["networks"]
        ),
    }
    check(
        "down -v: no container, volume or network left",
        not any(left.values()),
        json.dumps(left),
    )


def main() -> int:
    need(shutil.which("docker-compose"), "docker-compose (v1) is missing")
    networks = set(run(["docker", "network", "ls", "--format", "{{.Name}}"]).split())
    need(
        "bridge" not in networks,
        "the Docker daemon has a bridge network: start it with --bridge=none --iptables=false "
        "(./studio.sh deploy-test does)",
    )
    before = {"networks": networks, "volumes": set(run(["docker", "volume", "ls", "-q"]).split())}
    need(
        not run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"]),
        f"a stack named {PROJECT} exists already: docker-compose -p {PROJECT} down -v",
    )
    OUT.mkdir(exist_ok=True)
    RESULTS.update(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=f"{platform.node()}, {os.cpu_count()} cores",
        compose=run(["docker-compose", "version", "--short"]).strip(),
        daemon=run(["docker", "version", "-f", "{{.Server.Version}}"]).strip(),
    )
    workdir = Path(tempfile.mkdtemp(prefix="emocue-e2e-"))
    stack = Stack(workdir)
    status = 1
    try:
        build_images(stack)
        clips = timed("demo clips (fixtures.demo + copies)", make_clips, ARGS.clips + 2)
        start_stack(stack, networks)
        manager, annotator, password = api_setup(stack)
        RESULTS["example"] = timed(
            "worked example", worked_example, stack, manager, annotator, clips[0]
        )
        batch, spare = clips[1:-1], clips[-1]
        for path, name, subtitle in batch:
            manager.upload(path, name, subtitle)
        names = [name for _, name, _ in batch]
        timed(f"ingest {len(names)} clips (2 workers)", manager.wait_ready, names, 900)
        reference = None
        if not ARGS.skip_scale:
            RESULTS["scale"], reference = scale_out(stack, manager, names)
        RESULTS["worker_kill"] = worker_kill(stack, manager, names, reference)
        RESULTS["pg_restart"] = pg_restart(stack, manager, password)
        RESULTS["redis_down"] = redis_down(stack, manager, spare)
        status = 0
    except Exception as error:  # recorded with the results; the stack still comes down
        detail = str(error) if isinstance(error, Failed) else traceback.format_exc()
        check("run", False, detail)
    finally:
        if ARGS.keep:
            say(f"stack left up: docker-compose -p {PROJECT} -f {stack.file} ... (secrets unset)")
        else:
            with contextlib.suppress(Failed):
                take_down(stack, before)
            shutil.rmtree(workdir, ignore_errors=True)
        RESULTS["ok"] = status == 0 and all(c["ok"] for c in RESULTS["checks"].values())
        (OUT / "compose_e2e.json").write_text(json.dumps(RESULTS, indent=2, default=str))
        say(f"results in {OUT / 'compose_e2e.json'}")
    print("result: " + ("every check passed" if RESULTS["ok"] else "FAILED"))
    return 0 if RESULTS["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
