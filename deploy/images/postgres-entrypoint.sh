#!/bin/sh
# First start: create the cluster with POSTGRES_USER / POSTGRES_PASSWORD and POSTGRES_DB.
# Then run the server in the foreground (PGPORT picks the port; 5432 by default).
set -eu
: "${POSTGRES_USER:=shop}" "${POSTGRES_DB:=shop}" "${PGPORT:=5432}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD must be set" >&2; exit 1; }
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $PGPORT" -w start >/dev/null
  PGPASSWORD=$POSTGRES_PASSWORD createdb -h /run/postgresql -p "$PGPORT" -U "$POSTGRES_USER" "$POSTGRES_DB" 2>/dev/null || true
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses="${LISTEN_ADDRESSES:-*}" -p "$PGPORT" \
  -c unix_socket_directories=/run/postgresql
