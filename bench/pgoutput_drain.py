#!/usr/bin/env python3
# Origin: the CDC baselines kit (../shared/bench/pgoutput_drain.py, see its BASELINE.md), copied
# unchanged into cdcd's bench/ so the capture benchmark is self-contained.
"""Drain a pgoutput logical replication slot up to ENDPOS and count messages.

Usage: pgoutput_drain.py DSN SLOT PUBLICATION ENDPOS [PROTO_VERSION]

Mimics `pg_recvlogical --endpos`: stops after a data message with LSN >= ENDPOS, or when a
keepalive/data message reports the server's sent position (wal_end) >= ENDPOS.
Uses psycopg2's LogicalReplicationConnection with decode=False (raw bytes); every message is
classified by its first byte (B=begin, R=relation, I=insert, U=update, D=delete, C=commit, ...)
and counted - i.e. the minimal work any pgoutput consumer must do. Sends a standby status
update every 10 s and a final one (flush_lsn=last LSN seen), like pg_recvlogical.
Prints one JSON line: {"elapsed_s":..., "messages":..., "bytes":..., "by_type":{...}}.
"""
import json, select, sys, time
import psycopg2
import psycopg2.extras


def lsn2int(s):
    hi, lo = s.split("/")
    return (int(hi, 16) << 32) + int(lo, 16)


def main():
    dsn, slot, pub, endpos_s = sys.argv[1:5]
    proto = sys.argv[5] if len(sys.argv) > 5 else "1"
    endpos = lsn2int(endpos_s)
    conn = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.start_replication(slot_name=slot, decode=False,
                          options={"proto_version": proto, "publication_names": pub})
    counts = {}
    nmsg = nbytes = 0
    last_lsn = 0
    next_fb = time.monotonic() + 10
    while True:
        msg = cur.read_message()
        if msg is not None:
            p = msg.payload
            t = p[0]
            counts[t] = counts.get(t, 0) + 1
            nmsg += 1
            nbytes += len(p)
            last_lsn = msg.data_start
            if last_lsn >= endpos:
                break
            if nmsg & 0x3FFF == 0 and time.monotonic() >= next_fb:
                cur.send_feedback(write_lsn=last_lsn, flush_lsn=last_lsn)
                next_fb = time.monotonic() + 10
            continue
        # no message buffered: keepalive may have told us the server is past endpos
        if cur.wal_end >= endpos:
            break
        if time.monotonic() >= next_fb:
            cur.send_feedback(write_lsn=last_lsn, flush_lsn=last_lsn)
            next_fb = time.monotonic() + 10
        select.select([cur], [], [], 1.0)
    final = max(last_lsn, min(cur.wal_end, endpos))
    cur.send_feedback(write_lsn=final, flush_lsn=final, force=True)
    elapsed = time.monotonic() - t0
    conn.close()
    print(json.dumps({"elapsed_s": round(elapsed, 3), "messages": nmsg, "bytes": nbytes,
                      "by_type": {chr(k): v for k, v in sorted(counts.items())}}))


if __name__ == "__main__":
    main()
