#!/usr/bin/env bash
# snapshot.sh — initial snapshot benchmark: cdcd's `snapshot: initial` into a Postgres replica
# against a native subscription's initial copy (`copy_data = true`), same machine, same run.
#
#   bench/snapshot.sh                      1,000,000 rows, 3 repetitions
#   ROWS=100000 RUNS=1 bench/snapshot.sh   quick check
#
# Two throwaway clusters (scripts/pg.sh). The source table is loaded once. Per repetition, each
# consumer alone, order alternating, target checkpointed first: native = CREATE SUBSCRIPTION
# (copy_data = true) into a fresh database, timed until its table has every row; cdcd = `cdcd run`
# with `snapshot: initial` and a postgres sink into a fresh database, timed until its table has
# every row. Both replicas are checked equal to the source (md5).
#
# Environment: ROWS=1000000 RUNS=3 SINK_BATCH=10000 CDCD=.build-bench/release/cdcd RESULTS=bench/results
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
SINK_BATCH=${SINK_BATCH:-10000}
CDCD=${CDCD:-$ROOT/.build-bench/release/cdcd}
RESULTS=${RESULTS:-$HERE/results}
SRC=snapshot-bench-src-$$
DST=snapshot-bench-dst-$$
mkdir -p "$RESULTS"
TXT=$RESULTS/snapshot-$(date +%Y%m%d-%H%M%S).txt
WORK=$(mktemp -d /tmp/snapshot-bench.XXXXXX)
RAW=$WORK/runs.tsv
: >"$RAW"

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }

if [ ! -x "$CDCD" ]; then
  log "building cdcd (release) into .build-bench"
  (cd "$ROOT" && swift build -c release --scratch-path .build-bench --product cdcd >&2)
fi
CDCD_PID=""
cleanup() {
  [ -n "$CDCD_PID" ] && kill -9 "$CDCD_PID" 2>/dev/null || true
  "$ROOT/scripts/pg.sh" destroy "$DST" >/dev/null 2>&1 || true
  "$ROOT/scripts/pg.sh" destroy "$SRC" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
SRC_URL=$("$ROOT/scripts/pg.sh" start "$SRC")
DST_URL=$("$ROOT/scripts/pg.sh" start "$DST")
qs() { psql "$SRC_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
qd() { local db=$1; shift; psql "$DST_URL dbname=$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
DDL="(id bigint PRIMARY KEY, k int, s text, ts timestamptz, x numeric)"

log "loading $ROWS rows into the source"
qs -c "create table public.t $DDL" \
   -c "insert into public.t select g, (g % 100000)::int, md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g * 1.5 from generate_series(1, $ROWS) g" \
   -c "vacuum analyze public.t" -c "create publication pub_native for table public.t" -c checkpoint
WANT=$(qs -c "select md5(string_agg(t::text, ',' order by id)) from public.t t")

wait_rows() {  # db n t0
  local c
  while :; do
    c=$(qd "$1" -c "select count(*) from public.t" 2>/dev/null || echo 0)
    [ "$c" -ge "$2" ] && break
    awk -v a="$3" -v b="$(now)" -v l=$((120 + ROWS / 2000)) 'BEGIN{exit !(b - a > l)}' && die "timed out in $1 (have $c rows)"
    sleep 0.05
  done
  awk -v a="$3" -v b="$(now)" 'BEGIN{printf "%.3f", b - a}'
}
settle() { qs -c checkpoint; psql "$DST_URL" -XAtq -c checkpoint; sleep 1; }
check() {  # db
  [ "$(qd "$1" -c "select md5(string_agg(t::text, ',' order by id)) from public.t t")" = "$WANT" ] || die "$1 differs from the source"
}

run_native() {
  local r=$1 t0 s
  psql "$DST_URL" -XAtq -c "create database native_$r" >/dev/null
  qd native_$r -c "create table public.t $DDL"
  settle
  t0=$(now)
  qd native_$r -c "create subscription sub_$r connection '$SRC_URL' publication pub_native with (copy_data = true)" >/dev/null 2>&1
  s=$(wait_rows native_$r "$ROWS" "$t0")
  check native_$r
  qd native_$r -c "drop subscription sub_$r" >/dev/null
  psql "$DST_URL" -XAtq -c "drop database native_$r with (force)" >/dev/null
  echo -e "native\t$r\t$s" >>"$RAW"
  log "run $r native copy: $s s ($(awk -v n="$ROWS" -v s="$s" 'BEGIN{printf "%.0f", n / s}') rows/s)"
}

run_cdcd() {
  local r=$1 t0 s dir=$WORK/cdcd-$r
  mkdir -p "$dir"
  psql "$DST_URL" -XAtq -c "create database cdcd_$r" >/dev/null
  qd cdcd_$r -c "create table public.t $DDL"
  cat >"$dir/cdcd.yaml" <<YAML
state_dir: $dir/state
admin: { listen: "127.0.0.1:0" }
source:
  postgres: { url: "$SRC_URL", slot: snap_$r, publication: pub_cdcd, tables: [public.t], snapshot: initial }
pipelines:
  - name: replica
    starting_position: TRIM_HORIZON
    batch_size: $SINK_BATCH
    batch_window: 20ms
    sink: { postgres: { url: "$DST_URL dbname=cdcd_$r" } }
YAML
  settle
  t0=$(now)
  "$CDCD" run --config "$dir/cdcd.yaml" >"$dir/cdcd.log" 2>&1 &
  CDCD_PID=$!
  s=$(wait_rows cdcd_$r "$ROWS" "$t0")
  kill -TERM "$CDCD_PID"; wait "$CDCD_PID" || true; CDCD_PID=""
  check cdcd_$r
  qs -c "select pg_drop_replication_slot('snap_$r')" >/dev/null
  psql "$DST_URL" -XAtq -c "drop database cdcd_$r with (force)" >/dev/null
  rm -rf "$dir/state"
  echo -e "cdcd\t$r\t$s" >>"$RAW"
  log "run $r cdcd snapshot: $s s ($(awk -v n="$ROWS" -v s="$s" 'BEGIN{printf "%.0f", n / s}') rows/s)"
}

for r in $(seq 1 "$RUNS"); do
  if [ $((r % 2)) -eq 1 ]; then run_native "$r"; run_cdcd "$r"; else run_cdcd "$r"; run_native "$r"; fi
done

python3 - "$RAW" "$ROWS" "$RUNS" <<'PY' | tee "$TXT"
import statistics as st, sys
raw, rows, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = {"native": [], "cdcd": []}
for line in open(raw):
    k, _, s = line.split("\t")
    times[k].append(float(s))
rate = {k: [rows / s for s in v] for k, v in times.items()}
print(f"initial snapshot of {rows} rows into a replica, each consumer alone, {runs} run(s); rows/s median (min-max)")
for k in ("native", "cdcd"):
    v = rate[k]
    print(f"  {k:8} {st.median(v):>10.0f}  ({min(v):.0f}-{max(v):.0f})  runs: {', '.join(f'{x:.0f}' for x in v)}")
print(f"  ratio cdcd/native (medians): {st.median(rate['cdcd']) / st.median(rate['native']):.2f}x")
PY
