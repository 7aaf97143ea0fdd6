"""Celery entry point, as Flask documents it (`make_celery.py`): the app's Celery, every task inside
the app context.

    celery -A worker worker -Q reminders --pool solo -n reminders@%h
    celery -A worker worker -Q email --pool threads -c 4 -n email@%h
    celery -A worker worker -Q reports --pool solo -n reports@%h
    celery -A worker beat

(`make run` starts exactly these; the queues and their pools are named in mediation/infra/jobs.py.)
"""
import warnings

from celery.exceptions import CPendingDeprecationWarning

from mediation import create_app

# Celery warns at each lost connection that cancelling running tasks will become its default (6.0);
# it is off on purpose here (infra/celery_app.py), and the warning would only hide the real log lines.
warnings.filterwarnings("ignore", category=CPendingDeprecationWarning, module=r"celery\.worker\.consumer")

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app
