"""Fengqiao statistics, weekly snapshots and subscriptions, the weekly e-mail, charts."""
