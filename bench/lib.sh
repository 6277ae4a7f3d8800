# bench/lib.sh — machine CPU accounting shared by the benchmark scripts, and the nginx receiver of
# webhook.sh and curl_variants.sh (sourced, not run).
# Uses the caller's PMPID (postmaster pid), QUIET_MAX and QUIET_PCT.
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
cpu_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }   # jiffies, all CPUs
# postmaster utime+stime+cutime+cstime: includes every backend/walsender it has reaped
server_cpu() { awk '{print $14 + $15 + $16 + $17}' "/proc/$PMPID/stat"; }
wait_walsenders() {  # until the postmaster has no walsender child left (max 5 s), then let it reap
  local i
  for i in $(seq 1 100); do pgrep -P "$PMPID" -f '^postgres: walsender' >/dev/null || break; sleep 0.05; done
  sleep 0.1
}
quiet_wait() {  # wait until one 1-s sample of machine CPU use is below QUIET_PCT; prints waited s
  local waited=0 b0 b1
  [ "$QUIET_MAX" -gt 0 ] || { echo 0; return; }
  while :; do
    b0=$(cpu_busy); sleep 1; b1=$(cpu_busy)
    if [ $(((b1 - b0) * 100)) -lt $((QUIET_PCT * NCPU * HZ)) ] || [ "$waited" -ge "$QUIET_MAX" ]; then break; fi
    waited=$((waited + 1))
  done
  echo "$waited"
}
# Writes DIR/nginx.conf: one worker, no access log, bodies read into memory, long keep-alive; the
# server blocks (and any extra http-level directive) come on stdin.
write_nginx_conf() {  # DIR < server blocks
  local dir=$1
  mkdir -p "$dir"
  {
    cat <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  client_body_buffer_size 1m;
  client_max_body_size 64m;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
NGINX
    cat
    echo "}"
  } >"$dir/nginx.conf"
}
