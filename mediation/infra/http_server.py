"""The HTTP server's own refusals in the API's error shape, and the limits set on purpose.

gunicorn refuses some requests before the app sees them (a request line or a header longer than
its limits, too many headers, malformed HTTP) and answers them with its own small HTML page.
`JsonErrorWorker` (gunicorn's gthread worker) answers them instead with the API's shape,
`{"error": {"code", "message", "details"}}`, as `application/json`, whatever the path: the
request could not be read, so neither could its path.

`LIMITS` are the request limits `make run` and the production command (README) pass to gunicorn;
docs/api-notes.md explains them. Werkzeug's limits inside the app are MAX_CONTENT_LENGTH (the
body, 413) and the form limits (config.py).
"""
from __future__ import annotations

import json
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# gunicorn's command-line options: 8190 is the largest request line gunicorn accepts (a query
# string of ~8 KB is read by the app and answered in JSON); 100 headers of at most 8190 bytes each.
LIMITS = {"--limit-request-line": "8190", "--limit-request-fields": "100", "--limit-request-field_size": "8190"}
WORKER_CLASS = "mediation.infra.http_server.JsonErrorWorker"
# gunicorn's access line with the request's id (the X-Request-ID the app echoed)
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
CODES = {400: "bad_request", 413: "payload_too_large", 431: "request_header_fields_too_large",
         500: "internal_error"}


def gunicorn_args() -> list[str]:
    """The limit options as a flat argument list."""
    return [item for pair in LIMITS.items() for item in pair]


class _Captured:
    """Stands in for the client socket while gunicorn writes its own error page (everything
    else, such as the socket's names for the access log, is the real socket's)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.data = b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def sendall(self, data: bytes) -> None:
        self.data += data


def error_bytes(status: int, reason: str, message: str, kind: str) -> bytes:
    """A whole HTTP/1.1 response in the API's error shape; the connection is closed after it."""
    code = CODES.get(status, "bad_request" if 400 <= status < 500 else "internal_error")
    body = json.dumps({"error": {"code": code, "message": message, "details": {"refused_by": "server",
                                                                                 "reason": kind}}},
                      ensure_ascii=False).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    return head + body


class JsonErrorWorker(ThreadWorker):
    """gunicorn's gthread worker whose refusals read like the API's."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured(client)
        super().handle_error(req, captured, addr, exc)  # logs and chooses the status as gunicorn does
        if not captured.data:
            return
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        try:
            status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "Error")
        except (IndexError, ValueError):
            status, reason = 400, "Bad Request"
        message = str(exc) if status < 500 else "internal error"
        try:
            client.sendall(error_bytes(status, reason, message or reason, type(exc).__name__))
        except Exception:  # the client went away: nothing to tell
            self.log.debug("failed to send the error answer")
