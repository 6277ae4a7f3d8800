#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a local DynamoDB API that injects the errors AWS answers with,
for cdcd's retry tests:

    dynamodb_faults.py PORT UPSTREAM [--split]

GetRecords calls 2 and 3 are answered 400 LimitExceededException and
ProvisionedThroughputExceededException, call 5 ExpiredIteratorException, call 7 a 503; every
other request is forwarded to UPSTREAM unchanged. Counts are printed to stdout, one line per
injected fault.

--split (no faults): the stream looks like after a shard split, which moto cannot produce: a
closed parent shard `shardId-parent` (three INSERTs of pk p1..p3, served here) whose child is
moto's real shard; DescribeStream answers in two pages (parent, then child).
"""
import json
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
        if SPLIT:
            return self.split(target, body)
        if target.endswith(".GetRecords"):
            with lock:
                calls["GetRecords"] += 1
                fault = FAULTS.get(calls["GetRecords"])
            if fault:
                status, kind, message = fault
                print(f"fault {kind}", flush=True)
                answer = ('{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"%s"}' % (kind, message)).encode()
                return self.answer(status, answer)
        return self.answer(*self.forward(body))

    def forward(self, body):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(UPSTREAM, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def split(self, target, body):
        request = json.loads(body or b"{}")
        if target.endswith(".DescribeStream"):
            first_page = "ExclusiveStartShardId" not in request
            request.pop("ExclusiveStartShardId", None)
            status, answer = self.forward(json.dumps(request).encode())
            if status != 200:
                return self.answer(status, answer)
            description = json.loads(answer)["StreamDescription"]
            if first_page:
                print("page 1", flush=True)
                description["Shards"] = [{"ShardId": PARENT, "SequenceNumberRange": {
                    "StartingSequenceNumber": "1", "EndingSequenceNumber": "3"}}]
                description["LastEvaluatedShardId"] = PARENT
            else:
                print("page 2", flush=True)
                for shard in description["Shards"]:
                    shard["ParentShardId"] = PARENT
            return self.answer(200, json.dumps({"StreamDescription": description}).encode())
        if target.endswith(".GetShardIterator") and request.get("ShardId") == PARENT:
            start = int(request.get("SequenceNumber", "0")) if request["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER" else 0
            return self.answer(200, json.dumps({"ShardIterator": f"parent-{start}"}).encode())
        if target.endswith(".GetRecords") and request.get("ShardIterator", "").startswith("parent-"):
            start = int(request["ShardIterator"].split("-")[1])
            print(f"parent read from {start}", flush=True)
            records = [parent_record(n) for n in range(start + 1, 4)]
            answer = {"Records": records}
            if records:  # closed: once read to its end, no NextShardIterator
                answer["NextShardIterator"] = "parent-3"
            return self.answer(200, json.dumps(answer).encode())
        if target.endswith(".GetRecords"):
            print("child read", flush=True)
        return self.answer(*self.forward(body))

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


PARENT = "shardId-parent"


def parent_record(n):
    image = {"pk": {"S": f"p{n}"}, "sk": {"N": str(n)}}
    return {"eventID": f"parent-{n}", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": {"ApproximateCreationDateTime": 1795870000 + n, "Keys": image,
                                                   "NewImage": image, "SequenceNumber": str(n), "SizeBytes": 10,
                                                   "StreamViewType": "NEW_AND_OLD_IMAGES"}}


if __name__ == "__main__":
    port, UPSTREAM = int(sys.argv[1]), sys.argv[2]
    SPLIT = "--split" in sys.argv[3:]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.request_queue_size = 128
    print("listening", flush=True)
    server.serve_forever()
