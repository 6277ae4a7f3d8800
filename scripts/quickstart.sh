#!/usr/bin/env bash
# quickstart.sh — see cdcd work on a fresh machine: install what it needs, build, start a throwaway
# PostgreSQL with a demo schema, stream its changes with `cdcd tail`, then run the daemon with a
# pipeline that replicates into a second database and one that writes paid orders to a file, make
# some changes, show the replica and the records, and clean up. Run as root (apt-get) or with the
# packages already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libpq-dev libcurl4-openssl-dev postgresql python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building cdcd"
swift build --product cdcd 2>&1 | tail -n 1
cdcd=$(swift build --product cdcd --show-bin-path)/cdcd

echo "== starting a throwaway PostgreSQL"
name=cdcd-quickstart-$$
url=$(scripts/pg.sh start "$name")
work=$(mktemp -d)
tail_pid=""
cleanup() {
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null && wait "$tail_pid" 2>/dev/null
  scripts/pg.sh destroy "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "   $url"

psql -q "$url" <<'SQL'
CREATE TABLE public.orders (
  id bigint PRIMARY KEY, customer text NOT NULL, status text NOT NULL,
  total numeric(10,2), tags text[], details jsonb, created_at timestamptz DEFAULT now());
ALTER TABLE public.orders REPLICA IDENTITY FULL;
SQL

echo "== cdcd tail --source '$url' --tables public.orders"
"$cdcd" tail --source "$url" --tables public.orders >"$work/records.jsonl" 2>"$work/tail.log" &
tail_pid=$!
# Wait until the temporary slot has reached its consistent point.
for _ in $(seq 1 100); do
  ready=$(psql -Atq "$url" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'cdcd_tail_%' AND confirmed_flush_lsn IS NOT NULL")
  [ "$ready" = 1 ] && break
  sleep 0.1
done

echo "== making changes"
psql -q "$url" <<'SQL'
INSERT INTO public.orders (id, customer, status, total, tags, details)
  VALUES (1, 'ada', 'new', 99.90, '{books}', '{"gift": true}'),
         (2, 'linus', 'new', 12.00, '{}', null);
UPDATE public.orders SET status = 'paid' WHERE id = 1;
UPDATE public.orders SET id = 20 WHERE id = 2;
DELETE FROM public.orders WHERE id = 20;
SQL

for _ in $(seq 1 50); do
  [ "$(wc -l <"$work/records.jsonl")" -ge 5 ] && break
  sleep 0.1
done
kill "$tail_pid"; wait "$tail_pid" 2>/dev/null || true; tail_pid=""

echo "== records (JSON Lines, one per change):"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["eventName"].ljust(7), r["table"], "keys=" + json.dumps(r.get("keys")),
          "old=" + json.dumps(r.get("oldKeys")) if "oldKeys" in r else "",
          "new=" + json.dumps(r.get("newImage")) if "newImage" in r else "")' <"$work/records.jsonl"
fi
echo
head -n 1 "$work/records.jsonl"
count=$(wc -l <"$work/records.jsonl")
echo "== $count records captured; cdcd's log:"
cat "$work/tail.log"
[ "$count" -eq 5 ] || { echo "expected 5 records" >&2; exit 1; }

echo
echo "== cdcd run: the daemon, replicating into database 'replica' and writing paid orders to a file"
psql -q "$url" -c "CREATE DATABASE replica"
cat >"$work/cdcd.yaml" <<YAML
state_dir: ./state
admin: { listen: "127.0.0.1:0" }
source:
  postgres:
    url: "$url"
    slot: quickstart
    publication: quickstart
    tables: [public.orders]
    snapshot: never
pipelines:
  - name: replica
    starting_position: TRIM_HORIZON
    sink: { postgres: { url: "$url dbname=replica", create_tables: true } }
  - name: paid-orders
    starting_position: TRIM_HORIZON
    filter: [{ newImage: { status: [paid] } }]
    sink: { file: { path: ./paid-orders.jsonl } }
YAML
"$cdcd" check --config "$work/cdcd.yaml" || true
"$cdcd" run --config "$work/cdcd.yaml" >"$work/run.log" 2>&1 &
tail_pid=$!
for _ in $(seq 1 100); do
  ready=$(psql -Atq "$url" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'quickstart' AND active")
  [ "$ready" = 1 ] && break
  sleep 0.1
done
echo "== making changes"
psql -q "$url" <<'SQL'
INSERT INTO public.orders (id, customer, status, total) VALUES (3, 'grace', 'new', 5.00), (4, 'alan', 'paid', 7.50);
UPDATE public.orders SET status = 'paid' WHERE id = 3;
UPDATE public.orders SET total = 109.90 WHERE id = 1;
SQL
query="SELECT id, customer, status, total, tags, details FROM public.orders ORDER BY id"
for _ in $(seq 1 100); do
  [ -f "$work/paid-orders.jsonl" ] && [ "$(wc -l <"$work/paid-orders.jsonl")" -ge 3 ] \
    && [ "$(psql -Atq "$url dbname=replica" -c "$query" 2>/dev/null)" = "$(psql -Atq "$url" -c "$query")" ] && break
  sleep 0.1
done
kill -TERM "$tail_pid"; wait "$tail_pid" || { echo "cdcd run did not exit cleanly" >&2; cat "$work/run.log" >&2; exit 1; }
tail_pid=""
echo "== the source:"
psql "$url" -c "$query"
echo "== the replica (database 'replica', table created by cdcd):"
psql "$url dbname=replica" -c "$query"
echo "== paid orders delivered by the file pipeline:"
cut -c1-160 "$work/paid-orders.jsonl"
[ "$(psql -Atq "$url dbname=replica" -c "$query")" = "$(psql -Atq "$url" -c "$query")" ] \
  || { echo "the replica differs from the source" >&2; cat "$work/run.log" >&2; exit 1; }
[ "$(wc -l <"$work/paid-orders.jsonl")" -eq 3 ] || { echo "expected 3 paid orders" >&2; cat "$work/run.log" >&2; exit 1; }
psql -q "$url" -c "SELECT pg_drop_replication_slot('quickstart')" >/dev/null
echo "== done (the throwaway server is removed)"
