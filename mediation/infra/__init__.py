"""Plumbing: the database unit of work, the task-queue seam, Celery, logging, the process runner."""
