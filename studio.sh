#!/usr/bin/env bash
# EmoCue Studio on one machine.
#   ./studio.sh run   install everything (requirements.txt: the runtime only), then run the
#                     app on its embedded defaults
#                     (SQLite, no broker server, demo project loaded, demo account printed)
#   ./studio.sh test  install everything (requirements-dev.txt: the runtime plus test and lint
#                     tools), lint (ruff check and format, import contracts, migrations),
#                     then run the whole test suite against PostgreSQL and Redis (started
#                     here when they are installed but down)
#   ./studio.sh deploy-test
#                     the lab deployment in containers (root): installs Docker (docker.io,
#                     docker-compose v1) and debootstrap, starts the daemon on loopback only
#                     (--bridge=none --iptables=false), builds the images from Debian packages
#                     and local wheels, and runs bench/compose_e2e.py: the stack end to end,
#                     its faults, scale-out, and `docker-compose down -v` (README, Deployment)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {  # apt_install CMD-OR-PATH PACKAGE ...: install the packages unless the first is present
  local probe=$1; shift
  if command -v "$probe" >/dev/null 2>&1 || [ -e "$probe" ]; then return; fi
  say "installing $* (apt)"
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_system() {
  apt_install ffmpeg ffmpeg
  apt_install espeak-ng espeak-ng
  apt_install python3.11 python3.11 python3.11-venv
  if ! python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    APT_UPDATED=${APT_UPDATED:-}; apt_install /nonexistent-probe python3.11-venv
  fi
}

pip_quiet() {  # pip, without the per-package notes some machines' pip.conf find-links cause
  local log status=0
  log=$(mktemp)
  .venv/bin/pip -q "$@" >"$log" 2>&1 || status=$?
  grep -v "^WARNING: Location 'file:" "$log" >&2 || true
  rm -f "$log"
  return "$status"
}

install_python() {  # install_python runtime|dev: requirements.txt, or requirements-dev.txt on top
  local want=$1 python=${PYTHON:-}
  if [ -z "$python" ]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python=$candidate; break
      fi
    done
  fi
  [ -n "$python" ] || { echo "EmoCue Studio needs Python 3.11 (torch 2.13 CPU wheel, Django 5.2)." >&2; exit 1; }
  [ -x .venv/bin/python ] || { say "creating .venv"; "$python" -m venv .venv; }
  # The stamp names both pin files' contents (a change to either reinstalls) and what was
  # installed; a dev install includes the runtime, so it also satisfies `run`.
  local hash file=requirements.txt
  hash=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
  if [ "$want" = dev ]; then file=requirements-dev.txt; fi
  if [ ! -f ".venv/.installed-$hash-dev" ] && [ ! -f ".venv/.installed-$hash-$want" ]; then
    say "installing Python packages (torch 2.13.0 CPU first, then $file)"
    pip_quiet install --upgrade pip
    pip_quiet install torch==2.13.0
    pip_quiet install -r "$file"
    rm -f .venv/.installed-*; touch ".venv/.installed-$hash-$want"
  fi
}

pg_ready() { .venv/bin/python - "$1" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as e:
    print(e, file=sys.stderr); sys.exit(1)
PY
}

ensure_postgres() {
  local admin_url=$1
  pg_ready "$admin_url" 2>/dev/null && return
  apt_install pg_ctlcluster postgresql
  say "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start 2>/dev/null || true
  for _ in $(seq 30); do pg_ready "$admin_url" 2>/dev/null && return; sleep 1; done
  # A fresh Debian cluster asks for a password over TCP: give the postgres role the one we use.
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'emocue'\"" >/dev/null 2>&1 || true
  pg_ready "$admin_url" || { echo "PostgreSQL is not reachable at $admin_url" >&2; exit 1; }
}

ensure_redis() {
  local url=$1
  .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()" "$url" 2>/dev/null && return
  apt_install redis-server redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/emocue-redis.log
  for _ in $(seq 20); do
    .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()" "$url" 2>/dev/null && return
    sleep 0.5
  done
  echo "Redis is not reachable at $url" >&2; exit 1
}

cmd_run() {
  install_system
  install_python runtime
  mkdir -p var
  say "migrating the database (embedded default: var/db.sqlite3)"
  .venv/bin/python manage.py migrate --noinput -v 0
  say "generating and importing the demo project"
  .venv/bin/python manage.py demo_load
  exec .venv/bin/python manage.py runstudio "${EMOCUE_ADDR:-127.0.0.1:8000}"
}

cmd_test() {
  install_system
  apt_install /usr/bin/chromium chromium
  # the CJK font that the tests and bench/ocr.py burn Chinese subtitles into clips with
  apt_install /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts-noto-cjk
  install_python dev
  say "lint: ruff check, ruff format --check, import contracts (docs/architecture.md)"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/lint-imports
  say "checking that the models and the migrations agree"
  DATABASE_URL=sqlite://:memory: .venv/bin/python manage.py makemigrations --check --dry-run
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres:emocue@127.0.0.1:5432/emocue}
  export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}
  ensure_postgres "${DATABASE_URL%/*}/postgres"
  ensure_redis "$CELERY_BROKER_URL"
  say "running the test suite (DATABASE_URL=${DATABASE_URL%%:*}://…, broker=${CELERY_BROKER_URL%%:*}://…)"
  exec .venv/bin/python -m pytest "$@"
}

ensure_docker() {  # a daemon whose containers can use the host's network only
  if ! docker info >/dev/null 2>&1; then
    say "starting the Docker daemon (--bridge=none --iptables=false: no bridge, loopback only)"
    setsid dockerd --bridge=none --iptables=false --ip6tables=false \
      >/var/log/emocue-dockerd.log 2>&1 </dev/null &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start: /var/log/emocue-dockerd.log" >&2; exit 1; }
  fi
  if docker network ls --format '{{.Name}}' | grep -qx bridge; then
    echo "The running Docker daemon has a bridge network; deploy-test needs one started with" \
      "--bridge=none --iptables=false (all traffic on loopback). Stop it and run this again." >&2
    exit 1
  fi
}

cmd_deploy_test() {
  if [ "$(id -u)" != 0 ]; then exec sudo -E "$0" deploy-test "$@"; fi
  install_system  # ffmpeg and espeak-ng: the demo clips are generated on the host
  apt_install dockerd docker.io
  apt_install docker-compose docker-compose
  apt_install debootstrap debootstrap
  install_python runtime
  ensure_docker
  say "the lab deployment in containers: bench/compose_e2e.py $*"
  exec .venv/bin/python bench/compose_e2e.py "$@"
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  test) shift; cmd_test "$@" ;;
  deploy-test) shift; cmd_deploy_test "$@" ;;
  *) echo "usage: ./studio.sh run | test [pytest args] | deploy-test [--keep ...]" >&2; exit 2 ;;
esac
