"""The use cases, one module each, pure Python over ports: escalate a contact, arm and judge SLA timers,
read the ledger. Triggers call them; the composition root builds them with the real adapters."""
