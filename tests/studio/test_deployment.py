"""The lab deployment, checked without Docker: docker-compose.yml's services name real entry
points and read only variables the code reads; production settings pass `check --deploy` with
the README's documented `.env`, refuse to start without a key, and put media on S3 when asked."""

import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PATH = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker-cpu", "worker-gpu")
SHARED_IMAGE = ("web", "worker-cpu", "worker-gpu")
_VAR = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<rest>(?:[^{}]|\{[^{}]*\})*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_PATH.read_text())


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, nested defaults included."""

    def one(match: re.Match) -> str:
        name, op, rest = match["name"], match["op"], match["rest"]
        if given.get(name):
            return given[name]
        if op and op.endswith("-"):
            return _interpolate(rest, given)
        if op and op.endswith("?"):
            raise KeyError(f"{name} is required: {rest}")
        return ""

    return _VAR.sub(one, value).replace("$$", "$")


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _option(command: list[str], *names: str) -> str:
    for i, part in enumerate(command):
        if part in names:
            return command[i + 1]
    raise AssertionError(f"{names} missing from {command}")


def _documented_env() -> dict[str, str]:
    """The example `.env` of the README's "Deployment (a lab)" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deployment (a lab)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```dotenv\n(.*?)```", section, re.S)
    assert block, "the README's deployment section has no ```dotenv example"
    pairs = (
        line.split("=", 1)
        for line in block[1].splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def _app_env(compose: dict, service: str, given: dict[str, str]) -> dict[str, str]:
    return {
        name: _interpolate(str(value), given)
        for name, value in compose["services"][service]["environment"].items()
    }


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "EMOCUE_", "DATABASE_", "CELERY_", "CACHE_"))
        and k not in ("MEDIA_ROOT", "STATIC_ROOT")
    }
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# --- docker-compose.yml ---------------------------------------------------------------------


def test_app_services_share_one_anchor():
    """web, worker-cpu and worker-gpu merge the same `x-app` node (one image definition, one
    env): the CPU flavour for migrate, web and worker-cpu, the CUDA one for worker-gpu."""
    root = yaml.compose(COMPOSE_PATH.read_text())
    top = {key.value: value for key, value in root.value}
    anchored = top["x-app"]
    services = {key.value: value for key, value in top["services"].value}
    for name in SHARED_IMAGE:
        merged = [value for key, value in services[name].value if key.tag.endswith(":merge")]
        assert any(node is anchored for node in merged), f"{name} does not merge <<: *app"
    loaded = yaml.safe_load(COMPOSE_PATH.read_text())["services"]
    builds = {name: json.dumps(loaded[name]["build"], sort_keys=True) for name in APP_SERVICES}
    cpu = {name for name in APP_SERVICES if name != "worker-gpu"}
    assert len({(loaded[name]["image"], builds[name]) for name in cpu}) == 1
    assert loaded["web"]["image"] == "emocue-studio:cpu"
    assert loaded["worker-gpu"]["image"] == "emocue-studio:cuda"
    flavours = {name: loaded[name]["build"]["args"]["TORCH_FLAVOUR"] for name in APP_SERVICES}
    assert flavours == {"migrate": "cpu", "web": "cpu", "worker-cpu": "cpu", "worker-gpu": "cuda"}
    gpu_build = dict(loaded["worker-gpu"]["build"], args={})
    assert gpu_build == dict(loaded["web"]["build"], args={})  # same context and Dockerfile


def test_dockerfile_takes_its_base_as_an_argument_and_installs_pins_before_the_code():
    """The official slim image by default; requirements (the slow layers) before `COPY . .`, so
    a code change rebuilds only the code and collectstatic layers."""
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim-bookworm$", text, re.M)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.M)
    lines = [line.strip() for line in text.splitlines()]
    pins = lines.index("COPY requirements.txt .")
    code = lines.index("COPY . .")
    install = next(i for i, line in enumerate(lines) if "-r requirements.txt" in line)
    assert pins < install < code
    assert 'cpu) torch_index="--index-url $TORCH_CPU_INDEX_URL"' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", "media", ".git", "tests", "docs"} <= set(ignored)


def test_web_runs_gunicorn_on_the_wsgi_application(compose):
    command = _command(compose["services"]["web"])
    assert command[0] == "gunicorn"
    target = next(part for part in command[1:] if ":" in part and not part.startswith("-"))
    module, attribute = target.split(":")
    assert target == "studio.wsgi:application"
    assert callable(getattr(importlib.import_module(module), attribute))
    workers = _interpolate(_option(command, "--workers", "-w"), {})
    assert 1 <= int(workers) <= 32
    assert (Path(sys.executable).parent / "gunicorn").exists()


def test_workers_run_the_studio_celery_app_on_its_queues(compose):
    from celery.app.utils import find_app
    from django.conf import settings

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert {"cpu", "gpu"} <= routed
    queues = {}
    for name in ("worker-cpu", "worker-gpu"):
        command = _command(compose["services"][name])
        assert command[:2] == ["celery", "-A"] and "worker" in command
        app = find_app(_option(command, "-A", "--app"))
        assert app.main == "studio"
        queues[name] = _option(command, "-Q", "--queues").split(",")
        assert set(queues[name]) <= routed
    assert queues == {"worker-cpu": ["cpu"], "worker-gpu": ["gpu"]}
    assert (Path(sys.executable).parent / "celery").exists()


def test_manage_py_commands_exist(compose):
    from django.core.management import get_commands

    named = []
    for service in compose["services"].values():
        if "command" in service and "manage.py" in _command(service):
            command = _command(service)
            named.append(command[command.index("manage.py") + 1])
    named += re.findall(r"manage\.py (\w+)", (ROOT / "Dockerfile").read_text())
    assert "migrate" in named and "collectstatic" in named
    assert set(named) <= set(get_commands())


def test_every_app_variable_is_read_by_the_code(compose):
    sources = "\n".join(
        path.read_text()
        for folder in ("studio", "annotate", "inference")
        for path in (ROOT / folder).rglob("*.py")
    )
    for service in APP_SERVICES:
        for name in compose["services"][service]["environment"]:
            assert f'"{name}"' in sources or f"'{name}'" in sources, (
                f"{service} sets {name}, which no settings module or code reads"
            )


def test_every_variable_the_readme_documents_reaches_the_containers():
    """docker compose passes a variable of `.env` to a container only where the compose file
    names it: each one of the deployment section's tables and example must be used there."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deployment (a lab)", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    names = set(_documented_env())
    names.update(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", "".join(rows)))
    assert {"EMOCUE_S3_BUCKET", "DJANGO_SECRET_KEY", "EMOCUE_MODELS_DIR"} <= names
    text = COMPOSE_PATH.read_text()
    missing = sorted(name for name in names if "${" + name not in text)
    assert not missing, f"documented but not passed by docker-compose.yml: {missing}"


def test_long_running_services_have_health_checks_and_dependencies_wait_for_them(compose):
    services = compose["services"]
    one_shot = {
        name
        for name, service in services.items()
        if service.get("restart") == "no" or service.get("image", "").startswith("minio/mc")
    }
    assert one_shot == {"migrate", "minio-init"}
    for name, service in services.items():
        if name not in one_shot:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for dependency, spec in service.get("depends_on", {}).items():
            wanted = (
                "service_completed_successfully" if dependency in one_shot else "service_healthy"
            )
            assert spec == {"condition": wanted}, (name, dependency, spec)
    for name in APP_SERVICES:
        assert {"postgres", "redis", "minio-init"} <= set(services[name]["depends_on"])
    for name in SHARED_IMAGE:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    workers = [services[name]["healthcheck"]["test"] for name in ("worker-cpu", "worker-gpu")]
    assert all("inspect ping" in " ".join(test) for test in workers)
    assert (
        services["postgres"]["image"] == "postgres:16" and services["redis"]["image"] == "redis:7"
    )


def test_gpu_worker_reserves_a_gpu_reads_weights_read_only_and_consumes_only_gpu(compose):
    gpu = compose["services"]["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in device["capabilities"] for device in devices)
    command = _command(gpu)
    assert _option(command, "-Q", "--queues") == "gpu"
    assert _option(command, "--concurrency", "-c") == "1"
    assert any(str(volume).endswith(":/models:ro") for volume in gpu["volumes"])
    env = _app_env(compose, "worker-gpu", {"DJANGO_SECRET_KEY": "x", "POSTGRES_PASSWORD": "x"})
    for suffix in ("LLM", "CLIP", "HUBERT", "CHECKPOINT"):
        assert env[f"EMOCUE_XEMOGPT_{suffix}_PATH"].startswith("/models/")
    assert "deploy" not in compose["services"]["worker-cpu"]


# --- production settings --------------------------------------------------------------------


def test_production_without_a_secret_key_raises_improperly_configured(tmp_path):
    done = _run(
        [sys.executable, "-c", "import studio.settings.production"],
        _clean_env({"EMOCUE_VAR_DIR": str(tmp_path)}),
    )
    assert done.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured" in done.stderr
        and "DJANGO_SECRET_KEY" in done.stderr
    )


def test_production_refuses_the_documented_placeholder_key(compose, tmp_path):
    documented = _documented_env()
    assert documented["DJANGO_SECRET_KEY"].startswith("change-me")
    env = _clean_env(
        {
            **_app_env(compose, "web", documented),
            "EMOCUE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    env["DJANGO_SECRET_KEY"] = "change-me" + "x" * 60  # long enough, still the placeholder
    done = _run([sys.executable, "-c", "import studio.settings.production"], env)
    assert done.returncode != 0 and "ImproperlyConfigured" in done.stderr


def _filled_in(documented: dict[str, str]) -> dict[str, str]:
    """The documented `.env` with its `change-me` values replaced as the README says."""
    return {
        name: secrets.token_urlsafe(50) if value.startswith("change-me") else value
        for name, value in documented.items()
    }


def _deploy_env(compose: dict, tmp_path: Path) -> dict[str, str]:
    env = _app_env(compose, "web", _filled_in(_documented_env()))
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        EMOCUE_VAR_DIR=str(tmp_path),
    )
    return _clean_env(env)


def test_check_deploy_passes_with_the_documented_env(compose, tmp_path):
    env = _deploy_env(compose, tmp_path)
    assert env["DJANGO_SETTINGS_MODULE"] == "studio.settings.production"
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    done = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "from django.core.cache import caches; caches['default']; "
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], "
        "'storage': s.STORAGES['default']['BACKEND'], 'proxy': s.SECURE_PROXY_SSL_HEADER, "
        "'data': s.DATA_UPLOAD_MAX_MEMORY_SIZE, 'files': s.FILE_UPLOAD_MAX_MEMORY_SIZE, "
        "'clip': s.EMOCUE_MAX_UPLOAD_BYTES}))"
    )
    done = _run([sys.executable, "-c", probe], env)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert seen["storage"] == "django.core.files.storage.FileSystemStorage"  # no bucket: local
    assert seen["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert seen["data"] == seen["files"] == 8 * 1024 * 1024 and seen["clip"] == 2 * 1024**3


def test_the_images_collectstatic_step_works(tmp_path):
    key = re.search(r"DJANGO_SECRET_KEY=(\S+)", (ROOT / "Dockerfile").read_text())[1]
    env = _clean_env(
        {
            "DJANGO_SETTINGS_MODULE": "studio.settings.production",
            "DJANGO_SECRET_KEY": key,
            "STATIC_ROOT": str(tmp_path / "static"),
            "EMOCUE_VAR_DIR": str(tmp_path),
        }
    )
    done = _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()


def test_s3_media_with_path_style_addressing(compose, tmp_path):
    env = _deploy_env(compose, tmp_path)
    env.update(
        EMOCUE_S3_BUCKET="emocue-media",
        EMOCUE_S3_ENDPOINT_URL="http://minio:9000",
        EMOCUE_S3_ACCESS_KEY_ID="emocue-app",
        EMOCUE_S3_SECRET_ACCESS_KEY="not-a-real-secret-123",
    )
    probe = (
        "import json, django; django.setup(); "
        "from django.core.files.storage import default_storage as d; d._setup(); "
        "w = d._wrapped; print(json.dumps({'cls': type(w).__module__ + '.' + type(w).__name__, "
        "'bucket': w.bucket_name, 'endpoint': w.endpoint_url, 'style': w.addressing_style, "
        "'acl': w.default_acl, 'signed': w.querystring_auth, 'overwrite': w.file_overwrite, "
        "'key': w.access_key, 'client_style': w.connection.meta.client.meta.config.s3}))"
    )
    done = _run([sys.executable, "-c", probe], env)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["cls"] == "storages.backends.s3.S3Storage"
    assert seen["bucket"] == "emocue-media" and seen["endpoint"] == "http://minio:9000"
    assert seen["style"] == "path" and seen["client_style"]["addressing_style"] == "path"
    assert seen["acl"] is None and seen["signed"] is True and seen["overwrite"] is False
    assert seen["key"] == "emocue-app"


# --- docker-compose.test.yml (bench/compose_e2e.py, ./studio.sh deploy-test) ------------------


def test_the_test_stack_stays_on_loopback_and_shares_no_volume(compose):
    """Every service on the host network, each listening on its own 127.0.0.1 port away from
    the machine's PostgreSQL, Redis, RabbitMQ and dev servers; no network defined; web and the
    workers each with a private tmpfs where docker-compose.yml mounts the shared media volume."""
    test = yaml.safe_load((ROOT / "docker-compose.test.yml").read_text())
    assert set(test["services"]) == set(compose["services"])
    assert "networks" not in test
    assert all(s.get("network_mode") == "host" for s in test["services"].values())
    assert all("networks" not in s for s in test["services"].values())
    services = test["services"]
    listening = {
        "web": _option(_command(services["web"]), "--bind"),
        "postgres": "127.0.0.1:" + _option(_command(services["postgres"]), "-p"),
        "redis": "127.0.0.1:" + _option(_command(services["redis"]), "--port"),
        "minio": "127.0.0.1:" + _option(_command(services["minio"]), "-p"),
    }
    assert _option(_command(services["postgres"]), "-c") == "listen_addresses=127.0.0.1"
    assert "127.0.0.1" in _command(services["redis"]) and "127.0.0.1" in _command(services["minio"])
    ports = {address.split(":")[1] for address in listening.values()}
    assert all(address.startswith("127.0.0.1:") for address in listening.values())
    assert len(ports) == 4 and not ports & {"5432", "6379", "5672", "8000", "9000"}
    env = services["web"]["environment"]
    urls = [env["DATABASE_URL"], env["CELERY_BROKER_URL"], env["EMOCUE_S3_ENDPOINT_URL"]]
    assert all("@127.0.0.1:" in url or "//127.0.0.1:" in url for url in urls)
    for name in ("migrate", "web", "worker-cpu"):
        assert services[name]["volumes"] == [{"type": "tmpfs", "target": "/srv/media"}]
        assert any(
            str(v).startswith("media:/srv/media") for v in compose["services"][name]["volumes"]
        )
