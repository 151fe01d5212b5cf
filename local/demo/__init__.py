"""`make demo` (`python -m local.demo`): the harness, the main scenario's steps and the SLA timers' steps."""
