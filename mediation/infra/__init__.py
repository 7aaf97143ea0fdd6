"""Plumbing: the database unit of work, the task-queue seam and the names of the jobs, Celery, logging."""
