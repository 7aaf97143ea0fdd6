"""Notifications: creating them, the reminder scan, the inbox, e-mail delivery."""
