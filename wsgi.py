"""WSGI entry point: `gunicorn wsgi:app`; also `flask --app wsgi …` for the command line."""
from mediation import create_app

app = create_app()
