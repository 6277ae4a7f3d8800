"""An AWS Lambda handler for DynamoDB Streams events, run unchanged by cdcd (lambda-function.yaml).

It logs each paid order and reports the records it could not handle, so cdcd retries from the
first of them (ReportBatchItemFailures) and dead-letters what keeps failing.
"""
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            image = record["dynamodb"].get("NewImage") or {}
            status = image.get("status", {}).get("S")
            if record["eventName"] in ("INSERT", "MODIFY") and status == "paid":
                order_id = image["id"]["N"]
                print(json.dumps({"paid_order": order_id, "function": context.function_name}))
        except Exception as error:  # one bad record does not fail the others
            print(f"cannot handle {record['dynamodb']['SequenceNumber']}: {error}")
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
