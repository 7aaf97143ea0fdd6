"""Disputes: intake, firing a workflow trigger and its effects, deadlines, policy, working days."""
