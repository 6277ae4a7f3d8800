#!/usr/bin/env python3
"""replica_lag.py SRC_DSN DST_DSN SECONDS — commit-to-apply latency of a replica.

Every 20 ms a row goes into lag_probe on the source (autocommit; its time is taken right after the
commit returns); the target is polled every 2 ms for new probe rows. Lag = seen on target - committed
on source, same machine clock. Prints: count p50_ms p99_ms max_ms.
"""
import statistics
import sys
import threading
import time

import psycopg2

src_dsn, dst_dsn, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
src = psycopg2.connect(src_dsn)
src.autocommit = True
dst = psycopg2.connect(dst_dsn)
dst.autocommit = True
committed = {}
done = threading.Event()


def writer():
    cur = src.cursor()
    i = 0
    end = time.time() + seconds
    while time.time() < end:
        i += 1
        cur.execute("INSERT INTO lag_probe (id) VALUES (%s)", (i,))
        committed[i] = time.time()
        time.sleep(0.02)
    done.set()


thread = threading.Thread(target=writer)
thread.start()
cur = dst.cursor()
seen = {}
last = 0
deadline = None
while True:
    try:
        cur.execute("SELECT id FROM lag_probe WHERE id > %s ORDER BY id", (last,))
        rows = cur.fetchall()
    except psycopg2.Error:
        rows = []
    now = time.time()
    for (i,) in rows:
        seen[i] = now
        last = max(last, i)
    if done.is_set():
        deadline = deadline or now + 30
        if len(seen) >= len(committed) or now > deadline:
            break
    time.sleep(0.002)
thread.join()
lags = sorted((seen[i] - committed[i]) * 1000 for i in committed if i in seen)
if not lags:
    print("0 nan nan nan")
else:
    p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
    print(f"{len(lags)} {statistics.median(lags):.1f} {p(0.99):.1f} {lags[-1]:.1f} missing={len(committed) - len(lags)}")
