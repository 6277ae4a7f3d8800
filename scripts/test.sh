#!/usr/bin/env bash
# test.sh — run cdcd's whole test suite against a throwaway PostgreSQL (started and stopped here).
#   scripts/test.sh [swift test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
# The DynamoDB source's tests need moto's server and boto3 (a local DynamoDB Streams API on loopback).
python3 -c 'import moto.server, boto3' 2>/dev/null || {
  echo "installing moto[server] and boto3 for the DynamoDB tests" >&2
  python3 -m pip install -q --break-system-packages "moto[server]" boto3
}
name=cdcd-test-$$
url=$(scripts/pg.sh start "$name")
cleanup() { scripts/pg.sh destroy "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
export CDCD_TEST_PG="$url"
export CDCD_TEST_PG_NAME="$name"
echo "test PostgreSQL: $url"
swift build --build-tests
swift test --skip-build --no-parallel "$@"
