"""Celery entry point: `celery -A worker worker --beat` (or separate `worker` and `beat`)."""
from mediation import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app
