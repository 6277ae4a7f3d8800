#!/usr/bin/env bash
# curl_variants.sh — libcurl's per-request ceiling on this machine: wrk and several libcurl multi
# configurations (bench/curl_multi_variants.c) POSTing the same record-sized body to the same
# nginx (one worker, `return 204;`), one at a time, RUNS times each, medians. No PostgreSQL, no cdcd.
#
#   bench/curl_variants.sh                      all variants, 3 runs, 100,000 requests each
#   VARIANTS="h1-poll h2-socket" RUNS=5 bench/curl_variants.sh
#
# nginx listens three times: HTTP/1.1 on one port, h2c (HTTP/2 with prior knowledge, `listen ...
# http2;` without TLS) on another, HTTP/2 over TLS (ALPN; the tests' certificate for 127.0.0.1) on a
# third. wrk speaks HTTP/1.1 only: its figure is the HTTP/1.1 server's ceiling.
# With libcurl 7.88.1 (Debian 12) every h2c request after the first on a connection fails ("Error in
# the HTTP2 framing layer": curl/curl#10634, fixed in 8.0.0), so the h2-* variants fail here.
#
# Environment: ROWS=100000 RUNS=3 CONC=32 WRK_CONN=16 WRK_SECONDS=10 NICE=0 QUIET_MAX=30 QUIET_PCT=15
#   VARIANTS (default: all of the names in the table below)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
ROWS=${ROWS:-100000}
RUNS=${RUNS:-3}
CONC=${CONC:-32}
WRK_CONN=${WRK_CONN:-16}
WRK_SECONDS=${WRK_SECONDS:-10}
NICE=${NICE:-0}
QUIET_MAX=${QUIET_MAX:-30}
QUIET_PCT=${QUIET_PCT:-15}
PYTHON=${PYTHON:-python3}
# name | URL kind (h1|h2) | options of curl_multi_variants
TABLE="h1-poll|h1|
h1-poll-sign|h1|--sign
h1-socket|h1|--socket
h1-socket-sign|h1|--socket --sign
h2-poll|h2|--h2
h2-socket|h2|--h2 --socket
h2-socket-sign|h2|--h2 --socket --sign
h2-socket-2conn|h2|--h2 --socket --conns 2
h2-socket-sign-2conn|h2|--h2 --socket --sign --conns 2
h2tls-poll|tls|--h2tls CA
h2tls-poll-sign|tls|--h2tls CA --sign"
VARIANTS=${VARIANTS:-$(echo "$TABLE" | cut -d'|' -f1 | tr '\n' ' ')}

WORK=$(mktemp -d /tmp/curl-variants.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date +%T)] $*" >&2; }
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
. "$HERE/lib.sh"

cc -O2 -o "$WORK/cmv" "$HERE/curl_multi_variants.c" -lcurl
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
CA=$ROOT/Tests/Support/tls/cert.pem
write_nginx_conf "$WORK/nginx" <<NGINX
  http2_max_concurrent_streams 256;
  server {
    listen 127.0.0.1:$P1 backlog=4096;
    location / { return 204; }
  }
  server {
    listen 127.0.0.1:$P2 http2 backlog=4096;
    location / { return 204; }
  }
  server {
    listen 127.0.0.1:$P3 ssl http2 backlog=4096;
    ssl_certificate $CA;
    ssl_certificate_key $ROOT/Tests/Support/tls/key.pem;
    location / { return 204; }
  }
NGINX
nice -n "$NICE" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
sed -n "s/^wrk.body = '\\(.*\\)'\$/\\1/p" "$HERE/webhook.sh" | tr -d '\n' >"$WORK/body.json"
[ -s "$WORK/body.json" ] || { log "no body"; exit 1; }
sed -n "/^wrk.method/,/^LUA/p" "$HERE/webhook.sh" | grep -v '^LUA' >"$WORK/post.lua"
log "nginx $(nginx -v 2>&1 | sed 's/.*\///'): HTTP/1.1 on $P1, h2c on $P2; body $(wc -c <"$WORK/body.json") bytes; $ROWS requests x $RUNS runs, $CONC in flight"

RAW=$WORK/raw
: >"$RAW"
for r in $(seq 1 "$RUNS"); do
  quiet_wait >/dev/null
  rps=$(nice -n "$NICE" wrk -t1 -c"$WRK_CONN" -d"${WRK_SECONDS}s" -s "$WORK/post.lua" "http://127.0.0.1:$P1/hooks" | awk '/^Requests\/sec/ {print $2}')
  echo "wrk $rps -" >>"$RAW"
  log "run $r wrk $rps"
  for v in $VARIANTS; do
    line=$(echo "$TABLE" | awk -F'|' -v v="$v" '$1 == v')
    [ -n "$line" ] || { log "unknown variant $v"; exit 2; }
    kind=$(echo "$line" | cut -d'|' -f2)
    opts=$(echo "$line" | cut -d'|' -f3)
    url=http://127.0.0.1:$P1/hooks
    [ "$kind" = h2 ] && url=http://127.0.0.1:$P2/hooks
    [ "$kind" = tls ] && url=https://127.0.0.1:$P3/hooks
    opts=${opts//CA/$CA}
    quiet_wait >/dev/null
    # shellcheck disable=SC2086
    out=$(nice -n "$NICE" "$WORK/cmv" "$url" "$WORK/body.json" "$ROWS" "$CONC" $opts 2>>"$WORK/errors") || { log "$v failed: $(tail -n 1 "$WORK/errors")"; out="0 0"; }
    echo "$v $out" >>"$RAW"
    log "run $r $v $out"
  done
done
"$PYTHON" - "$RAW" "$ROWS" "$CONC" <<'PY'
import statistics as st, sys, time
by = {}
for line in open(sys.argv[1]):
    k, rps, cpu = line.split()
    by.setdefault(k, []).append((float(rps), None if cpu == "-" else float(cpu)))
wrk = st.median(r for r, _ in by["wrk"])
print(f"libcurl variants, {time.strftime('%Y-%m-%d %H:%M')}, {sys.argv[2]} requests each, {sys.argv[3]} in flight; median (min-max) of {len(by['wrk'])}")
print(f"{'sender':24} {'requests/s':>24} {'ratio to wrk':>12} {'CPU us/request':>15}")
for k, v in by.items():
    r = [x for x, _ in v]
    cpu = [c for _, c in v if c is not None]
    c = f"{st.median(cpu):.1f}" if cpu else "-"
    print(f"{k:24} {f'{st.median(r):,.0f} ({min(r):,.0f}-{max(r):,.0f})':>24} {st.median(r) / wrk:12.2f} {c:>15}")
PY
