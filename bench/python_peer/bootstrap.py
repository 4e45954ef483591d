"""A minimal Lambda runtime loop over the Runtime API (what a Python runtime does): import the
handler (the init phase), then GET the next event, call the handler, POST the result."""

import json
import os
import sys
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handler  # noqa: E402  (the init phase: boto3 import and client creation)

API = os.environ["AWS_LAMBDA_RUNTIME_API"].removeprefix("http://")
BASE = f"http://{API}/2018-06-01/runtime/invocation"


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request).read()


while True:
    with urllib.request.urlopen(f"{BASE}/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    try:
        result = handler.handler(event, None)
    except Exception as err:  # the runtime reports any handler error to Lambda
        post(
            f"{BASE}/{request_id}/error",
            {
                "errorType": type(err).__name__,
                "errorMessage": str(err),
                "stackTrace": traceback.format_exc().splitlines(),
            },
        )
        continue
    post(f"{BASE}/{request_id}/response", result)
