"""moto's server, closer to AWS where the tests depend on it.

- One request at a time, as AWS applies each request atomically: moto's threaded server runs
  requests side by side with no lock around its backends, so two conditional DynamoDB
  UpdateItems can both pass their condition, and two tag writes can lose one another. AWS does
  neither, and the variant lease (ARCHITECTURE.md) relies on it. Connections are still accepted
  concurrently; only the work on the backends is serialised.
- SageMaker AddTags as SageMaker applies it: a key that exists gets the new value (moto appends a
  second tag with the same key), and a resource carries at most 50 user tags (keys starting
  with `aws:` do not count); AddTags past that is a ValidationException and changes nothing.

Usage: the same arguments as moto_server (-H host -p port [-c cert -k key]).
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend

MAX_USER_TAGS = 50

_LOCK = threading.Lock()
_CALL = DomainDispatcherApplication.__call__


def _one_at_a_time(self, environ, start_response):
    with _LOCK:
        response = _CALL(self, environ, start_response)
        try:
            return list(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()


DomainDispatcherApplication.__call__ = _one_at_a_time


def _add_tags(self, arn, tags):
    resource = self._get_resource_from_arn(arn)
    merged = {t["Key"]: t["Value"] for t in resource.tags}
    merged.update({t["Key"]: t["Value"] for t in tags})
    user = [k for k in merged if not k.startswith("aws:")]
    if len(user) > MAX_USER_TAGS:
        raise ValidationError(
            f"Tags would exceed the maximum of {MAX_USER_TAGS} tags for resource {arn} "
            f"({len(user)})"
        )
    resource.tags = [{"Key": k, "Value": v} for k, v in merged.items()]
    return resource.tags


SageMakerModelBackend.add_tags = _add_tags

if __name__ == "__main__":
    server.main()
