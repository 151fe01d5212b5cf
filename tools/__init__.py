"""Operator tools for the escalation service (run as python -m tools.<name>)."""
