#!/bin/sh
# PostgreSQL for the test stack, run as the postgres user: on first start, a cluster in
# PGDATA with POSTGRES_USER (the superuser, password POSTGRES_PASSWORD) and POSTGRES_DB, as
# the official image's entry point makes; then the server, with any extra arguments
# (e.g. -c listen_addresses=127.0.0.1 -p 55432).
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BIN=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"${POSTGRES_USER:-postgres}\";" |
      "$BIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "emocue-postgres: cluster initialised in $PGDATA"
fi
exec "$BIN/postgres" -D "$PGDATA" -k /tmp "$@"
