#!/usr/bin/env bash
# webhook.sh — webhook sink benchmark: how fast does `cdcd run` POST a backlog of changes to an HTTP
# receiver, next to `wrk` POSTing the same kind of body to the same receiver (its ceiling), and how
# long does a change take from COMMIT to the receiver at a steady 1,000 changes/s?
#
#   bench/webhook.sh                          full run: 100,000 rows, 3 repetitions (~4 min)
#   ROWS=20000 RUNS=1 bench/webhook.sh        quick check
#
# Receiver: nginx (apt nginx-light, installed when missing, as is wrk), one worker, a loopback
# server block answering `return 204;` (access log off, bodies read into memory).
# Throughput, per repetition R, one at a time: `wrk -t1 -cWRK_CONN -dWRK_SECONDS` POSTing a
# record-sized JSON body with Standard Webhooks headers; `curl_multi_post` (bench/curl_multi_post.c,
# built here with cc) POSTing the same body ROWS times over one libcurl multi handle from one thread
# with 32 in flight (the libcurl ceiling, no signing or database); then `cdcd run` with `batch: false`
# (PARALLELIZATION lanes x BATCH_SIZE records per batch, up to 64 requests in flight) and with
# `batch: true`, each on its own slot and state_dir, from its start until its pipeline's checkpoint
# covers all ROWS records (polled every 0.05 s). The ROWS rows are inserted once, in 1,000-row
# transactions, after every slot exists and while no cdcd runs. Signing is on (a whsec_ secret).
# Latency: a new slot, `cdcd run` with `batch: false` to a receiver that logs its clock per request;
# pgbench inserts one row per transaction at RATE/s for LAT_SECONDS; latency = receive time - the
# record's source.commitTime, first 2 s dropped; p50/p90/p99/max. The receiver is the same nginx:
# location /latency reads each body (to proxy it to a `return 204` location) and logs it with the
# headers and $msec (ms resolution, taken when the 204 goes back); the signatures are verified
# afterwards with the tests' verifier. LAT_RECEIVER=python uses Tests/Support/webhook_receiver.py
# instead (a threaded Python server that verifies and logs as it goes: about half a core at 1,000
# requests/s, and its own queueing shows in the tail).
#
# Environment (defaults):
#   ROWS=100000 RUNS=3 PARALLELIZATION=4 BATCH_SIZE=500 WRK_CONN=16 WRK_SECONDS=10
#   RATE=1000 LAT_SECONDS=20 LAT_RUNS=3 LAT_RECEIVER=nginx
#   CDCD=.build-bench/release/cdcd   built with:
#        swift build -c release --scratch-path .build-bench --product cdcd
#   QUIET_MAX=30   before each timed run wait up to N s for machine CPU use < QUIET_PCT=15 % (0: off)
#   NICE=0         run everything the benchmark starts (PostgreSQL, nginx, wrk, cdcd, the receiver,
#                  pgbench) at this nice value, e.g. NICE=-10 to measure as if the machine were not
#                  shared with other work (needs root for negative values)
#   TIMEOUT=60+ROWS/1000 s per timed run
#   KEEP_RECEIVER_LOG=FILE   keep each latency run's receiver log (JSON lines) as FILE.1, FILE.2, ...
#   ONLY=         "latency": only the latency part (no slots, rows or throughput runs);
#                 "throughput": everything but the latency part
#   RESULTS=bench/results   the table goes to $RESULTS/webhook-<date>.txt (+ .log with details)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-100000}
RUNS=${RUNS:-3}
PARALLELIZATION=${PARALLELIZATION:-4}
BATCH_SIZE=${BATCH_SIZE:-500}
WRK_CONN=${WRK_CONN:-16}
WRK_SECONDS=${WRK_SECONDS:-10}
RATE=${RATE:-1000}
LAT_RUNS=${LAT_RUNS:-3}
LAT_SECONDS=${LAT_SECONDS:-20}
CDCD=${CDCD:-$ROOT/.build-bench/release/cdcd}
QUIET_MAX=${QUIET_MAX:-30}
QUIET_PCT=${QUIET_PCT:-15}
NICE=${NICE:-0}
TIMEOUT=${TIMEOUT:-$((60 + ROWS / 1000))}
RESULTS=${RESULTS:-$HERE/results}
ONLY=${ONLY:-}
case "$ONLY" in ""|latency|throughput) ;; *) echo "ONLY must be latency or throughput" >&2; exit 2 ;; esac
PYTHON=${PYTHON:-python3}
LAT_RECEIVER=${LAT_RECEIVER:-nginx}
case "$LAT_RECEIVER" in nginx|python) ;; *) echo "LAT_RECEIVER must be nginx or python" >&2; exit 2 ;; esac
RECEIVER=$ROOT/Tests/Support/webhook_receiver.py
PGNAME=cdcd-wh-bench-$$
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
TXT=$RESULTS/webhook-$STAMP.txt
LOG=$RESULTS/webhook-$STAMP.log
WORK=$(mktemp -d /tmp/webhook-bench.XXXXXX)
RAW=$WORK/runs.tsv
: >"$RAW"

log() { echo "[$(date +%T)] $*" | tee -a "$LOG" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- preflight --------------------------------------------------------------------------------
[ -x "$CDCD" ] || die "no cdcd binary at $CDCD; build it: swift build -c release --scratch-path .build-bench --product cdcd (or set CDCD=...)"
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  log "installing nginx-light and wrk (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >>"$LOG" 2>&1 || die "apt-get install nginx-light wrk failed"
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1 || true)
[ -n "$PGBENCH" ] && [ -x "$PGBENCH" ] || die "pgbench not found (apt-get install postgresql-contrib or postgresql-client)"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 8)' 2>/dev/null || die "needs python3 (3.8+)"
CURLPOST=$WORK/curl_multi_post
cc -O2 -o "$CURLPOST" "$HERE/curl_multi_post.c" -lcurl 2>>"$LOG" || die "cannot build bench/curl_multi_post.c (needs cc and libcurl4-openssl-dev)"

cleanup() {
  local rc=$?
  set +e
  local p; for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
  wait 2>/dev/null
  "$ROOT/scripts/pg.sh" destroy "$PGNAME" >/dev/null 2>&1
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$HERE/lib.sh"

# --- nginx: one worker, return 204 ------------------------------------------------------------
NGPORT=$(free_port)
write_nginx_conf "$WORK/nginx" <<NGINX
  # The latency receiver: /latency reads each request's body (nginx reads it to proxy it to /sink,
  # which answers 204) and logs it with nginx's clock when the 204 is sent back.
  log_format latency escape=json '{"received":\$msec,"id":"\$http_webhook_id","timestamp":"\$http_webhook_timestamp",'
                                 '"signature":"\$http_webhook_signature","status":\$status,"raw":"\$request_body"}';
  upstream sink { server 127.0.0.1:$NGPORT; keepalive 32; }
  server {
    listen 127.0.0.1:$NGPORT backlog=4096;
    location = /nginx_status { stub_status; }
    location = /latency {
      access_log $WORK/nginx/latency.log latency;
      proxy_pass http://sink/sink;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / { return 204; }
  }
NGINX
nice -n "$NICE" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" || die "nginx did not start (see $WORK/nginx/error.log)"
HOOK=http://127.0.0.1:$NGPORT/hooks
nginx_requests() { curl -s "http://127.0.0.1:$NGPORT/nginx_status" | awk 'NR == 3 {print $3}'; }
log "nginx $(nginx -v 2>&1 | sed 's/.*\///') on $HOOK (1 worker, return 204)"

# --- machine CPU accounting (as in capture.sh): bench/lib.sh, sourced above ---------------------
stop_cdcd() {  # PID: SIGTERM, wait up to 30 s (then SIGKILL); sets STOP_RC
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "cdcd (pid $pid) still running 30 s after SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  set +e; wait "$pid"; STOP_RC=$?; set -e
}

# --- server -----------------------------------------------------------------------------------
URL=$("$ROOT/scripts/pg.sh" start "$PGNAME" \
  --conf 'shared_buffers = 512MB' --conf 'max_wal_size = 8GB' --conf 'checkpoint_timeout = 30min' \
  --conf "max_replication_slots = $((2 * RUNS + 10))" --conf "max_wal_senders = 20")
PMPID=$(head -n 1 "/tmp/cdcd-pg-$PGNAME/data/postmaster.pid")
[ "$NICE" = 0 ] || renice -n "$NICE" -g "$(ps -o pgid= -p "$PMPID" | tr -d ' ')" >/dev/null 2>&1 || renice -n "$NICE" -p "$PMPID" >/dev/null
PGVER=$(psql "$URL" -XAtqc 'show server_version')
log "server: $URL (PostgreSQL $PGVER); NICE=$NICE ROWS=$ROWS RUNS=$RUNS PARALLELIZATION=$PARALLELIZATION BATCH_SIZE=$BATCH_SIZE"
q() { psql "$URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
q -c "create table public.bench(id bigint primary key, a integer, b text, c timestamptz, d numeric)" \
  -c "create table public.lat(id bigserial primary key, v integer, at timestamptz default now())" >/dev/null

write_config() {  # NAME BATCH(true|false) TABLE URL SIZE -> $WORK/NAME/cdcd.yaml
  local d=$WORK/$1
  mkdir -p "$d"
  cat >"$d/cdcd.yaml" <<YAML
state_dir: $d/state
source:
  postgres:
    url: "$URL"
    slot: $1
    publication: $1
    tables: [$3]
    snapshot: never
pipelines:
  - name: hooks
    starting_position: TRIM_HORIZON
    batch_size: $5
    parallelization: $PARALLELIZATION
    sink: { webhook: { url: "$4", secret: "$SECRET", batch: $2 } }
YAML
}
slot_ready() { [ "$(q -c "select confirmed_flush_lsn is not null from pg_replication_slots where slot_name = '$1'")" = t ]; }
create_slot() {  # NAME: start cdcd until its slot streams, then SIGTERM
  local d=$WORK/$1 pid i ok=""
  nice -n "$NICE" "$CDCD" run --config "$d/cdcd.yaml" >"$d/setup.log" 2>&1 &
  pid=$!
  for i in $(seq 1 600); do
    if slot_ready "$1"; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_cdcd "$pid"
  if [ -z "$ok" ] || [ "$STOP_RC" -ne 0 ]; then
    sed 's/^/  cdcd: /' "$d/setup.log" | tail -n 20 >&2
    die "setup of slot $1 failed"
  fi
}
THROUGHPUT_RUNS=$RUNS
[ "$ONLY" != latency ] || THROUGHPUT_RUNS=0
for r in $(seq 1 "$THROUGHPUT_RUNS"); do
  write_config "wh_single_$r" false public.bench "$HOOK" "$BATCH_SIZE"
  write_config "wh_batch_$r" true public.bench "$HOOK" "$BATCH_SIZE"
  create_slot "wh_single_$r"
  create_slot "wh_batch_$r"
done
log "setup: $((2 * THROUGHPUT_RUNS)) slots created by cdcd run"

# --- data -------------------------------------------------------------------------------------
if [ "$ONLY" != latency ]; then
t0=$(now)
q -c "do \$\$ begin
  for i in 0..$(((ROWS + 999) / 1000 - 1)) loop
    insert into public.bench
      select g, (g % 100000)::int, md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g * 1.5
      from generate_series(i * 1000 + 1, least((i + 1) * 1000, $ROWS)) g;
    commit;
  end loop; end \$\$"
q -c 'vacuum analyze public.bench' -c checkpoint >/dev/null
log "inserted $ROWS rows in $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}') s"
fi

# --- wrk body: a record as cdcd renders it for this table, with Standard Webhooks headers -----
cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"eventID":"0000000003A0F2B8-000417","eventName":"INSERT","eventSource":"cdcd:postgres","sequenceNumber":"000000000000060879544000000417","table":"public.bench","source":{"database":"postgres","schema":"public","table":"bench","lsn":"0/3A0F2B8","xid":1234,"commitTime":"2026-11-28T11:30:00.123456Z","snapshot":false},"keys":{"id":417},"newImage":{"id":417,"a":417,"b":"4d0f1ec5ed5a9c8e4d5e7b8a8f7d6c5b","c":"2024-01-01T00:06:57Z","d":"625.5"},"unchangedColumns":[],"sizeBytes":88}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["webhook-id"] = "0000000003A0F2B8-000417"
wrk.headers["webhook-timestamp"] = "1795865400"
wrk.headers["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
LUA

sed -n "s/^wrk.body = '\\(.*\\)'\$/\\1/p" "$WORK/post.lua" | tr -d '\n' >"$WORK/body.json"
[ -s "$WORK/body.json" ] || die "could not extract the request body"

# --- timed runs -------------------------------------------------------------------------------
FAILED=0
record() { local IFS=$'\t'; echo "$*" >>"$RAW"; }  # kind rep rc rate wall cpu busy requests note
busy_since() { awk -v x="$(($(cpu_busy) - $1))" -v hz="$HZ" 'BEGIN{printf "%.2f", x / hz}'; }
for r in $(seq 1 "$THROUGHPUT_RUNS"); do
  waited=$(quiet_wait)
  b0=$(cpu_busy)
  out=$(nice -n "$NICE" wrk -t1 -c"$WRK_CONN" -d"${WRK_SECONDS}s" -s "$WORK/post.lua" "$HOOK" 2>&1) || die "wrk failed: $out"
  busy=$(busy_since "$b0")
  echo "$out" >>"$LOG"
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  record wrk "$r" 0 "$rps" "$WRK_SECONDS" 0 "$busy" "-" "quiet-wait ${waited}s"
  log "run $r wrk    $(printf '%8.0f' "$rps") requests/s ($WRK_CONN connections, ${WRK_SECONDS}s)"
  waited=$(quiet_wait)
  b0=$(cpu_busy)
  crps=$(nice -n "$NICE" "$CURLPOST" "$HOOK" "$WORK/body.json" "$ROWS" 32 2>>"$LOG") || die "curl_multi_post failed (see $LOG)"
  record libcurl "$r" 0 "$crps" "$(awk -v n="$ROWS" -v r="$crps" 'BEGIN{printf "%.3f", n / r}')" 0 "$(busy_since "$b0")" "$ROWS" "quiet-wait ${waited}s"
  log "run $r libcurl $(printf '%8.0f' "$crps") requests/s (one thread, 32 in flight, $ROWS requests)"
  for mode in single batch; do
    d=$WORK/wh_${mode}_$r
    waited=$(quiet_wait)
    n0=$(nginx_requests); b0=$(cpu_busy); a=$(now)
    nice -n "$NICE" "$CDCD" run --config "$d/cdcd.yaml" >"$d/run.log" 2>&1 &
    pid=$!
    st=timeout
    while awk -v a="$a" -v b="$(now)" -v t="$TIMEOUT" 'BEGIN{exit !(b - a < t)}'; do
      c=$(cat "$d/state/pipelines/hooks/checkpoint" 2>/dev/null || true)
      if [ "${c:-0}" -ge "$ROWS" ]; then st=ok; break; fi
      kill -0 "$pid" 2>/dev/null || { st=exited; break; }
      sleep 0.05
    done
    b=$(now)
    cpu=$(awk -v hz="$HZ" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    busy=$(busy_since "$b0"); n1=$(nginx_requests)
    stop_cdcd "$pid"
    wall=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b - a}')
    retries=$(grep -c 'delivery failed' "$d/run.log" || true)
    dlq=$( (cat "$d/state/pipelines/hooks/dlq.jsonl" 2>/dev/null || true) | wc -l)
    note=""
    if [ "$st" != ok ]; then note="FAILED: $st (checkpoint $(cat "$d/state/pipelines/hooks/checkpoint" 2>/dev/null) of $ROWS)"; fi
    if [ "$dlq" -ne 0 ]; then note="$note FAILED: $dlq records in the DLQ"; fi
    if [ -n "$note" ]; then
      FAILED=$((FAILED + 1))
      sed 's/^/  cdcd: /' "$d/run.log" | tail -n 20 | tee -a "$LOG" >&2
    fi
    if [ "$retries" -ne 0 ]; then note="$note ($retries retried deliveries)"; fi
    { echo "--- cdcd run log, $mode run $r:"; sed 's/^/  /' "$d/run.log"; } >>"$LOG"
    record "$mode" "$r" "$([ "$st" = ok ] && echo 0 || echo 1)" "$(awk -v n="$ROWS" -v w="$wall" 'BEGIN{printf "%.0f", n / w}')" \
      "$wall" "$cpu" "$busy" "$((n1 - n0))" "$note"
    log "run $r $(tail -n 1 "$RAW" | awk -F'\t' '{printf "%-6s %8.0f records/s  wall %6.2fs  cdcd cpu %5.2fs  machine %5.2fs  nginx requests %s %s", $1, $4, $5, $6, $7, $8, $9}')"
    rm -rf "$d/state"
  done
done

# --- latency at a steady RATE changes/s, LAT_RUNS times ------------------------------------------
LATDIR=$WORK/latency
mkdir -p "$LATDIR"
LAT_DONE=0
[ "$ONLY" = throughput ] || LAT_DONE=$LAT_RUNS
echo "insert into public.lat(v) values (1);" >"$WORK/lat.sql"
for r in $(seq 1 "$LAT_DONE"); do
  if [ "$LAT_RECEIVER" = python ]; then
    RLOG=$WORK/receiver-$r.jsonl
    : >"$RLOG"
    RPORT=$(free_port)
    nice -n "$NICE" "$PYTHON" "$RECEIVER" --port "$RPORT" --log "$RLOG" --secret "$SECRET" >"$WORK/receiver-$r.out" 2>&1 &
    RPID=$!
    for i in $(seq 1 100); do grep -q listening "$WORK/receiver-$r.out" 2>/dev/null && break; sleep 0.05; done
    LAT_URL=http://127.0.0.1:$RPORT/hooks
    LINES0=0
  else
    RLOG=$WORK/nginx/latency.log
    touch "$RLOG"
    LAT_URL=http://127.0.0.1:$NGPORT/latency
    LINES0=$(wc -l <"$RLOG")
  fi
  write_config "wh_latency_$r" false public.lat "$LAT_URL" 100
  nice -n "$NICE" "$CDCD" run --config "$WORK/wh_latency_$r/cdcd.yaml" >"$WORK/wh_latency_$r/run.log" 2>&1 &
  LPID=$!
  for i in $(seq 1 600); do slot_ready "wh_latency_$r" && break; sleep 0.1; done
  quiet_wait >/dev/null
  ROWS0=$(q -c 'select count(*) from public.lat')
  log "latency run $r: pgbench at $RATE transactions/s (one row each) for ${LAT_SECONDS}s -> cdcd (batch: false) -> $LAT_RECEIVER receiver"
  nice -n "$NICE" "$PGBENCH" -n -f "$WORK/lat.sql" -R "$RATE" -T "$LAT_SECONDS" -c 4 -j 2 "$URL" >"$WORK/pgbench.out" 2>&1 \
    || die "pgbench failed: $(cat "$WORK/pgbench.out")"
  N=$(( $(q -c 'select count(*) from public.lat') - ROWS0 ))
  for i in $(seq 1 600); do
    [ "$(wc -l <"$RLOG")" -ge "$((LINES0 + N))" ] && break
    sleep 0.1
  done
  stop_cdcd "$LPID"
  [ "$LAT_RECEIVER" != python ] || { kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true; }
  tail -n "+$((LINES0 + 1))" "$RLOG" >"$LATDIR/$r.log"
  echo "$N" >"$LATDIR/$r.count"
  [ -z "${KEEP_RECEIVER_LOG:-}" ] || cp "$LATDIR/$r.log" "$KEEP_RECEIVER_LOG.$r"
  cat "$WORK/pgbench.out" >>"$LOG"
  { echo "--- cdcd run log, latency run $r:"; sed 's/^/  /' "$WORK/wh_latency_$r/run.log"; } >>"$LOG"
  q -c "select pg_drop_replication_slot('wh_latency_$r')" >/dev/null 2>&1 || true
done

# --- report -----------------------------------------------------------------------------------
"$PYTHON" - "$RAW" "$ROWS" "$RUNS" "$CDCD" "$NCPU" "$PGVER" "$PARALLELIZATION" "$BATCH_SIZE" "$WRK_CONN" "$LATDIR" "$LAT_DONE" "$RATE" "$RECEIVER" "$SECRET" "$LAT_RECEIVER" <<'PY' | tee "$TXT"
import datetime, hashlib, json, os, statistics as st, sys, time
raw, rows, runs, cdcd, ncpu, pgver, par, bs, conn, latdir, latruns, rate, receiver, secret, latreceiver = sys.argv[1:16]
rows, latruns = int(rows), int(latruns)
by = {}
for line in open(raw):
    k, r, rc, rps, wall, cpu, busy, requests, note = line.rstrip("\n").split("\t")
    by.setdefault(k, []).append(dict(rc=int(rc), rps=float(rps), wall=float(wall), cpu=float(cpu), busy=float(busy),
                                     requests=requests, note=note))
med = lambda v: st.median(v) if v else float("nan")
try:
    h = hashlib.sha256(open(cdcd, "rb").read()).hexdigest()[:12]
    binary = f"{cdcd} (sha256 {h}, built {time.strftime('%Y-%m-%d %H:%M', time.localtime(os.path.getmtime(cdcd)))})"
except OSError:
    binary = "(not found)"
print(f"cdcd webhook sink benchmark, {time.strftime('%Y-%m-%d %H:%M:%S')}, {ncpu} CPUs, PostgreSQL {pgver}, nginx return 204 (1 worker)")
print(f"cdcd binary: {binary}")
print(f"{rows:,} rows (1,000-row transactions) per cdcd run; parallelization {par}, batch_size {bs}; {runs} run(s); median (min-max)")
print()
label = {"wrk": f"wrk -t1 -c{conn} (requests/s)", "libcurl": "C libcurl multi loop (requests/s)",
         "single": "cdcd batch: false (records/s)", "batch": "cdcd batch: true (records/s)"}
rates = {}
hdr = f"{'sender':34} {'median (min-max)':>26} {'ratio to wrk':>12} {'cdcd CPU-s':>10}"
if by:
    print(hdr)
    print("-" * len(hdr))
for k in ("wrk", "libcurl", "single", "batch") if by else ():
    ok = [x for x in by.get(k, []) if x["rc"] == 0]
    if not ok:
        print(f"{label[k]:34} {'failed':>26}")
        continue
    v = [x["rps"] for x in ok]
    rates[k] = med(v)
    ratio = f"{rates[k] / rates['wrk']:.2f}" if "wrk" in rates else "-"
    cpu = f"{med([x['cpu'] for x in ok]):.2f}" if k in ("single", "batch") else "-"
    print(f"{label[k]:34} {f'{med(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})':>26} {ratio:>12} {cpu:>10}")
print()
if "single" in rates and "wrk" in rates:
    r = rates["single"] / rates["wrk"]
    print(f"batch: false / wrk = {r:.2f}   (target >= 0.50: {'met' if r >= 0.5 else 'NOT met'})")
    if "libcurl" in rates:
        print(f"batch: false / C libcurl loop = {rates['single'] / rates['libcurl']:.2f}   (libcurl / wrk = {rates['libcurl'] / rates['wrk']:.2f})")
    print("cdcd's figures are end to end: capture from the slot into the stream, then the pipeline into nginx.")
    print()
sys.path.insert(0, os.path.dirname(receiver))
from webhook_receiver import decode_secret, verify  # the tests' own Standard Webhooks verifier
keys = [decode_secret(secret)]
def latencies(log):
    """(commit time, latency ms, signature ok) per received change of one latency run."""
    lat = []
    for line in open(log):
        e = json.loads(line)
        if "signature_ok" in e:  # LAT_RECEIVER=python: the receiver parsed and verified the request
            body, ok = e.get("body") or {}, e["signature_ok"]
        else:  # nginx: the raw body and headers as logged
            try:
                body = json.loads(e["raw"])
            except ValueError:
                continue
            ok = verify(keys, e["id"], e["timestamp"], e["raw"].encode(), e["signature"])
        ct = (body.get("source") or {}).get("commitTime")
        if not ct or e.get("status", 0) // 100 != 2:
            continue
        t = datetime.datetime.fromisoformat(ct.replace("Z", "+00:00")).timestamp()
        lat.append((t, (e["received"] - t) * 1000, ok))
    return sorted(lat)
if latruns:
    print(f"commit-to-receive latency at {rate} changes/s, {latruns} run(s), receiver {latreceiver} (ms; first 2 s of each run dropped):")
    table = []
    for r in range(1, latruns + 1):
        lat = latencies(f"{latdir}/{r}.log")
        expected = int(open(f"{latdir}/{r}.count").read())
        ms = sorted(l for t, l, _ in lat if t >= lat[0][0] + 2) if lat else []
        if not ms:
            print(f"  run {r}: no requests received")
            continue
        pct = lambda p: ms[min(len(ms) - 1, int(p / 100 * len(ms)))]
        row = (pct(50), pct(90), pct(99), ms[-1])
        table.append(row)
        print(f"  run {r}: p50 {row[0]:6.1f}   p90 {row[1]:6.1f}   p99 {row[2]:6.1f}   max {row[3]:6.1f}"
              f"   ({len(lat)} of {expected} changes received, {sum(1 for *_, ok in lat if ok)} signatures verified)")
    if table:
        m = [med([row[i] for row in table]) for i in range(4)]
        print(f"  median: p50 {m[0]:6.1f}   p90 {m[1]:6.1f}   p99 {m[2]:6.1f}   max {m[3]:6.1f}"
              f"   (target p99 < 50 ms: {'met' if m[2] < 50 else 'NOT met'})")
else:
    print("latency: not measured")
print()
print("per run (kind rep rc rate wall_s cdcd_cpu_s machine_busy_s nginx_requests note):")
for k in ("wrk", "libcurl", "single", "batch"):
    for i, x in enumerate(by.get(k, []), 1):
        print(f"  {k:6} {i} {x['rc']:2} {x['rps']:9.0f} {x['wall']:7.2f} {x['cpu']:6.2f} {x['busy']:6.2f} {x['requests']:>8}  {x['note']}")
PY
log "table written to $TXT (details: $LOG)"
[ "$FAILED" -eq 0 ] || { log "$FAILED run(s) failed, see above"; exit 1; }
