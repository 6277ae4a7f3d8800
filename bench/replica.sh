#!/usr/bin/env bash
# replica.sh — Postgres replica benchmark: cdcd's postgres sink against PostgreSQL's own logical
# replication (publication/subscription), same machine, same WAL, same run.
#
#   bench/replica.sh                          full run: 1,000,000 rows, 3 repetitions, 30 s lag run
#   ROWS=100000 RUNS=1 LAG_SECONDS=10 bench/replica.sh   quick check
#
# Two throwaway clusters (scripts/pg.sh): a source and a target. Per repetition: a fresh source
# table and publication, the native subscription created disabled (its slot exists), cdcd's slot
# created; then ROWS rows are inserted in BATCH-row transactions while both consumers are stopped.
# Then each consumer is started alone and timed until its target table has every row (native:
# ALTER SUBSCRIPTION ENABLE; cdcd: `cdcd run` with a postgres sink). The order rotates between
# repetitions. Then the commit-to-apply lag (p50/p99) of each during a `pgbench -c 4` run.
#
# Environment (defaults):
#   ROWS=1000000 RUNS=3 BATCH=1000 LAG_SECONDS=30 SINK_BATCH=10000
#   CDCD=.build-bench/release/cdcd   (swift build -c release --scratch-path .build-bench --product cdcd)
#   SOCKET=tcp                        how every consumer connects to both servers: tcp (127.0.0.1) or
#                                     unix (the servers' Unix sockets)
#   DRAIN=1                           also time pg_recvlogical (pgoutput, to /dev/null) draining its
#                                     own slot: the walsender with a consumer that applies nothing
#   CDCD_B=                           a second cdcd command (a binary, or a wrapper script) timed in
#                                     the same repetitions as "cdcd-b", for A/B comparisons
#   RESULTS=bench/results            the summary goes to $RESULTS/replica-<date>.txt
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BATCH=${BATCH:-1000}
LAG_SECONDS=${LAG_SECONDS:-30}
SINK_BATCH=${SINK_BATCH:-10000}
CDCD=${CDCD:-$ROOT/.build-bench/release/cdcd}
CDCD_B=${CDCD_B:-}
DRAIN=${DRAIN:-1}
SOCKET=${SOCKET:-tcp}
RESULTS=${RESULTS:-$HERE/results}
SRC=replica-bench-src-$$
DST=replica-bench-dst-$$
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
TXT=$RESULTS/replica-$STAMP.txt
WORK=$(mktemp -d /tmp/replica-bench.XXXXXX)
RAW=$WORK/runs.tsv
: >"$RAW"

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }

if [ ! -x "$CDCD" ]; then
  log "building cdcd (release) into .build-bench"
  (cd "$ROOT" && swift build -c release --scratch-path .build-bench --product cdcd >&2)
fi
command -v pgbench >/dev/null || die "pgbench not found (apt-get install postgresql)"
python3 -c 'import psycopg2' 2>/dev/null || python3 -m pip install -q psycopg2-binary >&2

CDCD_PID=""
cleanup() {
  [ -n "$CDCD_PID" ] && kill -9 "$CDCD_PID" 2>/dev/null || true
  "$ROOT/scripts/pg.sh" destroy "$DST" >/dev/null 2>&1 || true
  "$ROOT/scripts/pg.sh" destroy "$SRC" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# Autovacuum off on both servers: it vacuumed and analyzed each freshly loaded source table and
# each filled replica table (0.3-0.5 s of CPU each) at moments of its own choosing, often in the
# middle of the next consumer's timed run, so the consumer that ran first or after a big target
# paid for it (stop 19: the native subscription ran 217-245k rows/s when it went first and
# 305-313k when it went last, in the same benchmark).
SRC_URL=$("$ROOT/scripts/pg.sh" start "$SRC" --conf 'autovacuum = off')
DST_URL=$("$ROOT/scripts/pg.sh" start "$DST" --conf 'autovacuum = off')
if [ "$SOCKET" = unix ]; then   # scripts/pg.sh puts each server's socket in /tmp/cdcd-pg-NAME
  SRC_URL=${SRC_URL/host=127.0.0.1/host=/tmp/cdcd-pg-$SRC}
  DST_URL=${DST_URL/host=127.0.0.1/host=/tmp/cdcd-pg-$DST}
fi
qs() { psql "$SRC_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
qd() { local db=$1; shift; psql "$DST_URL dbname=$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
log "source $SRC_URL, target $DST_URL"

TABLE_DDL="(id bigint PRIMARY KEY, k int, s text, ts timestamptz, x numeric)"

# Waits until a target table has N rows; prints the seconds since $4 (bench/replica_wait.py).
wait_rows() {  # db table n t0 timeout
  python3 "$HERE/replica_wait.py" "$DST_URL dbname=$1" "$2" "$3" "$4" "$5" || die "waiting for $3 rows in $1.$2"
}

cdcd_config() {  # dir slot publication tables db
  cat >"$1/cdcd.yaml" <<YAML
state_dir: $1/state
admin: { listen: "127.0.0.1:0" }
source:
  postgres:
    url: "$SRC_URL"
    slot: $2
    publication: $3
    tables: [$4]
    snapshot: never
pipelines:
  - name: replica
    starting_position: TRIM_HORIZON
    batch_size: $SINK_BATCH
    batch_window: 20ms
    sink:
      postgres:
        url: "$DST_URL dbname=$5"
YAML
}

# CPU seconds a process has used so far (utime + stime; 0 if it is gone).
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
sum_cpu() { local p t=0; for p in "$@"; do t=$(awk -v a="$t" -v b="$(proc_cpu "$p")" 'BEGIN{print a + b}'); done; echo "$t"; }
# The CPU of one timed run, read once its target has every row (before the consumer stops); every
# process counted was started for this run: the walsender of SLOT, the consumer (cdcd's process, or
# the subscription's apply worker) and the target database's backends (COPY, checkpoint saves).
run_cpu() {  # slot db consumer-pid
  local ws backends
  ws=$(qs -c "select active_pid from pg_replication_slots where slot_name = '$1'")
  backends=$(psql "$DST_URL" -XAtq -c "select pid from pg_stat_activity where datname = '$2' and pid <> pg_backend_pid() and backend_type = 'client backend'")
  echo "$(proc_cpu "$ws") $(proc_cpu "$3") $(sum_cpu $backends)"
}

# pg_recvlogical drains slot drain_R to END into /dev/null; its CPU and its walsender's are sampled
# while it runs (both exit at END).
run_drain() {  # r
  local r=$1 t0 t1 pid ws="" wcpu=0 ccpu=0 v
  settle
  t0=$(now)
  pg_recvlogical -d "$SRC_URL" --slot drain_$r --start --endpos "$END" --no-loop \
    -o proto_version=1 -o publication_names=pub_$r -f /dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    [ -n "$ws" ] || ws=$(qs -c "select active_pid from pg_replication_slots where slot_name = 'drain_$r'")
    if [ -n "$ws" ]; then
      v=$(proc_cpu "$ws"); [ "$v" = 0 ] || wcpu=$v
      v=$(proc_cpu "$pid"); [ "$v" = 0 ] || ccpu=$v
    fi
    sleep 0.05
  done
  t1=$(now)
  wait "$pid" || die "pg_recvlogical failed"
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}')
  echo -e "drain\t$r\t$s\t$wcpu $ccpu 0" >>"$RAW"
  log "run $r drain (pg_recvlogical): $s s ($(awk -v n="$ROWS" -v s="$s" 'BEGIN{printf "%.0f", n / s}') rows/s); CPU-s walsender, pg_recvlogical: $wcpu $ccpu"
}

# Each timed consumer starts on a quiet target: the previous one's dirty pages are flushed first
# (otherwise the second run pays for the first one's checkpoint).
settle() { qs -c checkpoint; psql "$DST_URL" -XAtq -c checkpoint; sleep 1; }

run_native() {  # r
  local r=$1 t0 s
  settle
  t0=$(now)
  qd native_$r -c "alter subscription sub_$r enable"
  s=$(wait_rows native_$r public.t_$r "$ROWS" "$t0" $((120 + ROWS / 2000)))
  cpu=$(run_cpu sub_$r native_$r "$(qd native_$r -c "select pid from pg_stat_subscription where subname = 'sub_$r' and relid is null")")
  qd native_$r -c "alter subscription sub_$r disable"
  echo -e "native\t$r\t$s\t$cpu" >>"$RAW"
  log "run $r native: $s s ($(awk -v n="$ROWS" -v s="$s" 'BEGIN{printf "%.0f", n / s}') rows/s); CPU-s walsender, apply worker, target backends: $cpu"
}

run_cdcd() {  # r [name binary]: name is the consumer (slot, database), cdcd or cdcd_b
  local r=$1 name=${2:-cdcd} binary=${3:-$CDCD} t0 s dir
  dir=$WORK/$name-$r
  mkdir -p "$dir"
  cdcd_config "$dir" ${name}_$r pub_$r "public.t_$r" ${name}_$r
  settle
  t0=$(now)
  "$binary" run --config "$dir/cdcd.yaml" >"$dir/cdcd.log" 2>&1 &
  CDCD_PID=$!
  s=$(wait_rows ${name}_$r public.t_$r "$ROWS" "$t0" $((120 + ROWS / 2000)))
  cpu=$(run_cpu ${name}_$r ${name}_$r "$(pgrep -f -- "--config $dir/cdcd.yaml" | head -1)")
  kill -TERM "$CDCD_PID"; wait "$CDCD_PID" || true; CDCD_PID=""
  echo -e "${name//_/-}\t$r\t$s\t$cpu" >>"$RAW"
  log "run $r ${name//_/-}: $s s ($(awk -v n="$ROWS" -v s="$s" 'BEGIN{printf "%.0f", n / s}') rows/s); CPU-s walsender, cdcd, target backends: $cpu"
}

for r in $(seq 1 "$RUNS"); do
  log "run $r: preparing (table t_$r, both consumers stopped)"
  qs -c "create table public.t_$r $TABLE_DDL" -c "create publication pub_$r for table public.t_$r" \
     -c "select pg_create_logical_replication_slot('cdcd_$r', 'pgoutput')" >/dev/null
  DBS="native_$r cdcd_$r"
  if [ -n "$CDCD_B" ]; then
    qs -c "select pg_create_logical_replication_slot('cdcd_b_$r', 'pgoutput')" >/dev/null
    DBS="$DBS cdcd_b_$r"
  fi
  [ "$DRAIN" = 0 ] || qs -c "select pg_create_logical_replication_slot('drain_$r', 'pgoutput')" >/dev/null
  for db in $DBS; do
    psql "$DST_URL" -XAtq -c "create database $db" >/dev/null
    qd $db -c "create table public.t_$r $TABLE_DDL"
  done
  qd native_$r -c "create subscription sub_$r connection '$SRC_URL' publication pub_$r with (enabled = false, copy_data = false)" >/dev/null
  log "run $r: inserting $ROWS rows in $BATCH-row transactions"
  qs -c "do \$\$ begin
    for i in 0..$(((ROWS + BATCH - 1) / BATCH - 1)) loop
      insert into public.t_$r
        select g, (g % 100000)::int, md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g * 1.5
        from generate_series(i * $BATCH + 1, least((i + 1) * $BATCH, $ROWS)) g;
      commit;
    end loop; end \$\$"
  END=$(qs -c "select pg_current_wal_insert_lsn()")
  qs -c checkpoint
  for db in $DBS; do qd $db -c checkpoint; done
  # Each consumer takes each place in the order in turn (the first one after the load, the last).
  consumers=(native cdcd)
  [ -z "$CDCD_B" ] || consumers+=(cdcd_b)
  [ "$DRAIN" = 0 ] || consumers+=(drain)
  n=${#consumers[@]}
  for k in $(seq 0 $((n - 1))); do
    case ${consumers[$(((k + r - 1) % n))]} in
      native) run_native "$r" ;;
      cdcd) run_cdcd "$r" ;;
      cdcd_b) run_cdcd "$r" cdcd_b "$CDCD_B" ;;
      drain) run_drain "$r" ;;
    esac
  done
  # the replicas must be equal to the source
  want=$(qs -c "select md5(string_agg(t::text, ',' order by id)) from public.t_$r t")
  for db in $DBS; do
    got=$(qd $db -c "select md5(string_agg(t::text, ',' order by id)) from public.t_$r t")
    [ "$got" = "$want" ] || die "$db differs from the source"
  done
  qd native_$r -c "alter subscription sub_$r set (slot_name = none)" -c "drop subscription sub_$r" >/dev/null 2>&1 || true
  qs -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name in ('sub_$r', 'cdcd_$r', 'cdcd_b_$r', 'drain_$r')" >/dev/null
  for db in $DBS; do psql "$DST_URL" -XAtq -c "drop database $db with (force)" >/dev/null; done
  qs -c "drop table public.t_$r" >/dev/null
done

# --- lag during pgbench -------------------------------------------------------------------------
lag_run() {  # name
  local name=$1
  qs -c "create schema lag_$name" >/dev/null
  PGOPTIONS="-c search_path=lag_$name" pgbench -q -i -s 1 "$SRC_URL" >/dev/null 2>&1
  qs -c "create table lag_$name.lag_probe (id int primary key, at timestamptz default clock_timestamp())" >/dev/null
  psql "$DST_URL" -XAtq -c "create database lag_$name" >/dev/null
  pg_dump -s -n "lag_$name" "$SRC_URL" | psql "$DST_URL dbname=lag_$name" -XAtq >/dev/null
  # the target starts equal to the source (copied once), then each consumer follows the changes
  for t in pgbench_accounts pgbench_branches pgbench_tellers; do
    psql "$SRC_URL" -XAtq -c "\\copy lag_$name.$t to '$WORK/$t.copy'"
    psql "$DST_URL dbname=lag_$name" -XAtq -c "\\copy lag_$name.$t from '$WORK/$t.copy'"
  done
  qs -c "create publication lagpub_$name for tables in schema lag_$name" >/dev/null
  if [ "$name" = native ]; then
    qd lag_$name -c "create subscription lagsub connection '$SRC_URL' publication lagpub_$name with (copy_data = false)" >/dev/null
  else
    mkdir -p "$WORK/lag"
    cdcd_config "$WORK/lag" lagslot lagpub_$name "lag_$name.*" lag_$name
    sed -i "s/batch_window: 20ms/batch_window: 0s/" "$WORK/lag/cdcd.yaml"
    "$CDCD" run --config "$WORK/lag/cdcd.yaml" >"$WORK/lag/cdcd.log" 2>&1 &
    CDCD_PID=$!
  fi
  sleep 3
  PGOPTIONS="-c search_path=lag_$name" pgbench -n -c 4 -j 2 -T "$LAG_SECONDS" "$SRC_URL" >"$WORK/pgbench-$name.log" 2>&1 &
  local bench=$!
  local result
  result=$(PGOPTIONS="-c search_path=lag_$name" python3 "$HERE/replica_lag.py" "$SRC_URL options='-c search_path=lag_$name'" \
    "$DST_URL dbname=lag_$name options='-c search_path=lag_$name'" "$LAG_SECONDS")
  wait $bench
  local tps
  tps=$(awk '/^tps/{print int($3); exit}' "$WORK/pgbench-$name.log")
  echo -e "lag-$name\t$result\ttps=$tps" >>"$RAW"
  log "lag $name: probes p50 p99 max (ms): $result; pgbench tps $tps"
  if [ "$name" = native ]; then
    qd lag_$name -c "drop subscription lagsub" >/dev/null
  else
    kill -TERM "$CDCD_PID"; wait "$CDCD_PID" || true; CDCD_PID=""
    qs -c "select pg_drop_replication_slot('lagslot')" >/dev/null
  fi
}
if [ "$LAG_SECONDS" -gt 0 ]; then lag_run native; lag_run cdcd; fi

python3 - "$RAW" "$ROWS" "$RUNS" <<'PY' | tee "$TXT"
import statistics as st, sys
raw, rows, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = {"native": [], "cdcd": [], "cdcd-b": [], "drain": []}
cpus = {k: [] for k in times}
lags = []
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if f[0] in times:
        times[f[0]].append(float(f[2]))
        if len(f) > 3: cpus[f[0]].append([float(x) for x in f[3].split()])
    else: lags.append(f)
rate = {k: [rows / s for s in v] for k, v in times.items()}
print(f"replica apply: {rows} rows in 1,000-row transactions, each consumer alone, {runs} run(s); rows/s median (min-max)")
if rate["drain"]: print("  (drain: pg_recvlogical, pgoutput to /dev/null, applies nothing)")
for k in ("native", "cdcd", "cdcd-b", "drain"):
    v = rate[k]
    if v: print(f"  {k:8} {st.median(v):>10.0f}  ({min(v):.0f}-{max(v):.0f})  runs: {', '.join(f'{x:.0f}' for x in v)}")
print("CPU seconds per run, medians: walsender / consumer (cdcd, the apply worker, pg_recvlogical) / target backends")
for k in ("native", "cdcd", "cdcd-b", "drain"):
    c = cpus[k]
    if c: print(f"  {k:8} " + " / ".join(f"{st.median(x[i] for x in c):.2f}" for i in range(3))
                + f"   total {st.median(sum(x) for x in c):.2f}   runs: " + ", ".join("/".join(f"{v:.2f}" for v in x) for x in c))
if rate["native"] and rate["cdcd"]:
    print(f"  ratio cdcd/native (medians): {st.median(rate['cdcd']) / st.median(rate['native']):.2f}x")
if rate["native"] and rate["cdcd-b"]:
    print(f"  ratio cdcd-b/native (medians): {st.median(rate['cdcd-b']) / st.median(rate['native']):.2f}x")
for f in lags:
    print(f"  {f[0]}: probes p50 p99 max ms = {f[1]}  ({f[2]})")
PY
