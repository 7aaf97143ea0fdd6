"""Celery tasks: thin wrappers that call one service each. Arguments are ids, never objects."""
from __future__ import annotations

from celery import shared_task
