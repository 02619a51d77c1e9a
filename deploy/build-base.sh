#!/usr/bin/env bash
# The local base image, for machines that reach Debian's archive and PyPI but no public image
# registry: Debian bookworm from debootstrap (minbase), imported into Docker, plus Debian's
# Python 3.11 (with venv), ffmpeg and espeak-ng: what the official python:3.11-slim-bookworm
# image plus the Dockerfile's apt step give, from Debian packages only.
#   deploy/build-base.sh [TAG]        (default emocue-base:bookworm; root, a running dockerd)
# EMOCUE_DEBIAN_MIRROR picks the mirror (default http://deb.debian.org/debian). Re-running
# rebuilds; an existing TAG is kept unless EMOCUE_REBUILD_BASE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-emocue-base:bookworm}
MIRROR=${EMOCUE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if docker image inspect "$TAG" >/dev/null 2>&1 && [ "${EMOCUE_REBUILD_BASE:-}" != 1 ]; then
  say "$TAG exists (EMOCUE_REBUILD_BASE=1 rebuilds it)"; exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

ROOTFS=$(mktemp -d /var/tmp/emocue-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
start=$(date +%s)
say "debootstrap --variant=minbase bookworm ($MIRROR)"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/dev/null
# The updates and the security archive too, as the official Debian images list them.
security=${MIRROR%/debian}/debian-security
cat >"$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $security bookworm-security main
SOURCES
# Like the official images: no apt caches, no man pages or docs kept in layers.
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
say "docker import (debootstrap took $(( $(date +%s) - start )) s)"
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' - "$TAG-minbase" >/dev/null
say "Python 3.11, ffmpeg, espeak-ng (Debian packages) on top"
docker build --network host -q -t "$TAG" --build-arg "MINBASE=$TAG-minbase" \
  -f deploy/base.Dockerfile deploy >/dev/null
docker image rm "$TAG-minbase" >/dev/null
say "$TAG built in $(( $(date +%s) - start )) s: $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
