"""What an agent does in the Escalate app, as steps the browser tests share (role and label locators:
what an assistive technology sees, and what a person clicks)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Frame, Page, Request, expect

from local.desktop import DesktopServer
from local.stack import LocalStack

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def alice_task(stack: LocalStack) -> str:
    """A fresh TASK in Tier 1, with alice: she may escalate it herself."""
    return stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")


def sign_in(page: Page, app: DesktopServer, username: str, contact_id: str | None = None) -> None:
    """Opens the app (for `contact_id`), signs in through managed login (the local stand-in) as `username`."""
    page.goto(app.app_url + (f"?contactId={contact_id}" if contact_id else ""))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=username).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def escalation_keys(page: Page) -> list[str]:
    """The Idempotency-Key of every POST /escalations the page sends from now on, in order."""
    keys: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/escalations"):
            keys.append(request.headers.get("idempotency-key", ""))

    page.on("request", record)
    return keys


def form_ready(page: Page | Frame) -> None:
    expect(page.get_by_role("button", name="Escalate", exact=True)).to_be_enabled()


def result(page: Page | Frame) -> str:
    return page.get_by_role("status").first.inner_text()


def axe_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page as it is now (axe from node_modules)."""
    # Evaluated through the DevTools protocol, which the app's Content-Security-Policy does not govern
    # (a <script> tag would be refused by it, rightly).
    page.evaluate(AXE_SCRIPT.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target)}))"
    )
    assert isinstance(found, list)
    return found
