"""Local stand-ins for the AWS services the escalation service talks to."""
