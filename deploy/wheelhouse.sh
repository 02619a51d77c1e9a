#!/usr/bin/env bash
# A folder of wheels for every pin the images install (requirements.txt, with torch 2.13.0 as
# this machine's pip finds it: the CPU wheel on disk, and deploy/services/requirements.txt),
# so that image builds install from the machine instead of downloading. Built once; a later
# call is a no-op until a pin file changes.
#   deploy/wheelhouse.sh            build or refresh the folder, print its path
#   deploy/wheelhouse.sh serve PORT serve it on 127.0.0.1:PORT (pip --find-links over HTTP:
#                                   the classic builder cannot mount a folder into a build)
# EMOCUE_WHEELHOUSE: the folder (default /var/cache/emocue/wheels); PYTHON: the Python whose
# pip builds it (default .venv/bin/python, else python3.11); EMOCUE_BASE_IMAGE: the base the
# images are built on (default emocue-base:bookworm, deploy/build-base.sh's), whose Python
# decides what else the pins need.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${EMOCUE_WHEELHOUSE:-/var/cache/emocue/wheels}
BASE=${EMOCUE_BASE_IMAGE:-emocue-base:bookworm}
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3.11; fi; fi

if [ "${1:-}" = serve ]; then
  exec "$PY" -m http.server --bind 127.0.0.1 --directory "$DIR" "${2:?port}"
fi

mkdir -p "$DIR"
stamp="$DIR/.pins-$(cat requirements.txt deploy/services/requirements.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  printf '\033[1m==> wheels for requirements.txt and deploy/services/requirements.txt -> %s\033[0m\n' "$DIR" >&2
  # --no-deps: both files pin every package. Packages published only as sources (srt, ...)
  # are built into wheels here, once.
  # torch asks for setuptools, which pip freeze leaves out of requirements.txt: the version
  # this Python has.
  setuptools=$("$PY" -c 'import importlib.metadata as m; print(m.version("setuptools"))')
  log=$(mktemp)
  if ! "$PY" -m pip wheel -q --no-deps -r requirements.txt -r deploy/services/requirements.txt \
      "setuptools==$setuptools" -w "$DIR" >"$log" 2>&1; then
    grep -v "^WARNING: Location 'file:" "$log" >&2; rm -f "$log"; exit 1
  fi
  # Then whatever else the pins need under the images' Python: resolved inside the base image
  # itself (Debian's 3.11.2 needs packages a newer 3.11 does not, e.g. redis's async-timeout,
  # and pip's --python-version does not evaluate such markers), fetched one by one.
  for _ in $(seq 10); do
    missing=$(docker run --rm --network host -v "$DIR:/wheels:ro" -v "$PWD:/src:ro" "$BASE" sh -c \
      'python3 -m venv /tmp/v && /tmp/v/bin/pip install -q --dry-run --ignore-installed \
         --no-index --find-links /wheels -r /src/requirements.txt \
         -r /src/deploy/services/requirements.txt 2>&1' \
      | sed -n 's/^ERROR: No matching distribution found for //p' || true)
    [ -z "$missing" ] && break
    echo "  + $missing (for the image's Python)" >&2
    # Without its environment marker, which this Python may not meet.
    "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$DIR" "${missing%%;*}" 2>&1 \
      | grep -v "^WARNING: Location 'file:" >&2 || true
  done
  [ -z "$missing" ] || { echo "wheelhouse: still missing $missing" >&2; exit 1; }
  rm -f "$DIR"/.pins-*; touch "$stamp"
fi
echo "$DIR"
