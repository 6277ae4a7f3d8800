#!/usr/bin/env python3
"""Helpers for bench/pipeline.sh (cheap enough to run next to the process being measured).

  pipeline_watch.py watch OUT STREAM_DIR ROWS PID START TIMEOUT [INTERVAL]
      Polls every INTERVAL s (default 0.05) until the file OUT has ROWS lines, process PID has
      exited, or TIMEOUT s have passed since START (epoch seconds, taken just before PID was
      started). Lines are counted incrementally (only new bytes are read), so polling costs almost
      nothing even at 1M lines. Prints one line:
        STATUS ELAPSED LINES CPU_S STREAM_BYTES STREAM_DONE RSS_MB WATCH_CPU_S
      STATUS: ok | exited | timeout. ELAPSED: s from START to the poll that saw ROWS lines.
      CPU_S: PID's user+sys CPU at that moment. STREAM_BYTES: size of STREAM_DIR/*.log then;
      STREAM_DONE: s from START to the first poll that saw the stream at that size (capture
      finished appending). RSS_MB: PID's peak resident set size (VmHWM). WATCH_CPU_S: this
      poller's own user+sys CPU (part of the run's "other" CPU).

  pipeline_watch.py check OUT ROWS
      Checks that OUT holds exactly ROWS JSON lines whose keys are id 1..ROWS in order (the
      benchmark inserts ids in ascending order, one transaction after another). Prints "ok" or
      what is wrong; exit status 0 / 1.
"""
import os
import re
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    """(state, cpu seconds) of pid, or None once it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()  # fields from 3 (state) on
    if fields[0] in ("Z", "X"):
        return None
    return fields[0], (int(fields[11]) + int(fields[12])) / HZ


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stream_bytes(d):
    total = 0
    try:
        for e in os.scandir(d):
            if e.name.endswith(".log"):
                try:
                    total += e.stat().st_size
                except OSError:
                    pass
    except OSError:
        pass
    return total


def watch(out, stream_dir, rows, pid, start, timeout, interval=0.05):
    rows, pid, start, timeout, interval = int(rows), int(pid), float(start), float(timeout), float(interval)
    lines, f = 0, None
    last_size, size_since = -1, start
    cpu, rss = 0.0, 0.0
    status = "timeout"
    while True:
        now = time.time()
        if f is None:
            try:
                f = open(out, "rb")
            except OSError:
                pass
        if f is not None:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                lines += chunk.count(b"\n")
        size = stream_bytes(stream_dir)
        if size != last_size:
            last_size, size_since = size, now
        st = proc_stat(pid)
        if st is not None:
            cpu, rss = st[1], peak_rss_mb(pid)
        if lines >= rows:
            status = "ok"
            break
        if st is None:
            status = "exited"
            break
        if now - start > timeout:
            break
        time.sleep(interval)
    t = os.times()
    print(f"{status} {now - start:.3f} {lines} {cpu:.2f} {last_size} {size_since - start:.3f} {rss:.0f} {t.user + t.system:.2f}")


def check(out, rows):
    rows = int(rows)
    data = open(out, "rb").read()
    nlines = data.count(b"\n")
    ids = [int(m) for m in re.findall(rb'"keys":\{"id":(\d+)\}', data)]
    problems = []
    if nlines != rows:
        problems.append(f"{nlines} lines (expected {rows})")
    if len(ids) != nlines:
        problems.append(f"{len(ids)} lines with a key {{id}} out of {nlines}")
    distinct = set(ids)
    missing = rows - len(distinct & set(range(1, rows + 1)))
    if len(distinct) != len(ids):
        problems.append(f"{len(ids) - len(distinct)} duplicate ids")
    if missing:
        problems.append(f"{missing} ids of 1..{rows} missing")
    breaks = [i for i in range(1, len(ids)) if ids[i] != ids[i - 1] + 1]
    if ids and ids[0] != 1:
        breaks.insert(0, 0)
    if breaks:
        where = [f"line 1 is id {ids[0]}" if i == 0 else f"line {i + 1} is id {ids[i]} after id {ids[i - 1]}"
                 for i in breaks[:3]]
        problems.append(f"out of order: {len(breaks)} break(s) in the id sequence, first: {', '.join(where)}")
    print("ok" if not problems else "; ".join(problems))
    return 0 if not problems else 1


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "watch":
        watch(*args)
    elif cmd == "check":
        sys.exit(check(*args))
    else:
        sys.exit(f"unknown command {cmd}")
