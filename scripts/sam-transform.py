"""Expand template.yaml's AWS SAM transform offline, the way CloudFormation does on deploy.

cfn-lint merges SAM Globals but does not expand AWS::Serverless::* resources, so the Makefile
lints this script's output too: that checks what SAM generates from the functions' Events,
EventInvokeConfig and schedules (rules, permissions, schedules), not only what is written.

usage: python scripts/sam-transform.py template.yaml > target/template.transformed.json
"""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

# Example values for the parameters without a default, as `sam deploy --guided` would ask.
PARAMETERS = {"AllowedEndpoints": "prod-*,staging-ranker", "EndpointName": "prod-ranker"}


class NoManagedPolicies:
    """The template names no AWS managed policy, so none needs looking up (that needs IAM)."""

    def load(self):
        return {}


def main(path):
    # The translator resolves AWS::Region and AWS::Partition from the environment; any region.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template, errors = decode(path)
    if errors:
        sys.exit("\n".join(str(e) for e in errors))
    # decode() returns cfn-lint's own node types; plain JSON types for the translator.
    template = json.loads(json.dumps(template))
    # `sam build` compiles CodeUri and `sam deploy` uploads it, then hands CloudFormation an
    # S3 location; do the same with a placeholder, after checking the folder is a Cargo project.
    here = os.path.dirname(os.path.abspath(path))
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        code = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str):
            if not os.path.isfile(os.path.join(here, code, "Cargo.toml")):
                sys.exit(f"{name}: CodeUri {code!r} has no Cargo.toml")
            props["CodeUri"] = f"s3://sam-artifacts-placeholder/{name}.zip"
    try:
        expanded = transform(template, dict(PARAMETERS), NoManagedPolicies())
    except InvalidDocumentException as err:
        sys.exit("SAM transform failed:\n" + "\n".join(f"  {e.message}" for e in err.causes))
    json.dump(expanded, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
