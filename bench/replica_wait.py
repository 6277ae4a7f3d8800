#!/usr/bin/env python3
"""replica_wait.py DSN TABLE ROWS T0 TIMEOUT — waits until TABLE holds ROWS rows; prints the seconds
since T0 (a `date +%s.%N` taken before the consumer was started).

One connection, kept open. Every 10 ms it looks up the row with the highest id (`id = ROWS`, one
index probe): both consumers apply the source's transactions in commit order and that row is in
the last one, so once it is there every row should be. The time is taken then, and the full count
is checked right after (polling on if it is short). The earlier `count(*)` every 50 ms from a new
psql each time cost both consumers a few tenths of a core on this 2-core machine.
"""
import sys
import time

import psycopg2

dsn, table, rows, t0, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
conn = psycopg2.connect(dsn)
conn.autocommit = True
cur = conn.cursor()
while True:
    cur.execute(f"select exists (select 1 from {table} where id = %s)", (rows,))
    if cur.fetchone()[0]:
        seen = time.time()
        cur.execute(f"select count(*) from {table}")
        count = cur.fetchone()[0]
        if count >= rows:
            print(f"{seen - t0:.3f}")
            break
    if time.time() - t0 > timeout:
        sys.exit(f"timed out waiting for {rows} rows in {table}")
    time.sleep(0.01)
