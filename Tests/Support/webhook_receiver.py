#!/usr/bin/env python3
"""A scriptable Standard Webhooks receiver for cdcd's tests (stdlib only, loopback only).

It verifies every request's signature with its own implementation of the spec
(https://www.standardwebhooks.com: HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>",
base64, "v1," prefix, space-separated signatures, whsec_ secrets) and logs each request as one
JSON line BEFORE answering, so a test that saw cdcd get a 2xx also finds the line.

Usage:
  webhook_receiver.py --log FILE [--port N | --port-file FILE] [--secret whsec_...]... [--plan JSON]
                      [--tls-cert PEM --tls-key PEM]   (HTTPS, HTTP/1.1)

The plan (all keys optional) says how to answer; a response spec is
{"status": 204, "headers": {"Retry-After": "2"}, "body": "text", "delay": 0.0}:
  "default":  the spec for requests nothing else matches (status 204)
  "sequence": specs for the first requests received, in order of arrival
  "by_id":    {"<webhook-id>": [specs for its 1st, 2nd, ... attempt]} (before "per_id")
  "per_id":   specs for the 1st, 2nd, ... attempt of each webhook-id (then "default")
  "random_delay": up to this many seconds of random extra delay per request
  "batch_fail_ids_once": for {"Records":[...]} bodies, answer batchItemFailures naming the records
      whose keys.id is in this list, the first time each such record arrives
Log line: {"n", "id", "timestamp", "signature_ok" (null without --secret), "timestamp_ok",
           "received" (unix s), "attempt" (per id), "client_port", "status", "headers", "body" (parsed JSON or null),
           "raw" (the body text when it is not JSON)}
"""
import argparse
import base64
import hashlib
import hmac
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def decode_secret(secret):
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    return base64.b64decode(secret + "=" * (-len(secret) % 4))


def verify(keys, msg_id, timestamp, body, header):
    """True when one of the header's v1 signatures matches one of the keys."""
    if not (msg_id and timestamp and header):
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode() for k in keys]
    for part in header.split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and any(hmac.compare_digest(sig, e) for e in expected):
            return True
    return False


class State:
    def __init__(self, args):
        self.keys = [decode_secret(s) for s in args.secret]
        self.plan = json.loads(args.plan) if args.plan else {}
        self.lock = threading.Lock()
        self.count = 0
        self.attempts = {}
        self.failed_once = set()
        self.log = open(args.log, "a", buffering=1)

    def spec_for(self, msg_id):
        with self.lock:
            n = self.count
            self.count += 1
            attempt = self.attempts.get(msg_id, 0) + 1
            self.attempts[msg_id] = attempt
        sequence = self.plan.get("sequence", [])
        per_id = self.plan.get("per_id", [])
        by_id = self.plan.get("by_id", {}).get(msg_id, [])
        if n < len(sequence):
            spec = sequence[n]
        elif attempt <= len(by_id):
            spec = by_id[attempt - 1]
        elif attempt <= len(per_id):
            spec = per_id[attempt - 1]
        else:
            spec = self.plan.get("default", {})
        return n, attempt, spec

    def batch_failures(self, body):
        fail_ids = self.plan.get("batch_fail_ids_once")
        if not fail_ids or not isinstance(body, dict) or "Records" not in body:
            return None
        failures = []
        with self.lock:
            for record in body["Records"]:
                key = (record.get("keys") or {}).get("id")
                seq = record.get("sequenceNumber")
                if key in fail_ids and seq not in self.failed_once:
                    self.failed_once.add(seq)
                    failures.append({"itemIdentifier": seq})
        return json.dumps({"batchItemFailures": failures})

    def write(self, entry):
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.lock:
            self.log.write(line)
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls

    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        received = time.time()
        msg_id = self.headers.get("webhook-id")
        timestamp = self.headers.get("webhook-timestamp")
        n, attempt, spec = state.spec_for(msg_id)
        try:
            body = json.loads(raw)
            text = None
        except ValueError:
            body, text = None, raw.decode("utf-8", "replace")
        status = int(spec.get("status", 204))
        response_body = spec.get("body", "")
        if 200 <= status < 300:
            failures = state.batch_failures(body)
            if failures is not None:
                status, response_body = 200, failures
        try:
            timestamp_ok = abs(int(timestamp) - time.time()) <= 300
        except (TypeError, ValueError):
            timestamp_ok = False
        entry = {
            "n": n, "id": msg_id, "timestamp": timestamp, "attempt": attempt, "received": received,
            "client_port": self.client_address[1],
            "signature_ok": verify(state.keys, msg_id, timestamp, raw, self.headers.get("webhook-signature"))
            if state.keys else None,
            "timestamp_ok": timestamp_ok, "status": status, "delay": spec.get("delay", 0),
            "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "raw": text,
        }
        state.write(entry)
        delay = float(spec.get("delay", 0)) + random.uniform(0, float(state.plan.get("random_delay", 0)))
        if delay > 0:
            time.sleep(delay)
        payload = response_body.encode() if isinstance(response_body, str) else bytes(response_body)
        try:
            self.send_response(status)
            for name, value in spec.get("headers", {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--log", required=True)
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--plan")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        context.set_alpn_protocols(["http/1.1"])
        # The handshake runs in the request's thread, not in accept(): a client that fails it cannot stall the server.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.state = State(args)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    print("listening on", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
