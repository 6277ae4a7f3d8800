#!/usr/bin/env bash
# pipeline.sh — stream and pipeline benchmark: how fast does `cdcd run` move a backlog from a
# logical slot through the durable stream (state_dir/stream) into a file sink, next to
# `cdcd tail` draining the same WAL to /dev/null, on this machine.
#
#   bench/pipeline.sh                         full run: 1,000,000 rows, 3 repetitions (~5 min)
#   ROWS=100000 RUNS=1 bench/pipeline.sh      quick check (~1 min)
#
# One throwaway PostgreSQL (scripts/pg.sh), one table. Before any row exists: per repetition R,
# a `cdcd tail` slot tail_R (+ publication, created in SQL as capture.sh does) and a `cdcd run`
# slot bench_run_R (+ publication), created by starting `cdcd run` once with its own config and
# state_dir until the slot exists, then SIGTERM. Then ROWS rows are inserted ONCE in BATCH-row
# transactions while no cdcd runs. Timed, per repetition, one at a time:
#   tail: `cdcd tail --slot tail_R --end-lsn END > /dev/null` (exits by itself at END)
#   run:  `cdcd run` (config: snapshot never, one pipeline TRIM_HORIZON, batch_size 1000, file
#         sink) from its start until the sink file has ROWS lines (polled every 0.05 s, counting
#         only new bytes); meanwhile the size of state_dir/stream is sampled: the time it stops
#         growing is when capture finished appending. Then SIGTERM: cdcd must exit 0, and the
#         file must hold exactly ROWS lines (VERIFY=1: ids 1..ROWS, in order).
#
# Environment (defaults):
#   ROWS=1000000 RUNS=3 BATCH=1000
#   CDCD=.build-bench/release/cdcd   built with:
#        swift build -c release --scratch-path .build-bench --product cdcd
#   VERIFY=1       after each run, check the sink file's ids are exactly 1..ROWS in order (untimed)
#   QUIET_MAX=60   before each timed run wait up to N s for machine CPU use < QUIET_PCT=15 % (0: off)
#   TIMEOUT=60+ROWS/2000 s per timed run; SETUP_TIMEOUT=60 s for `cdcd run` to create its slot
#   RESULTS=bench/results   the table goes to $RESULTS/pipeline-<date>.txt (+ .log with details)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BATCH=${BATCH:-1000}
CDCD=${CDCD:-$ROOT/.build-bench/release/cdcd}
VERIFY=${VERIFY:-1}
QUIET_MAX=${QUIET_MAX:-60}
QUIET_PCT=${QUIET_PCT:-15}
TIMEOUT=${TIMEOUT:-$((60 + ROWS / 2000))}
SETUP_TIMEOUT=${SETUP_TIMEOUT:-60}
RESULTS=${RESULTS:-$HERE/results}
PYTHON=${PYTHON:-python3}
WATCH=$HERE/pipeline_watch.py
PGNAME=pipeline-bench-$$

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
TXT=$RESULTS/pipeline-$STAMP.txt
LOG=$RESULTS/pipeline-$STAMP.log
WORK=$(mktemp -d /tmp/pipeline-bench.XXXXXX)
RAW=$WORK/runs.tsv
: >"$RAW"

log() { echo "[$(date +%T)] $*" | tee -a "$LOG" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
show_log() {  # FILE: its last lines, to the terminal and the .log
  sed 's/^/  cdcd: /' "$1" | tail -n "${2:-20}" | tee -a "$LOG" >&2
}

# --- preflight --------------------------------------------------------------------------------
[[ "$ROWS" =~ ^[0-9]+$ && "$ROWS" -gt 0 && "$RUNS" =~ ^[0-9]+$ && "$RUNS" -gt 0 && "$BATCH" =~ ^[0-9]+$ && "$BATCH" -gt 0 ]] \
  || die "ROWS, RUNS and BATCH must be positive integers"
[ -x "$CDCD" ] || die "no cdcd binary at $CDCD; build it: swift build -c release --scratch-path .build-bench --product cdcd (or set CDCD=...)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 8)' 2>/dev/null || die "needs python3 (3.8+)"

cleanup() {
  local rc=$?
  set +e
  local p; for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  "$ROOT/scripts/pg.sh" destroy "$PGNAME" >/dev/null 2>&1
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- machine CPU accounting (as in capture.sh) ------------------------------------------------
. "$HERE/lib.sh"
stop_cdcd() {  # PID: SIGTERM, wait up to 30 s (then SIGKILL); sets STOP_RC and STOP_S
  local pid=$1 t0 i
  t0=$(now)
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "cdcd (pid $pid) still running 30 s after SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  set +e; wait "$pid"; STOP_RC=$?; set -e
  STOP_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}')
}

# --- server -----------------------------------------------------------------------------------
log "pipeline benchmark: ROWS=$ROWS BATCH=$BATCH RUNS=$RUNS"
URL=$("$ROOT/scripts/pg.sh" start "$PGNAME" \
  --conf 'shared_buffers = 1GB' --conf 'max_wal_size = 8GB' --conf 'checkpoint_timeout = 30min' \
  --conf "max_replication_slots = $((2 * RUNS + 10))" --conf "max_wal_senders = 20")
PMPID=$(head -n 1 "/tmp/cdcd-pg-$PGNAME/data/postmaster.pid")
PGVER=$(psql "$URL" -XAtqc 'show server_version')
log "server: $URL (PostgreSQL $PGVER)"
q() { psql "$URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# --- table, tail slots ------------------------------------------------------------------------
{
  echo "create table public.bench(id bigint primary key, a integer, b text, c timestamptz, d numeric);"
  for r in $(seq 1 "$RUNS"); do
    echo "create publication tail_$r for table public.bench;"
    echo "select pg_create_logical_replication_slot('tail_$r', 'pgoutput');"
  done
} | q >/dev/null

# --- cdcd run: one config, state_dir and slot per repetition; let cdcd create slot+publication --
write_config() {  # R -> $WORK/run$R/cdcd.yaml
  local d=$WORK/run$1
  mkdir -p "$d"
  cat >"$d/cdcd.yaml" <<EOF
state_dir: $d/state
source:
  postgres:
    url: "$URL"
    slot: bench_run_$1
    publication: bench_run_$1
    tables: [public.bench]
    snapshot: never
pipelines:
  - name: file
    starting_position: TRIM_HORIZON
    batch_size: 1000
    sink: { file: { path: $d/out.jsonl } }
EOF
}
for r in $(seq 1 "$RUNS"); do
  write_config "$r"
  d=$WORK/run$r
  CMD=("$CDCD" run --config "$d/cdcd.yaml")
  "${CMD[@]}" >"$d/setup.log" 2>&1 &
  pid=$!
  ok=""
  for i in $(seq 1 $((SETUP_TIMEOUT * 10))); do
    if [ "$(q -c "select confirmed_flush_lsn is not null from pg_replication_slots where slot_name = 'bench_run_$r'")" = t ]; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_cdcd "$pid"
  if [ -z "$ok" ] || [ "$STOP_RC" -ne 0 ]; then
    log "setup failed: slot bench_run_$r $([ -n "$ok" ] && echo created || echo "not created within ${SETUP_TIMEOUT}s"), cdcd exit $STOP_RC; command: ${CMD[*]}"
    show_log "$d/setup.log"
    die "setup of run $r failed"
  fi
  [ "$(wc -l <"$d/out.jsonl" 2>/dev/null || echo 0)" -eq 0 ] || die "run $r: sink file not empty after setup: $d/out.jsonl"
done
log "setup: $RUNS cdcd run slot(s) created by cdcd (each started and stopped with SIGTERM), $RUNS tail slot(s)"

# --- data -------------------------------------------------------------------------------------
q -c checkpoint
LSN0=$(q -c 'select pg_current_wal_insert_lsn()')
log "inserting $ROWS rows in $BATCH-row transactions ($((2 * RUNS)) slots waiting, no cdcd running)"
t0=$(now)
q -c "do \$\$ begin
  for i in 0..$(((ROWS + BATCH - 1) / BATCH - 1)) loop
    insert into public.bench
      select g, (g % 100000)::int, md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
             g * 1.5
      from generate_series(i * $BATCH + 1, least((i + 1) * $BATCH, $ROWS)) g;
    commit;
  end loop; end \$\$"
t1=$(now)
END=$(q -c 'select pg_current_wal_insert_lsn()')
WALMB=$(q -c "select round(pg_wal_lsn_diff('$END', '$LSN0') / 1048576.0, 1)")
INSRATE=$(awk -v n="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n / (b - a)}')
q -c 'vacuum analyze public.bench' -c checkpoint   # so autovacuum does not run during the timed runs
log "inserted in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}') s ($INSRATE rows/s), WAL $WALMB MB, END=$END"

# --- timed runs -------------------------------------------------------------------------------
FAILED=0
record() {  # kind rep rc wall cpu srv busy waited stream_bytes stream_s stop_s rss sink_bytes warnings watch_cpu note
  local IFS=$'\t'
  echo "$*" >>"$RAW"
}
for r in $(seq 1 "$RUNS"); do
  # tail: drains its own slot to END, exits by itself
  CMD=("$CDCD" tail --source "$URL" --slot "tail_$r" --tables public.bench --end-lsn "$END")
  waited=$(quiet_wait)
  err=$WORK/tail.$r.err; tf=$WORK/tail.$r.time
  b0=$(cpu_busy); s0=$(server_cpu); a=$(now)
  set +e
  /usr/bin/time -f '%U %S' -o "$tf" timeout "$TIMEOUT" "${CMD[@]}" >/dev/null 2>"$err"
  rc=$?
  set -e
  b=$(now)
  wait_walsenders
  s1=$(server_cpu); b1=$(cpu_busy)
  read -r us sy < <(tail -n 1 "$tf")
  note=""
  if [ "$rc" -ne 0 ]; then
    FAILED=$((FAILED + 1))
    if [ "$rc" -eq 124 ]; then note="TIMEOUT: did not stop at END within ${TIMEOUT}s"; else note="FAILED: exit $rc"; fi
    log "run $r tail $note; command: ${CMD[*]} > /dev/null"
    show_log "$err"
  fi
  record tail "$r" "$rc" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b - a}')" \
    "$(awk -v u="$us" -v s="$sy" 'BEGIN{printf "%.2f", u + s}')" \
    "$(awk -v x="$((s1 - s0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" \
    "$(awk -v x="$((b1 - b0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" "$waited" 0 0 0 0 0 0 0 "$note"
  log "run $r $(tail -n 1 "$RAW" | awk -F'\t' -v n="$ROWS" '{printf "%-5s %8.0f rows/s  wall %6.2fs  cpu %5.2fs  server %5.2fs  machine %5.2fs  quiet-wait %ss", $1, n / $4, $4, $5, $6, $7, $8}')"

  # run: capture -> stream -> pipeline -> file sink, until the file has ROWS lines
  d=$WORK/run$r
  CMD=("$CDCD" run --config "$d/cdcd.yaml")
  waited=$(quiet_wait)
  b0=$(cpu_busy); s0=$(server_cpu); a=$(now)
  "${CMD[@]}" >"$d/run.log" 2>&1 &
  pid=$!
  read -r st wall lines cpu sbytes ss rss wcpu < <("$PYTHON" "$WATCH" watch "$d/out.jsonl" "$d/state/stream" "$ROWS" "$pid" "$a" "$TIMEOUT") \
    || { st=error; wall=$(awk -v a="$a" -v b="$(now)" 'BEGIN{printf "%.3f", b - a}'); lines=?; cpu=0; sbytes=0; ss=0; rss=0; wcpu=0; }
  stop_cdcd "$pid"
  wait_walsenders
  s1=$(server_cpu); b1=$(cpu_busy)
  final=$(wc -l <"$d/out.jsonl")
  sinkb=$(stat -c %s "$d/out.jsonl")
  sbytes_final=$(find "$d/state/stream" -name '*.log' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  warnings=$(grep -c -E ' (warning|error|critical) ' "$d/run.log" || true)
  note=""
  if [ "$st" != ok ]; then
    case $st in
      timeout) note="TIMEOUT: $lines of $ROWS lines after ${TIMEOUT}s" ;;
      exited) note="FAILED: cdcd exited (status $STOP_RC) with $lines of $ROWS lines" ;;
      *) note="FAILED: pipeline_watch.py watch failed" ;;
    esac
  elif [ "$STOP_RC" -ne 0 ]; then
    note="FAILED: exit $STOP_RC after SIGTERM"
  elif [ "$final" -ne "$ROWS" ]; then
    note="WRONG COUNT: $final lines after stop (expected $ROWS)"
  fi
  if [ -n "$note" ]; then
    FAILED=$((FAILED + 1))
    log "run $r run $note; command: ${CMD[*]}"
    show_log "$d/run.log"
  elif [ "$VERIFY" = 1 ]; then
    if ! chk=$("$PYTHON" "$WATCH" check "$d/out.jsonl" "$ROWS"); then
      FAILED=$((FAILED + 1))
      note="VERIFY: $chk"
      log "run $r run sink file check failed: $chk; command: ${CMD[*]}"
      show_log "$d/run.log"
    fi
  fi
  [ "$sbytes_final" = "$sbytes" ] || log "run $r: stream grew from $sbytes to $sbytes_final bytes after the sink was complete"
  { echo "--- cdcd run log, run $r:"; sed 's/^/  /' "$d/run.log"; } >>"$LOG"
  record run "$r" "$([ -z "$note" ] || [[ $note == VERIFY* ]] && echo 0 || echo 1)" "$wall" "$cpu" \
    "$(awk -v x="$((s1 - s0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" \
    "$(awk -v x="$((b1 - b0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" "$waited" \
    "$sbytes_final" "$ss" "$STOP_S" "$rss" "$sinkb" "$warnings" "$wcpu" "$note"
  log "run $r $(tail -n 1 "$RAW" | awk -F'\t' -v n="$ROWS" '{printf "%-5s %8.0f rows/s  wall %6.2fs  cpu %5.2fs  server %5.2fs  machine %5.2fs  stream %.1f MB done at %.2fs  stop %ss  rss %s MB  quiet-wait %ss %s", $1, n / $4, $4, $5, $6, $7, $9 / 1048576, $10, $11, $12, $8, $16}')"
  rm -rf "$d/out.jsonl" "$d/state"   # 1M rows: ~400 MB of JSON and ~140 MB of stream in /tmp
done

SLOTS=$(q -c "select string_agg(slot_name || '=' || confirmed_flush_lsn, ' ' order by slot_name) from pg_replication_slots")

# --- report -----------------------------------------------------------------------------------
"$PYTHON" - "$RAW" "$ROWS" "$RUNS" "$BATCH" "$END" "$WALMB" "$INSRATE" "$CDCD" "$NCPU" "$PGVER" <<'PY' | tee "$TXT"
import hashlib, os, statistics as st, sys, time
raw, rows, runs, batch, end, walmb, insrate, cdcd, ncpu, pgver = sys.argv[1:11]
rows, ncpu = int(rows), int(ncpu)
label = {"run": "cdcd run -> stream -> file sink", "tail": "cdcd tail > /dev/null"}
by = {}
for line in open(raw):
    k, r, rc, wall, cpu, srv, busy, waited, sb, ss, stop, rss, sinkb, warn, wcpu, note = line.rstrip("\n").split("\t")
    by.setdefault(k, []).append(dict(rc=int(rc), wall=float(wall), cpu=float(cpu), srv=float(srv), busy=float(busy),
                                     waited=waited, sb=int(sb), ss=float(ss), stop=float(stop), rss=float(rss),
                                     sinkb=int(sinkb), warn=int(warn), wcpu=float(wcpu), note=note))
med = lambda v: st.median(v) if v else float("nan")
rng = lambda v, f="{:,.0f}": f"{f.format(med(v))} ({f.format(min(v))}-{f.format(max(v))})"
try:
    h = hashlib.sha256(open(cdcd, "rb").read()).hexdigest()[:12]
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(cdcd)))
    binary = f"{cdcd} (sha256 {h}, built {built})"
except OSError:
    binary = "(not found)"
print(f"cdcd stream & pipeline benchmark, {time.strftime('%Y-%m-%d %H:%M:%S')}, {ncpu} CPUs, PostgreSQL {pgver}")
print(f"{rows:,} rows in {batch}-row transactions, {walmb} MB WAL, inserted at {int(insrate):,} rows/s while no cdcd ran; END={end}")
print(f"cdcd binary: {binary}")
print(f"each run drains its own slot (same WAL); {runs} run(s) each; median (min-max)")
print()
hdr = f"{'consumer':32} {'rows/s median (min-max)':>28} {'wall s':>7} {'CPU-s':>6} {'CPU-s/1M':>8} {'server CPU-s':>12} {'other CPU-s':>11}"
print(hdr)
print("-" * len(hdr))
rates, ok = {}, {}
for k in ("run", "tail"):
    v = by.get(k, [])
    ok[k] = [x for x in v if x["rc"] == 0]
    fails = len(v) - len(ok[k])
    if not ok[k]:
        print(f"{label[k]:32} {'all ' + str(len(v)) + ' run(s) failed':>28}")
        continue
    rs = [rows / x["wall"] for x in ok[k]]
    rates[k] = med(rs)
    cpu = med([x["cpu"] for x in ok[k]])
    other = med([max(0.0, x["busy"] - x["cpu"] - x["srv"]) for x in ok[k]])
    print(f"{label[k]:32} {rng(rs):>28} {med([x['wall'] for x in ok[k]]):7.2f} {cpu:6.2f} {cpu * 1e6 / rows:8.2f}"
          f" {med([x['srv'] for x in ok[k]]):12.2f} {other:11.2f}" + (f"  ({fails} failed)" if fails else ""))
print()
print("run: wall = start of `cdcd run` (its slot exists) until the sink file has all rows; CPU-s = cdcd's")
print("user+sys at that moment. tail: wall = whole process, exits at END. server CPU-s = PostgreSQL (mostly the")
print("walsender); other CPU-s = rest of the machine (foreign load; > ~0.3 x wall means a noisy run).")
print()
if "run" in rates and "tail" in rates:
    ratio = rates["run"] / rates["tail"]
    print(f"ratio run / tail (median rows/s): {ratio:.2f}   (target >= 0.80: {'met' if ratio >= 0.8 else 'NOT met'})")
    pairs = [rows / a["wall"] / (rows / b["wall"]) for a, b in zip(by["run"], by["tail"]) if a["rc"] == 0 and b["rc"] == 0]
    if pairs:
        print(f"ratio run / tail per repetition: {', '.join(f'{p:.2f}' for p in pairs)}")
    print()
R = ok.get("run", [])
if R:
    sb = [x["sb"] for x in R]
    ss = [x["ss"] for x in R if x["ss"] > 0]
    print("stream (state_dir/stream, capture's group-committed appends, while the pipeline reads it):")
    print(f"  size after run 1: {R[0]['sb'] / 1048576:.1f} MB = {R[0]['sb'] / rows:.1f} bytes/record on disk"
          f" (sink JSON: {R[0]['sinkb'] / rows:.1f} bytes/line)")
    if ss:
        print(f"  capture into the stream until it stopped growing: {rng(ss, '{:.2f}')} s ->"
              f" {rng([rows / s for s in ss])} records/s, {rng([b / s / 1048576 for b, s in zip(sb, ss)], '{:.1f}')} MB/s")
    print(f"  same bytes over the whole end-to-end wall: {rng([x['sb'] / x['wall'] / 1048576 for x in R], '{:.1f}')} MB/s")
    print(f"  pipeline behind capture at the end (wall - stream done): {rng([x['wall'] - x['ss'] for x in R], '{:.2f}')} s")
    print(f"  cdcd peak RSS {rng([x['rss'] for x in R])} MB; SIGTERM to exit {rng([x['stop'] for x in R], '{:.2f}')} s;"
          f" warning/error log lines per run: {', '.join(str(x['warn']) for x in R)}")
    print(f"  CPU-s of the benchmark's own poller (counted in run's other CPU-s): {rng([x['wcpu'] for x in R], '{:.2f}')}")
    print()
print("per run (kind run rc wall_s rows/s cpu_s server_cpu_s machine_busy_s quiet_wait_s stream_MB stream_done_s stop_s note):")
for k in ("tail", "run"):
    for i, x in enumerate(by.get(k, []), 1):
        extra = f" {x['sb'] / 1048576:7.1f} {x['ss']:6.2f} {x['stop']:5.2f}" if k == "run" else f" {'-':>7} {'-':>6} {'-':>5}"
        print(f"  {k:4} {i} {x['rc']:3} {x['wall']:7.3f} {rows / x['wall']:9.0f} {x['cpu']:6.2f} {x['srv']:6.2f}"
              f" {x['busy']:6.2f} {x['waited']:>4}{extra}  {x['note']}")
PY
echo "slots (confirmed_flush_lsn) after the runs: $SLOTS" >>"$LOG"
log "table written to $TXT (details: $LOG)"
[ "$FAILED" -eq 0 ] || { log "$FAILED check(s) failed, see above"; exit 1; }
