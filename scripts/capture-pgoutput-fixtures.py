#!/usr/bin/env python3
"""Capture real pgoutput (proto_version 1) messages and write them as Swift test fixtures.

Usage:
    scripts/capture-pgoutput-fixtures.py [DSN] [OUTPUT]

    DSN     default "host=127.0.0.1 port=55491 user=postgres dbname=postgres"; a superuser on a
            PostgreSQL 15 server with wal_level=logical (e.g. `pg-cluster.sh start h1 55491`).
    OUTPUT  default Tests/CDCCoreTests/PgOutputFixtures.swift (relative to the repository root).

Needs python3 and psycopg2 (`pip install psycopg2-binary`).

What it does: drops and recreates the schemas `fx` and `Sales Dept`, the publication `fx_pub`, the
slot `fx_slot` and the replication origin `fixture_origin`; runs one scenario per transaction (see
SCENARIOS) that together produce every pgoutput message type (Begin, Commit, Origin, Relation,
Type, Insert, Update without/with 'K'/with 'O' old tuple, Delete 'K'/'O', Truncate, transactional
and non-transactional Message), NULLs, an unchanged TOASTed value ('u'), and names that need
quoting; then reads the slot over a replication connection (LogicalReplicationConnection,
decode=False) and writes every message's raw payload as hex, named after its scenario, together
with the OIDs, xids and LSN bounds the tests check against. The slot and publication are dropped at
the end. Re-running produces the same structure (OIDs, xids, LSNs and times change).
"""
import os
import random
import select
import sys
import time

import psycopg2
import psycopg2.extras

DEFAULT_DSN = "host=127.0.0.1 port=55491 user=postgres dbname=postgres"
SLOT = "fx_slot"
PUBLICATION = "fx_pub"
ORIGIN = "fixture_origin"
ORIGIN_LSN = "0/ABCDEF"
TOAST_LENGTH = 12000

SETUP = """
DROP SCHEMA IF EXISTS fx CASCADE;
DROP SCHEMA IF EXISTS "Sales Dept" CASCADE;
CREATE SCHEMA fx;
CREATE SCHEMA "Sales Dept";
CREATE TYPE fx.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN fx.posint AS integer CHECK (VALUE > 0);

-- REPLICA IDENTITY DEFAULT (primary key): updates carry no old tuple unless the key changes,
-- deletes carry 'K'.
CREATE TABLE fx.items (id integer PRIMARY KEY, name text NOT NULL, qty integer, note varchar(20));

-- Non-builtin column types (enum, domain) make pgoutput send Type ('Y') messages; the dropped
-- column must not appear in Relation or tuples.
CREATE TABLE fx.typed (id bigint PRIMARY KEY, gone text, mood fx.mood, amount fx.posint);
ALTER TABLE fx.typed DROP COLUMN gone;

-- REPLICA IDENTITY FULL: updates and deletes carry the whole old row ('O').
CREATE TABLE fx.full_rows (id integer PRIMARY KEY, a text, b integer);
ALTER TABLE fx.full_rows REPLICA IDENTITY FULL;

-- Large incompressible values stored out of line, then an update that leaves them alone ('u').
CREATE TABLE fx.toasted (id integer PRIMARY KEY, big text, counter integer);
ALTER TABLE fx.toasted ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE fx.toasted_full (id integer PRIMARY KEY, big text, counter integer);
ALTER TABLE fx.toasted_full ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE fx.toasted_full REPLICA IDENTITY FULL;

-- Names that need quoting (space, capitals, non-ASCII); typmods; a generated column (not sent).
CREATE TABLE "Sales Dept"."Order Items" (
    "Item ID" integer PRIMARY KEY,
    "Größe" text,
    "Unit Price" numeric(10,2),
    "Qty" smallint,
    "Total" numeric GENERATED ALWAYS AS ("Unit Price" * "Qty") STORED
);

CREATE TABLE fx.trunc_a (id serial PRIMARY KEY);
CREATE TABLE fx.trunc_b (id serial PRIMARY KEY);
"""

TOAST_TEXT = ""  # filled in main() (seeded, so reruns produce the same text)

# (name, kind, statements). kind "tx": one transaction (BEGIN ... COMMIT around the statements);
# "nontx": statements run in autocommit mode and produce a lone non-transactional message;
# "origin": one transaction in a session with a replication origin set up.
SCENARIOS = [
    ("insertNulls", "tx", [
        "INSERT INTO fx.items VALUES (1, 'alpha', 3, NULL)",
        "INSERT INTO fx.items VALUES (2, 'beta', NULL, 'with note')",
    ]),
    ("insertTyped", "tx", ["INSERT INTO fx.typed VALUES (9000000000, 'happy', 42)"]),
    ("updateNoOld", "tx", ["UPDATE fx.items SET qty = 4 WHERE id = 1"]),
    ("updateKeyChanged", "tx", ["UPDATE fx.items SET id = 10, note = 'moved' WHERE id = 2"]),
    ("updateFull", "tx", [
        "INSERT INTO fx.full_rows VALUES (1, 'x', 1)",
        "UPDATE fx.full_rows SET b = 2 WHERE id = 1",
    ]),
    ("deleteKey", "tx", ["DELETE FROM fx.items WHERE id = 10"]),
    ("deleteFull", "tx", ["DELETE FROM fx.full_rows WHERE id = 1"]),
    ("toastInsert", "tx", [
        ("INSERT INTO fx.toasted VALUES (1, %s, 0)", "toast"),
        ("INSERT INTO fx.toasted_full VALUES (1, %s, 0)", "toast"),
    ]),
    ("toastUpdate", "tx", [
        "UPDATE fx.toasted SET counter = 1 WHERE id = 1",
        "UPDATE fx.toasted_full SET counter = 1 WHERE id = 1",
    ]),
    ("quotedNames", "tx", [
        """INSERT INTO "Sales Dept"."Order Items" VALUES (7, 'groß', 12.50, 3)""",
    ]),
    ("truncate", "tx", [
        "INSERT INTO fx.trunc_a DEFAULT VALUES",
        "TRUNCATE fx.trunc_a, fx.trunc_b RESTART IDENTITY CASCADE",
    ]),
    ("messageTx", "tx", ["SELECT pg_logical_emit_message(true, 'fx.tx', 'hello, wörld')"]),
    ("messageNonTx", "nontx", [r"SELECT pg_logical_emit_message(false, 'fx.nontx', '\x00ff0a'::bytea)"]),
    ("origin", "origin", ["INSERT INTO fx.items VALUES (3, 'from origin', 1, NULL)"]),
]

KIND_NAMES = {
    "B": "Begin", "C": "Commit", "O": "Origin", "R": "Relation", "Y": "Type", "I": "Insert",
    "U": "Update", "D": "Delete", "T": "Truncate", "M": "Message",
}


def lsn_to_int(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def run_statements(cur, statements):
    for st in statements:
        if isinstance(st, tuple):
            cur.execute(st[0], (TOAST_TEXT,))
        else:
            cur.execute(st)


def pg_now(cur):
    """now() (the transaction start time) in microseconds since 2000-01-01, as pgoutput sends times."""
    cur.execute("SELECT (extract(epoch FROM now()) * 1000000)::bigint - 946684800000000")
    return cur.fetchone()[0]


def current_lsn(cur):
    cur.execute("SELECT pg_current_wal_insert_lsn()::text")
    return lsn_to_int(cur.fetchone()[0])


def main():
    global TOAST_TEXT
    dsn = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DSN
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "Tests/CDCCoreTests/PgOutputFixtures.swift")

    rng = random.Random(20240615)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    TOAST_TEXT = "".join(rng.choice(alphabet) for _ in range(TOAST_LENGTH))

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT version(), current_setting('server_version_num')::int, current_setting('wal_level')")
    version, version_num, wal_level = cur.fetchone()
    if wal_level != "logical":
        sys.exit(f"wal_level is {wal_level}, need logical")
    if version_num // 10000 != 15:
        print(f"warning: fixtures are meant to come from PostgreSQL 15, server is {version}", file=sys.stderr)

    # Clean slate (reruns).
    cur.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (SLOT,))
    cur.execute(f"DROP PUBLICATION IF EXISTS {PUBLICATION}")
    cur.execute("SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = %s", (ORIGIN,))
    cur.execute(SETUP)
    cur.execute(f"CREATE PUBLICATION {PUBLICATION} FOR ALL TABLES")
    cur.execute("SELECT lsn::text FROM pg_create_logical_replication_slot(%s, 'pgoutput')", (SLOT,))
    slot_lsn = lsn_to_int(cur.fetchone()[0])

    # Run the scenarios, recording each one's xid and the WAL positions around it.
    facts = {}
    for name, kind, statements in SCENARIOS:
        before = current_lsn(cur)
        xid = None
        start_time = None
        if kind == "tx":
            cur.execute("BEGIN")
            start_time = pg_now(cur)
            run_statements(cur, statements)
            cur.execute("SELECT txid_current() % 4294967296")
            xid = cur.fetchone()[0]
            cur.execute("COMMIT")
        elif kind == "nontx":
            run_statements(cur, statements)
        elif kind == "origin":
            oconn = psycopg2.connect(dsn)
            oconn.autocommit = True
            ocur = oconn.cursor()
            ocur.execute("SELECT pg_replication_origin_create(%s)", (ORIGIN,))
            ocur.execute("SELECT pg_replication_origin_session_setup(%s)", (ORIGIN,))
            ocur.execute("BEGIN")
            ocur.execute("SELECT pg_replication_origin_xact_setup(%s, now())", (ORIGIN_LSN,))
            start_time = pg_now(ocur)
            run_statements(ocur, statements)
            ocur.execute("SELECT txid_current() % 4294967296")
            xid = ocur.fetchone()[0]
            ocur.execute("COMMIT")
            ocur.execute("SELECT pg_replication_origin_session_reset()")
            oconn.close()
        after = current_lsn(cur)
        facts[name] = (kind, xid, start_time, before, after)
    end_lsn = current_lsn(cur)

    cur.execute("""
        SELECT n.nspname || '.' || c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('fx', 'Sales Dept') AND c.relkind = 'r' ORDER BY 1""")
    rel_oids = cur.fetchall()
    cur.execute("""
        SELECT t.typname, t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'fx' AND t.typname IN ('mood', 'posint') ORDER BY 1""")
    type_oids = cur.fetchall()

    # Read the slot.
    rconn = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection)
    rcur = rconn.cursor()
    rcur.start_replication(slot_name=SLOT, decode=False, options={
        "proto_version": "1", "publication_names": PUBLICATION, "messages": "true"})
    messages = []  # (data_start, payload bytes)
    deadline = time.monotonic() + 30
    idle_since = None
    while time.monotonic() < deadline:
        msg = rcur.read_message()
        if msg is not None:
            messages.append((msg.data_start, bytes(msg.payload)))
            idle_since = None
            continue
        if rcur.wal_end >= end_lsn:
            if idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > 1.0:
                break
        select.select([rcur], [], [], 0.2)
    else:
        sys.exit("timed out reading the slot")
    rcur.send_feedback(write_lsn=end_lsn, flush_lsn=end_lsn, force=True)
    rconn.close()

    # Assign messages to scenarios: each "tx"/"origin" scenario is one B..C group, each "nontx"
    # scenario one lone M.
    named = []
    i = 0
    for name, kind, _ in SCENARIOS:
        group = []
        if kind == "nontx":
            if i >= len(messages) or messages[i][1][:1] != b"M":
                sys.exit(f"scenario {name}: expected a lone M at message {i}")
            group.append(messages[i])
            i += 1
        else:
            if i >= len(messages) or messages[i][1][:1] != b"B":
                sys.exit(f"scenario {name}: expected B at message {i}")
            while True:
                group.append(messages[i])
                i += 1
                if group[-1][1][:1] == b"C":
                    break
        counts = {}
        for _, payload in group:
            k = chr(payload[0])
            counts[k] = counts.get(k, 0) + 1
        seen = {}
        for lsn, payload in group:
            k = chr(payload[0])
            seen[k] = seen.get(k, 0) + 1
            label = name + KIND_NAMES[k] + (str(seen[k]) if counts[k] > 1 else "")
            named.append((label, lsn, payload))
    if i != len(messages):
        sys.exit(f"{len(messages) - i} unexpected trailing messages")

    # Clean up server objects that would pin WAL (the walsender may take a moment to let go).
    for attempt in range(50):
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (SLOT,))
        if not cur.fetchone()[0]:
            break
        time.sleep(0.1)
    cur.execute("SELECT pg_drop_replication_slot(%s)", (SLOT,))
    cur.execute(f"DROP PUBLICATION {PUBLICATION}")
    cur.execute("SELECT pg_replication_origin_drop(%s)", (ORIGIN,))
    conn.close()

    write_swift(output, version, named, facts, rel_oids, type_oids, slot_lsn, end_lsn)
    print(f"wrote {len(named)} messages to {output}")
    for label, lsn, payload in named:
        print(f"  {label:32} {len(payload):6} bytes")


def swift_ident(name):
    # "Sales Dept.Order Items" -> salesDeptOrderItems, "fx.items" -> items
    name = name.split(".", 1)[1] if name.startswith("fx.") else name
    words = [w for w in "".join(c if c.isalnum() else " " for c in name).split()]
    first = words[0]
    return first[0].lower() + first[1:] + "".join(w[0].upper() + w[1:] for w in words[1:])


def write_swift(path, version, named, facts, rel_oids, type_oids, slot_lsn, end_lsn):
    out = []
    w = out.append
    w("// GENERATED by scripts/capture-pgoutput-fixtures.py; do not edit, re-run the script instead.")
    w("//")
    w(f"// Source server: {version}")
    w(f"// Real pgoutput payloads (the bytes after the XLogData header) read from a logical slot over a")
    w(f"// replication connection (psycopg2 LogicalReplicationConnection) with proto_version '1',")
    w(f"// publication_names '{PUBLICATION}' (FOR ALL TABLES), messages 'true'. OIDs, xids, LSNs and times")
    w(f"// below are those of that capture run.")
    w("")
    w("// swiftlint:disable all")
    w("")
    w("/// One captured pgoutput message: its scenario label, the XLogData walStart it came with, its bytes.")
    w("struct PgOutputFixture: Sendable, CustomStringConvertible {")
    w("    var label: String")
    w("    var walStart: UInt64")
    w("    var hex: String")
    w("    var description: String { label }")
    w("}")
    w("")
    w("/// Facts about one scenario's transaction: its xid, its now() (transaction start, microseconds since")
    w("/// 2000-01-01; for the origin scenario also the origin timestamp given to pg_replication_origin_xact_setup)")
    w("/// and the WAL insert positions before and after it.")
    w("struct PgOutputScenarioFacts: Sendable {")
    w("    var xid: UInt32?")
    w("    var startTime: Int64?")
    w("    var lsnBefore: UInt64")
    w("    var lsnAfter: UInt64")
    w("}")
    w("")
    w("enum PgOutputFixtures {")
    w(f"    static let serverVersion = {swift_string(version)}")
    w(f"    static let slotLSN: UInt64 = 0x{slot_lsn:X}")
    w(f"    static let endLSN: UInt64 = 0x{end_lsn:X}")
    w(f"    static let originName = {swift_string(ORIGIN)}")
    w(f"    static let originLSN: UInt64 = 0x{lsn_to_int(ORIGIN_LSN):X}")
    w(f"    /// The TOASTed text: {TOAST_LENGTH} seeded random base64-alphabet characters (incompressible for pglz).")
    w(f"    static let toastLength = {TOAST_LENGTH}")
    w(f"    static let toastPrefix = {swift_string(TOAST_TEXT[:32])}")
    w(f"    static let toastSuffix = {swift_string(TOAST_TEXT[-32:])}")
    w("")
    w("    // Relation OIDs")
    for rel, oid in rel_oids:
        w(f"    static let {swift_ident(rel)}OID: UInt32 = {oid}  // {rel}")
    w("    // Type OIDs")
    for typ, oid in type_oids:
        w(f"    static let {typ}TypeOID: UInt32 = {oid}  // fx.{typ}")
    w("")
    w("    static let scenarios: [String: PgOutputScenarioFacts] = [")
    for name, (kind, xid, start_time, before, after) in facts.items():
        x = "nil" if xid is None else str(xid)
        t = "nil" if start_time is None else str(start_time)
        w(f"        \"{name}\": PgOutputScenarioFacts(")
        w(f"            xid: {x}, startTime: {t}, lsnBefore: 0x{before:X}, lsnAfter: 0x{after:X}),")
    w("    ]")
    w("")
    w("    /// Every captured message, in stream order.")
    w("    static let all: [PgOutputFixture] = [")
    for label, lsn, payload in named:
        w(f"        PgOutputFixture(label: \"{label}\", walStart: 0x{lsn:X}, hex: {label}),")
    w("    ]")
    w("")
    for label, lsn, payload in named:
        w(f"    static let {label} = \"{payload.hex()}\"")
    w("}")
    w("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    main()
