"""The HTTP server's refusals against a real gunicorn started as `make run` starts it: the request
limits (mediation/infra/http_server.py) and the API's error shape for what gunicorn refuses."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediation.infra import http_server

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "CELERY_BROKER_URL": redis_url,
           "SECRET_KEY": "test"}
    argv = [str(Path(sys.executable).parent / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--threads", "2", "--worker-class", http_server.WORKER_CLASS,
            "--access-logformat", http_server.ACCESS_LOG_FORMAT, "--access-logfile", str(tmp / "access.log"),
            *http_server.gunicorn_args()]
    process = subprocess.Popen(argv, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield port, tmp / "access.log"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def _get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")


def _error(headers: dict[str, str], body: bytes) -> dict:
    assert headers["content-type"].startswith("application/json"), (headers, body[:200])
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.slow
def test_a_query_string_within_the_limit_reaches_the_app(gunicorn):
    port, _ = gunicorn
    status, headers, body = _raw(port, _get("/api/v1/disputes?q=" + "x" * 7000))
    assert status == 401  # the app's answer: no token
    assert _error(headers, body)["code"] == "unauthorized"
    assert headers["x-request-id"]


@pytest.mark.slow
def test_an_oversized_request_line_is_refused_in_the_error_shape(gunicorn):
    port, _ = gunicorn
    status, headers, body = _raw(port, _get("/api/v1/disputes?q=" + "x" * 9000))
    assert status == 400
    error = _error(headers, body)
    assert error["code"] == "bad_request" and error["details"] == {"refused_by": "server", "reason": "LimitRequestLine"}


@pytest.mark.slow
def test_an_oversized_header_and_too_many_headers_are_refused_in_the_error_shape(gunicorn):
    port, _ = gunicorn
    status, headers, body = _raw(port, _get("/api/v1/disputes", "X-Big: " + "y" * 9000 + "\r\n"))
    assert status == 431 and _error(headers, body)["code"] == "request_header_fields_too_large"
    many = "".join(f"X-H{i}: v\r\n" for i in range(101))
    status, headers, body = _raw(port, _get("/api/v1/disputes", many))
    assert status == 431 and _error(headers, body)["details"]["reason"] == "LimitRequestHeaders"


@pytest.mark.slow
def test_malformed_http_is_refused_in_the_error_shape(gunicorn):
    port, _ = gunicorn
    status, headers, body = _raw(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400 and _error(headers, body)["code"] == "bad_request"


@pytest.mark.slow
def test_the_access_log_names_the_request_id(gunicorn):
    port, log = gunicorn
    _raw(port, _get("/api/v1/disputes", "X-Request-ID: support-case-4711\r\n"))
    deadline = time.monotonic() + 5
    while "rid=support-case-4711" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "rid=support-case-4711" in log.read_text()
