"""CDK app for the escalation service: one construct per concern, wired by stack.py."""
