#!/usr/bin/env bash
# pg.sh — throwaway PostgreSQL servers for cdcd's tests, CI, benchmarks and the quickstart.
#
#   scripts/pg.sh start NAME [--port N] [--wal-level logical|replica] [--conf 'key = value']...
#       initdb (first time) in /tmp/cdcd-pg-NAME, start on a free loopback port (or --port),
#       wal_level=logical by default, trust auth on 127.0.0.1 only (--host-auth scram-sha-256 asks
#       TCP clients for a password; the Unix socket in /tmp/cdcd-pg-NAME stays trust). Prints the
#       conninfo on stdout.
#   scripts/pg.sh stop NAME        fast shutdown (keeps the data directory)
#   scripts/pg.sh restart NAME     stop + start on the same port (data kept)
#   scripts/pg.sh crash NAME       immediate shutdown, as a crash of the server (data kept; WAL not
#                                  yet written is lost); `restart` starts it again with recovery
#   scripts/pg.sh destroy NAME     stop and remove the data directory
#   scripts/pg.sh url NAME         print the conninfo of a running server
#
# PostgreSQL refuses to run as root: the server runs as the `postgres` OS user (runuser).
set -euo pipefail

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

die() { echo "pg.sh: $*" >&2; exit 1; }
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || die "usage: pg.sh start|stop|crash|restart|destroy|url NAME [options]"
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "NAME must match [A-Za-z0-9_-]+"
shift 2
base=/tmp/cdcd-pg-$name
data=$base/data

running() { [ -f "$data/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }
url() { echo "host=127.0.0.1 port=$(cat "$base/port") user=postgres dbname=postgres"; }

start_server() {
  as_pg "$PGBIN/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$base/server.log" >&2; die "server $name did not start (log: $base/server.log)"; }
}

case "$cmd" in
start)
  port=""; wal_level=logical; extra=(); host_auth=trust
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=$2; shift 2 ;;
      --wal-level) wal_level=$2; shift 2 ;;
      --conf) extra+=("$2"); shift 2 ;;
      --host-auth) host_auth=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  if running; then url; exit 0; fi
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$base"; chown postgres:postgres "$base"; chmod 700 "$base"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'cdcd.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    as_pg tee "$data/pg_hba.conf" >/dev/null <<HBA
local   all          all                 trust
host    all          all   127.0.0.1/32  $host_auth
local   replication  all                 trust
host    replication  all   127.0.0.1/32  $host_auth
HBA
  fi
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$base'"
    echo "wal_level = $wal_level"
    echo "max_replication_slots = 40"
    echo "max_wal_senders = 40"
    echo "max_connections = 200"
    echo "max_logical_replication_workers = 8"
    echo "max_worker_processes = 16"
    echo "shared_buffers = 256MB"
    echo "max_wal_size = 4GB"
    echo "wal_sender_timeout = 60s"
    for line in "${extra[@]+"${extra[@]}"}"; do echo "$line"; done
  } | as_pg tee "$data/cdcd.conf" >/dev/null
  echo "$port" >"$base/port"
  start_server
  url
  ;;
stop)
  if running; then as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 120 stop >/dev/null; fi
  ;;
crash)
  if running; then as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 120 stop >/dev/null; fi
  ;;
restart)
  [ -f "$base/port" ] || die "server $name was never started"
  if running; then as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 120 stop >/dev/null; fi
  start_server
  ;;
destroy)
  if running; then as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 120 stop >/dev/null || true; fi
  rm -rf "$base"
  ;;
url)
  running || die "server $name is not running"
  url
  ;;
*) die "unknown command $cmd" ;;
esac
