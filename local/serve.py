"""`make serve`: the local stack, kept running for curl and a desktop prototype. Ctrl-C stops it."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from local.api import make_dev_token
from local.stack import INSTANCE_ID, LocalStack, StackOptions

DEFAULT_API_PORT = 3000


def main() -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal signature
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    port = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_API_PORT
    with LocalStack(StackOptions(api_port=port)) as stack:
        task = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
        email = stack.add_contact("EMAIL", queue_id="queue-tier1")
        alice = make_dev_token("agent-alice", ["agents"], "alice")
        supervisor = make_dev_token("agent-carol", ["supervisors"], "carol")
        print(
            f"""
The escalation service is running locally (LOCAL-ONLY dev tokens; nothing here talks to AWS).

  API          {stack.api.url}/escalations   (OpenAPI: {stack.api.url}/openapi.json)
  Event bus    {stack.bus.endpoint_url}      (EventBridge PutEvents and Lambda Invoke)
  Connect      {stack.connect.endpoint_url}  (emulator; admin API under /_emulator/)
  Instance     {INSTANCE_ID}; a task of agent-alice: {task}; an email: {email}

Escalate alice's task as alice:
  curl -s -X POST {stack.api.url}/escalations \\
    -H 'Authorization: Bearer {alice}' \\
    -H 'Content-Type: application/json' -d '{{"contactId": "{task}", "reason": "CUSTOMER_UNHAPPY"}}'

Any contact, as a supervisor:
  export TOKEN='{supervisor}'

Read the escalation ledger (the escalationId is in the POST's answer):
  curl -s {stack.api.url}/contacts/{task}/escalations -H "Authorization: Bearer $TOKEN"
  curl -s {stack.api.url}/escalations/<escalationId> -H "Authorization: Bearer $TOKEN"

Send an SLA breach for the email (any EventBridge client works; this is the AWS CLI form):
  AWS_ENDPOINT_URL_EVENTBRIDGE={stack.bus.endpoint_url} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \\
  aws events put-events --region us-east-1 --entries \\
    '[{{"Source":"{SLA_BREACH_SOURCE}","DetailType":"{SLA_BREACH_DETAIL_TYPE}","Detail":"{{\\"contactId\\":\\"{email}\\"}}"}}]'

Handler logs: .local-run/handler.log. Ctrl-C stops everything.""",
            flush=True,
        )
        stop.wait()
        print("\nStopping...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
