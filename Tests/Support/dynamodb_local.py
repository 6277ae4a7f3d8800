#!/usr/bin/env python3
"""Drives a local DynamoDB API (a moto server on loopback) for cdcd's tests, through boto3.

    dynamodb_local.py ENDPOINT create TABLE VIEW_TYPE [KEY_TYPE]   -> prints the stream ARN
    dynamodb_local.py ENDPOINT write TABLE OPS_JSON
        OPS_JSON: a list of {"put": ITEM} | {"update": KEY, "set": {ATTR: VALUE}} | {"delete": KEY}
        with items and values as plain JSON (numbers become exact Decimals).
    dynamodb_local.py ENDPOINT disable-stream TABLE

KEY_TYPE: S (default) or N for the hash key `pk`; every table also has the range key `sk` (N).
"""
import json
import sys
from decimal import Decimal

import boto3

KW = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def main() -> None:
    endpoint, command, table = sys.argv[1], sys.argv[2], sys.argv[3]
    kw = dict(KW, endpoint_url=endpoint)
    client = boto3.client("dynamodb", **kw)
    if command == "create":
        view, key_type = sys.argv[4], (sys.argv[5] if len(sys.argv) > 5 else "S")
        answer = client.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": key_type},
                                  {"AttributeName": "sk", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
        print(answer["TableDescription"]["LatestStreamArn"])
    elif command == "write":
        ops = json.loads(sys.argv[4], parse_float=Decimal, parse_int=Decimal)
        resource = boto3.resource("dynamodb", **kw).Table(table)
        for op in ops:
            if "put" in op:
                resource.put_item(Item=op["put"])
            elif "update" in op:
                names = {f"#a{i}": name for i, name in enumerate(op["set"])}
                values = {f":v{i}": value for i, value in enumerate(op["set"].values())}
                expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names)))
                resource.update_item(Key=op["update"], UpdateExpression=expression,
                                     ExpressionAttributeNames=names, ExpressionAttributeValues=values)
            elif "delete" in op:
                resource.delete_item(Key=op["delete"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
