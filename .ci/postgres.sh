#!/usr/bin/env bash
# A private PostgreSQL for the history tests (tests/test_history_store.py and friends): Debian's
# postgresql package, a cluster in a temp dir, listening on 127.0.0.1:PORT and a socket in that
# dir, run as the unprivileged 'postgres' user (the server refuses to run as root). Sourced by
# .ci/run:  pg_start  exports IOSMEM_TEST_POSTGRES_URL;  pg_stop  stops it and removes the dir.
# Usable by hand too:  source .ci/postgres.sh && pg_start && ... && pg_stop
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

pg_start() {
  local bin port user
  if ! bin=$(pg_bin); then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
        || { echo "warning: could not install postgresql; the PostgreSQL history tests will fail in CI" >&2; return 0; }
    fi
    bin=$(pg_bin) || { echo "warning: no PostgreSQL server found" >&2; return 0; }
  fi
  user=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
  fi
  PG_DIR=$(mktemp -d /tmp/iosmem-pg.XXXXXX)
  chown "$user" "$PG_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
  as_pg "$bin/initdb" -D "$PG_DIR/data" -U iosmem --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_USER=$user PG_BIN=$bin
  export IOSMEM_TEST_POSTGRES_URL="postgresql://iosmem@127.0.0.1:$port/postgres"
  echo "PostgreSQL for the history tests: $IOSMEM_TEST_POSTGRES_URL (socket in $PG_DIR)"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  else
    "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=
}
