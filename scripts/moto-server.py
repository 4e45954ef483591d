"""moto's server, applying one request at a time, as AWS applies each request atomically.

moto's threaded server runs requests side by side with no lock around its backends, so two
conditional DynamoDB UpdateItems can both pass their condition, and two tag writes can lose one
another. AWS does neither, and the variant lease (ARCHITECTURE.md) relies on it. Connections are
still accepted concurrently; only the work on the backends is serialised.

Usage: the same arguments as moto_server (-H host -p port [-c cert -k key]).
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

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

if __name__ == "__main__":
    server.main()
