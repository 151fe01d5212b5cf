"""The two ways an escalation comes in: the agent-desktop API and the SLA-breach event."""
