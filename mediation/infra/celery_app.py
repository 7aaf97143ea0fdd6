"""Celery bound to Flask as Flask documents it: every task runs inside the app context.

Queues, task names and routes are named in infra/jobs.py; `make run` starts one worker per queue.
Beat runs the reminder scan every REMINDER_SCAN_MINUTES and the weekly reports at
WEEKLY_REPORT_CRON (minute hour day-of-month month day-of-week, in Asia/Shanghai).
"""
from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask
from kombu import Queue

from mediation.infra import jobs


def _cron(spec: str) -> crontab:
    minute, hour, day_of_month, month, day_of_week = spec.split()
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month,
                   day_of_week=day_of_week)


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    scan_every = 60.0 * float(app.config.get("REMINDER_SCAN_MINUTES", 5))
    celery.config_from_object({
        "broker_url": app.config["CELERY_BROKER_URL"],
        "task_ignore_result": True,
        "timezone": app.config.get("TIMEZONE", "Asia/Shanghai"),
        "enable_utc": True,
        "task_default_queue": jobs.REMINDERS_QUEUE,
        "task_queues": [Queue(name) for name in jobs.QUEUES],
        "task_routes": {task: {"queue": queue} for task, queue in jobs.ROUTES.items()},
        "task_acks_late": True,  # tasks are idempotent: a worker lost mid-task means the task runs again
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # A lost broker connection must not touch the tasks running: they need the database and the
        # SMTP server, not Redis. Cancelling them would ask the pool to kill them (kill_job), which the
        # solo and threads pools cannot do (the worker died of it), and a prefork child killed after
        # the SMTP server accepted a message would send it twice. So they finish, mark their rows
        # sent, and a redelivered copy of their message finds nothing left to send.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "broker_connection_retry": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,  # a worker waits for Redis to come back, however long
        "broker_connection_timeout": 3,
        "task_publish_retry": False,
        "broker_transport_options": {"socket_connect_timeout": 2, "socket_timeout": 5},
        "redis_socket_connect_timeout": 2,
        "beat_schedule": {
            # a scan that waited longer than one interval is dropped: the next one does the same work
            "scan-reminders": {"task": jobs.SCAN_REMINDERS, "schedule": scan_every,
                               "options": {"expires": scan_every}},
            "weekly-reports": {"task": jobs.SEND_WEEKLY_REPORTS,
                               "schedule": _cron(app.config.get("WEEKLY_REPORT_CRON", "0 8 * * mon"))},
        },
        **app.config.get("CELERY", {}),
    })
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
