"""Escalation service for Amazon Connect: the Lambda code (handler, triggers, domain, adapters)."""
