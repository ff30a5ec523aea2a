"""ddb-architect's Lambda handler.

Deployed by `ddb-architect deploy` as the function DynamoDBBenchmark, and run unchanged as a
local process against the embedded emulator. It uses only the standard library and boto3's
low-level client, which every Python Lambda runtime includes.

Actions (the event's "action"):
  ping   Describe each table named in "tables" and report its status and Region. Deploy runs
         it once to prove that the role, the Region and the tables line up before a benchmark
         spends anything.
"""

import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Retries are left to the caller's measurements: the client retries throttles a few times,
# and every retry is counted by the benchmark rather than hidden.
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"})


def _client():
    # AWS_ENDPOINT_URL_DYNAMODB points a local run at the emulator; on Lambda it is unset.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    return boto3.client("dynamodb", endpoint_url=endpoint, config=_CONFIG)


def _ping(event):
    tables = event.get("tables")
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        return {"ok": False, "error": "event.tables must be a list of table names"}
    client = _client()
    results = []
    for name in tables:
        try:
            desc = client.describe_table(TableName=name)["Table"]
            results.append({"table": name, "status": desc["TableStatus"]})
        except ClientError as e:
            err = e.response.get("Error", {})
            results.append({"table": name, "error": f"{err.get('Code')}: {err.get('Message')}"})
        except BotoCoreError as e:
            results.append({"table": name, "error": str(e)})
    ok = all(r.get("status") == "ACTIVE" for r in results)
    return {"ok": ok, "region": client.meta.region_name, "tables": results}


ACTIONS = {"ping": _ping}


def lambda_handler(event, context):
    if not isinstance(event, dict):
        return {"ok": False, "error": "the event must be a JSON object"}
    action = event.get("action")
    handler = ACTIONS.get(action)
    if handler is None:
        return {"ok": False, "error": f"unknown action {action!r}; known: {sorted(ACTIONS)}"}
    return handler(event)


def main():
    """Run as a process: the event is read from standard input, the result written to
    standard output as one JSON document."""
    try:
        event = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        print(json.dumps({"ok": False, "error": f"the event is not JSON: {e}"}))
        return 2
    result = lambda_handler(event, None)
    print(json.dumps(result))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
