#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a local DynamoDB API that injects the errors AWS answers with,
for cdcd's retry tests:

    dynamodb_faults.py PORT UPSTREAM

GetRecords calls 2 and 3 are answered 400 LimitExceededException and
ProvisionedThroughputExceededException, call 5 ExpiredIteratorException, call 7 a 503; every
other request is forwarded to UPSTREAM unchanged. Counts are printed to stdout, one line per
injected fault.
"""
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = {
    2: (400, "LimitExceededException", "Rate exceeded for shard"),
    3: (400, "ProvisionedThroughputExceededException", "Rate exceeded"),
    5: (400, "ExpiredIteratorException", "Iterator expired"),
    7: (503, "InternalServerError", "try again"),
}
lock = threading.Lock()
calls = {"GetRecords": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".GetRecords"):
            with lock:
                calls["GetRecords"] += 1
                fault = FAULTS.get(calls["GetRecords"])
            if fault:
                status, kind, message = fault
                print(f"fault {kind}", flush=True)
                answer = ('{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"%s"}' % (kind, message)).encode()
                return self.answer(status, answer)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(UPSTREAM, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                return self.answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return self.answer(error.code, error.read())

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port, UPSTREAM = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.request_queue_size = 128
    print("listening", flush=True)
    server.serve_forever()
