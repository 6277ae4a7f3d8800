#!/usr/bin/env bash
# dynamodb-demo.sh — cdcd reading a DynamoDB table's stream from a local DynamoDB API (moto's server
# on loopback), end to end: items written with boto3, records in both formats in JSON Lines files.
#   scripts/dynamodb-demo.sh            (builds cdcd if needed; needs: pip install "moto[server]" boto3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python3 -c 'import moto.server, boto3' 2>/dev/null || { echo "install moto[server] and boto3: python3 -m pip install 'moto[server]' boto3" >&2; exit 1; }
cdcd=${CDCD_BIN:-$root/.build/debug/cdcd}
[ -x "$cdcd" ] || swift build --product cdcd
work=$(mktemp -d /tmp/cdcd-dynamodb-demo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
cleanup() { kill "$moto" 2>/dev/null || true; [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done

helper="python3 $root/Tests/Support/dynamodb_local.py $endpoint"
echo "stream: $($helper create orders NEW_AND_OLD_IMAGES)"
$helper write orders '[{"put":{"pk":"order-1","sk":1,"total":99.90,"status":"new","lines":[{"sku":"A","qty":2}]}},
                       {"update":{"pk":"order-1","sk":1},"set":{"status":"paid"}},
                       {"put":{"pk":"order-2","sk":1,"total":5,"status":"new"}},
                       {"delete":{"pk":"order-2","sk":1}}]'

cat >"$work/cdcd.yaml" <<YAML
state_dir: ./state
source:
  dynamodb:
    table: orders               # or stream_arn: arn:aws:dynamodb:...:table/orders/stream/...
    endpoint: $endpoint         # leave out for AWS (credentials: AWS_* variables or ~/.aws/credentials)
    region: us-east-1
admin: { listen: "127.0.0.1:0" }
pipelines:
  - name: plain                 # format: cdcd — plain JSON, exact numbers
    starting_position: TRIM_HORIZON
    sink: { file: { path: ./orders.jsonl } }
  - name: lambda-shaped         # format: dynamodb — the records exactly as Lambda would get them
    starting_position: TRIM_HORIZON
    format: dynamodb
    sink: { file: { path: ./orders-dynamodb.jsonl } }
YAML
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
"$cdcd" check --config "$work/cdcd.yaml"
"$cdcd" run --config "$work/cdcd.yaml" >"$work/cdcd.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do [ "$(cat "$work/orders.jsonl" 2>/dev/null | wc -l)" -ge 4 ] && break; sleep 0.1; done
kill -TERM "$daemon"; wait "$daemon" || true; daemon=
echo "--- format: cdcd ($work/orders.jsonl)"
cat "$work/orders.jsonl"
echo "--- format: dynamodb ($work/orders-dynamodb.jsonl)"
head -n 2 "$work/orders-dynamodb.jsonl"
