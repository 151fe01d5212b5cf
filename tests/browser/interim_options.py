"""INTERIM, deleted once GET /escalation-options is on this branch: answers that route inside the browser
tests only (Playwright routing), from the emulator's contact; everything else is the real local stack."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import BrowserContext, Route

from local.connect_emulator import ContactRef
from local.dev_tokens import parse_dev_token
from local.stack import INSTANCE_ID, LocalStack

NAMES = {"queue-tier1": "Tier 1", "queue-tier2": "Tier 2", "queue-supervisors": "Supervisors"}


def route_options(context: BrowserContext, stack: LocalStack, origin: str) -> None:
    def answer(route: Route) -> None:
        cors = {"Access-Control-Allow-Origin": origin, "Content-Type": "application/json"}
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers={**cors, "Access-Control-Allow-Headers": "Authorization"})
            return
        contact_id = parse_qs(urlsplit(route.request.url).query)["contactId"][0]
        contact = stack.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))
        claims = parse_dev_token(route.request.headers.get("authorization")) or {}
        if claims.get("custom:connect_user_id") != contact["agent_id"]:
            body = {"error": "FORBIDDEN", "message": "not yours"}
            route.fulfill(status=403, headers=cors, body=json.dumps(body))
            return
        ended = contact.get("disconnect_timestamp") is not None
        tier2 = {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"}
        body_ok = {
            "contactId": contact_id,
            "channel": contact["channel"],
            "queue": {"id": contact["queue_id"], "name": NAMES.get(contact["queue_id"] or "", "?")},
            "level": 1,
            "canEscalate": not ended,
            "blockedBy": {"error": "CONTACT_ENDED", "message": "ended"} if ended else None,
            "reasons": [
                {"code": "CUSTOMER_UNHAPPY", "label": "Customer is unhappy", "destination": tier2},
                {"code": "BILLING_DISPUTE", "label": "Billing dispute", "destination": tier2},
            ],
            "targets": [tier2, {"type": "AGENT", "id": "agent-bob", "name": "bob"}],
        }
        route.fulfill(status=200, headers=cors, body=json.dumps(body_ok))

    context.route("**/escalation-options?*", answer)
