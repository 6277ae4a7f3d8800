#!/usr/bin/env bash
# capture.sh — capture benchmark: how fast does `cdcd tail` drain a logical slot, next to
# pg_recvlogical and a null pgoutput consumer, on the same WAL, on this machine.
#
#   bench/capture.sh                          full run: 1,000,000 rows, 3 repetitions (~3-4 min)
#   ROWS=100000 RUNS=1 bench/capture.sh       quick check (< 1 min)
#
# One throwaway PostgreSQL (scripts/pg.sh), one table, ROWS rows inserted ONCE in BATCH-row
# transactions after all slots were created (one slot per consumer per repetition, so every timed
# run decodes exactly the same WAL from the same start). Then each consumer drains its slot to
# END = pg_current_wal_insert_lsn(), one at a time. Per run: wall time (rows/s), the consumer's
# CPU (user+sys, /usr/bin/time), the server's CPU (postmaster + reaped children: mostly the
# walsender) and the rest of the machine's CPU (other load: the machine is shared and noisy).
#
# Environment (defaults):
#   ROWS=1000000 RUNS=3 BATCH=1000
#   CDCD=.build-bench/release/cdcd   built with:
#        swift build -c release --scratch-path .build-bench --product cdcd
#   CONSUMERS="cdcd cdcd-dynamodb recvlogical-td recvlogical-pgoutput pgoutput-py"
#   VERIFY=1       untimed check first: cdcd (both formats) piped to wc -l must print ROWS lines
#   QUIET_MAX=60   before each timed run wait up to N s for machine CPU use < QUIET_PCT=15 % (0: off)
#   TIMEOUT=60+ROWS/2000 s per consumer run (a consumer that does not stop at END is killed)
#   RESULTS=bench/results   the table goes to $RESULTS/capture-<date>.txt (+ .log with details)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BATCH=${BATCH:-1000}
CDCD=${CDCD:-$ROOT/.build-bench/release/cdcd}
CONSUMERS=${CONSUMERS:-"cdcd cdcd-dynamodb recvlogical-td recvlogical-pgoutput pgoutput-py"}
VERIFY=${VERIFY:-1}
QUIET_MAX=${QUIET_MAX:-60}
QUIET_PCT=${QUIET_PCT:-15}
TIMEOUT=${TIMEOUT:-$((60 + ROWS / 2000))}
RESULTS=${RESULTS:-$HERE/results}
PYTHON=${PYTHON:-python3}
PGNAME=capture-bench-$$

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
TXT=$RESULTS/capture-$STAMP.txt
LOG=$RESULTS/capture-$STAMP.log
WORK=$(mktemp -d /tmp/capture-bench.XXXXXX)
RAW=$WORK/runs.tsv
: >"$RAW"

log() { echo "[$(date +%T)] $*" | tee -a "$LOG" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }

# --- preflight --------------------------------------------------------------------------------
[[ "$ROWS" =~ ^[0-9]+$ && "$ROWS" -gt 0 && "$RUNS" =~ ^[0-9]+$ && "$RUNS" -gt 0 && "$BATCH" =~ ^[0-9]+$ && "$BATCH" -gt 0 ]] \
  || die "ROWS, RUNS and BATCH must be positive integers"
for c in $CONSUMERS; do
  case $c in cdcd | cdcd-dynamodb | recvlogical-td | recvlogical-pgoutput | pgoutput-py) ;;
    *) die "unknown consumer '$c' in CONSUMERS" ;; esac
done
if [[ " $CONSUMERS " == *" cdcd"* ]]; then
  [ -x "$CDCD" ] || die "no cdcd binary at $CDCD; build it: swift build -c release --scratch-path .build-bench --product cdcd (or set CDCD=...)"
fi
if [[ " $CONSUMERS " == *" pgoutput-py "* ]]; then
  "$PYTHON" -c 'import psycopg2' 2>/dev/null || die "pgoutput-py needs psycopg2: pip install psycopg2-binary"
fi
command -v pg_recvlogical >/dev/null || die "pg_recvlogical not found (apt-get install postgresql-client)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

cleanup() {
  local rc=$?
  set +e
  local p; for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  "$ROOT/scripts/pg.sh" destroy "$PGNAME" >/dev/null 2>&1
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- machine CPU accounting -------------------------------------------------------------------
. "$HERE/lib.sh"

# --- server -----------------------------------------------------------------------------------
NSLOTS=0
for c in $CONSUMERS; do NSLOTS=$((NSLOTS + RUNS)); done
log "capture benchmark: ROWS=$ROWS BATCH=$BATCH RUNS=$RUNS consumers: $CONSUMERS"
URL=$("$ROOT/scripts/pg.sh" start "$PGNAME" \
  --conf 'shared_buffers = 1GB' --conf 'max_wal_size = 8GB' --conf 'checkpoint_timeout = 30min' \
  --conf "max_replication_slots = $((NSLOTS + 10))" --conf "max_wal_senders = 20")
PMPID=$(head -n 1 "/tmp/cdcd-pg-$PGNAME/data/postmaster.pid")
PGVER=$(psql "$URL" -XAtqc 'show server_version')
log "server: $URL (PostgreSQL $PGVER)"
q() { psql "$URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# --- table, publications, slots, data ---------------------------------------------------------
slot_of() {  # CONSUMER REP -> slot name (cdcd: also the publication name)
  case $1 in
    cdcd) echo "cdcd_$2" ;; cdcd-dynamodb) echo "cdcddyn_$2" ;; recvlogical-td) echo "td_$2" ;;
    recvlogical-pgoutput) echo "pgorl_$2" ;; pgoutput-py) echo "pgo_$2" ;;
  esac
}
{
  echo "create table public.bench(id bigint primary key, a integer, b text, c timestamptz, d numeric);"
  echo "create publication bench_pub for table public.bench;"
  for r in $(seq 1 "$RUNS"); do
    for c in $CONSUMERS; do
      s=$(slot_of "$c" "$r")
      case $c in
        cdcd | cdcd-dynamodb)
          echo "create publication $s for table public.bench;"
          echo "select pg_create_logical_replication_slot('$s', 'pgoutput');" ;;
        recvlogical-td) echo "select pg_create_logical_replication_slot('$s', 'test_decoding');" ;;
        *) echo "select pg_create_logical_replication_slot('$s', 'pgoutput');" ;;
      esac
    done
  done
  if [ "$VERIFY" = 1 ] && [[ " $CONSUMERS " == *" cdcd"* ]]; then
    for s in verify_cdcd verify_dyn; do
      echo "create publication $s for table public.bench;"
      echo "select pg_create_logical_replication_slot('$s', 'pgoutput');"
    done
  fi
  echo "checkpoint;"
} | q >/dev/null
LSN0=$(q -c 'select pg_current_wal_insert_lsn()')
log "inserting $ROWS rows in $BATCH-row transactions ($((RUNS * $(wc -w <<<"$CONSUMERS"))) slots waiting)"
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

# --- consumers --------------------------------------------------------------------------------
consumer_cmd() {  # CONSUMER SLOT -> CMD array
  case $1 in
    cdcd) CMD=("$CDCD" tail --source "$URL" --slot "$2" --tables public.bench --end-lsn "$END") ;;
    cdcd-dynamodb) CMD=("$CDCD" tail --source "$URL" --slot "$2" --tables public.bench --end-lsn "$END" --format dynamodb) ;;
    recvlogical-td) CMD=(pg_recvlogical -d "$URL" --slot "$2" --start --endpos "$END" --no-loop -o include-xids=0 -f /dev/null) ;;
    recvlogical-pgoutput) CMD=(pg_recvlogical -d "$URL" --slot "$2" --start --endpos "$END" --no-loop
      -o proto_version=1 -o publication_names=bench_pub -f /dev/null) ;;
    pgoutput-py) CMD=("$PYTHON" "$HERE/pgoutput_drain.py" "$URL" "$2" bench_pub "$END" 1) ;;
  esac
}

FAILED=0
if [ "$VERIFY" = 1 ] && [[ " $CONSUMERS " == *" cdcd"* ]]; then
  for v in cdcd:verify_cdcd cdcd-dynamodb:verify_dyn; do
    c=${v%%:*}; s=${v#*:}
    consumer_cmd "$c" "$s"
    set +e
    n=$(timeout "$TIMEOUT" "${CMD[@]}" 2>"$WORK/verify.err" | wc -l)
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ] || [ "$n" -ne "$ROWS" ]; then
      FAILED=$((FAILED + 1))
      log "VERIFY FAILED: $c: exit $rc, $n lines (expected $ROWS); command: ${CMD[*]}"
      sed 's/^/  stderr: /' "$WORK/verify.err" | tail -n 20 | tee -a "$LOG" >&2
    else
      log "verify $c: exit 0, $n lines = ROWS"
    fi
  done
fi

for r in $(seq 1 "$RUNS"); do
  for c in $CONSUMERS; do
    s=$(slot_of "$c" "$r")
    consumer_cmd "$c" "$s"
    waited=$(quiet_wait)
    out=$WORK/out.$c.$r; err=$WORK/err.$c.$r; tf=$WORK/time.$c.$r
    if [[ $c == cdcd* ]]; then out=/dev/null; fi
    b0=$(cpu_busy); s0=$(server_cpu); a=$(now)
    set +e
    /usr/bin/time -f '%U %S' -o "$tf" timeout "$TIMEOUT" "${CMD[@]}" >"$out" 2>"$err"
    rc=$?
    set -e
    b=$(now)
    wait_walsenders   # so the walsender's CPU shows in the postmaster's cutime
    s1=$(server_cpu); b1=$(cpu_busy)
    read -r us sy < <(tail -n 1 "$tf")
    note=""
    if [ "$rc" -ne 0 ]; then
      FAILED=$((FAILED + 1))
      if [ "$rc" -eq 124 ]; then note="TIMEOUT: did not stop at END within ${TIMEOUT}s"; else note="FAILED: exit $rc"; fi
      log "run $r $c $note; command: ${CMD[*]}"
      sed 's/^/  stderr: /' "$err" | tail -n 20 | tee -a "$LOG" >&2
    elif [ "$c" = pgoutput-py ]; then
      ni=$("$PYTHON" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["by_type"].get("I", 0))' "$out")
      [ "$ni" = "$ROWS" ] || { FAILED=$((FAILED + 1)); note="WRONG COUNT: $ni inserts"; log "run $r $c saw $ni inserts, expected $ROWS"; }
    fi
    # consumer rep rc wall user sys server_cpu machine_busy waited
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$rc" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b - a}')" "$us" "$sy" \
      "$(awk -v x="$((s1 - s0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" \
      "$(awk -v x="$((b1 - b0))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}')" "$waited" "$note" >>"$RAW"
    log "run $r $(tail -n 1 "$RAW" | awk -F'\t' -v n="$ROWS" '{printf "%-21s %8.0f rows/s  wall %6.2fs  cpu %5.2fs  server %5.2fs  machine %5.2fs  quiet-wait %ss", $1, n / $4, $4, $5 + $6, $7, $8, $9}')"
  done
done

SLOTS=$(q -c "select string_agg(slot_name || '=' || confirmed_flush_lsn, ' ' order by slot_name) from pg_replication_slots")

# --- report -----------------------------------------------------------------------------------
"$PYTHON" - "$RAW" "$ROWS" "$RUNS" "$BATCH" "$END" "$WALMB" "$INSRATE" "$CDCD" "$NCPU" "$PGVER" <<'PY' | tee "$TXT"
import hashlib, os, statistics as st, sys, time
raw, rows, runs, batch, end, walmb, insrate, cdcd, ncpu, pgver = sys.argv[1:11]
rows, ncpu = int(rows), int(ncpu)
label = {
    "cdcd": "cdcd tail (cdcd JSON)",
    "cdcd-dynamodb": "cdcd tail --format dynamodb",
    "recvlogical-td": "pg_recvlogical test_decoding",
    "recvlogical-pgoutput": "pg_recvlogical pgoutput (C null)",
    "pgoutput-py": "null pgoutput (psycopg2)",
}
by = {}
for line in open(raw):
    c, r, rc, wall, us, sy, srv, busy, waited, note = line.rstrip("\n").split("\t")
    by.setdefault(c, []).append(dict(rc=int(rc), wall=float(wall), cpu=float(us) + float(sy),
                                     srv=float(srv), busy=float(busy), waited=waited, note=note))
med = lambda v: st.median(v) if v else float("nan")
try:
    h = hashlib.sha256(open(cdcd, "rb").read()).hexdigest()[:12]
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(cdcd)))
    binary = f"{cdcd} (sha256 {h}, built {built})"
except OSError:
    binary = "(not used)"
print(f"cdcd capture benchmark, {time.strftime('%Y-%m-%d %H:%M:%S')}, {ncpu} CPUs, PostgreSQL {pgver}")
print(f"{rows:,} rows in {batch}-row transactions, {walmb} MB WAL, inserted at {int(insrate):,} rows/s; END={end}")
print(f"cdcd binary: {binary}")
print(f"each consumer drains its own slot (same WAL) to END; {runs} run(s) each; median (min-max)")
print()
hdr = f"{'consumer':34} {'rows/s median (min-max)':>28} {'wall s':>7} {'CPU-s':>6} {'CPU-s/1M':>8} {'server CPU-s':>12} {'other CPU-s':>11}"
print(hdr)
print("-" * len(hdr))
rates = {}
for c, v in by.items():
    ok = [x for x in v if x["rc"] == 0 and not x["note"]]
    fails = len(v) - len(ok)
    if not ok:
        print(f"{label[c]:34} {'all ' + str(len(v)) + ' run(s) failed':>28}")
        continue
    rs = [rows / x["wall"] for x in ok]
    rates[c] = med(rs)
    cpu = med([x["cpu"] for x in ok])
    other = med([max(0.0, x["busy"] - x["cpu"] - x["srv"]) for x in ok])
    rng = f"{med(rs):,.0f} ({min(rs):,.0f}-{max(rs):,.0f})"
    print(f"{label[c]:34} {rng:>28} {med([x['wall'] for x in ok]):7.2f} {cpu:6.2f} {cpu * 1e6 / rows:8.2f}"
          f" {med([x['srv'] for x in ok]):12.2f} {other:11.2f}" + (f"  ({fails} failed)" if fails else ""))
print()
print("CPU-s = consumer process user+sys; server CPU-s = PostgreSQL (mostly the walsender decoding);")
print("other CPU-s = rest of the machine during the run (foreign load; > ~0.3 x wall means a noisy run).")
print()
for c in ("cdcd", "cdcd-dynamodb"):
    if c not in rates:
        continue
    for b in ("pgoutput-py", "recvlogical-td", "recvlogical-pgoutput"):
        if b in rates:
            print(f"ratio {c} / {b}: {rates[c] / rates[b]:.2f}")
print()
print("per run (consumer run rc wall_s rows/s cpu_s server_cpu_s machine_busy_s quiet_wait_s note):")
for c, v in by.items():
    for i, x in enumerate(v, 1):
        print(f"  {c:21} {i} {x['rc']:3} {x['wall']:7.3f} {rows / x['wall']:9.0f} {x['cpu']:6.2f} {x['srv']:6.2f} {x['busy']:6.2f} {x['waited']:>4}  {x['note']}")
PY
echo "slots (confirmed_flush_lsn) after the runs: $SLOTS" >>"$LOG"
log "table written to $TXT (details: $LOG)"
[ "$FAILED" -eq 0 ] || { log "$FAILED check(s) failed, see above"; exit 1; }
