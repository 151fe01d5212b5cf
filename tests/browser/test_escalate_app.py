"""An agent escalates from the Escalate app, in headless Chromium, against the local stack."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from local.connect_emulator import ContactRef, FaultPlan
from local.desktop import DesktopServer
from local.stack import INSTANCE_ID, LocalStack
from tests.browser.conftest import MAX_ATTEMPTS, BrowserPage, Shots, transfers_of
from tests.browser.steps import alice_task, axe_violations, escalation_keys, form_ready, sign_in

TRANSFERRED = "Transferred to Tier 2 (level 1)"
FORBIDDEN_SENTENCE = "You can only escalate contacts you are handling."


def test_alice_escalates_her_task_and_sees_where_it_went(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    page.goto(app.app_url + f"?contactId={contact_id}")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    shots(page, "signed-out")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots(page, "managed-login")
    page.get_by_role("button", name="alice").click()

    form_ready(page)
    expect(page.get_by_text(contact_id)).to_be_visible()
    page.get_by_label("Reason").select_option(label="Customer is unhappy")
    expect(page.locator("#destination")).to_have_text(re.compile("Tier 2"))
    page.get_by_label("Note for whoever takes it (optional)").fill("Third call about the same order")
    shots(page, "ready")
    page.get_by_role("button", name="Escalate", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(TRANSFERRED)
    rung = page.get_by_role("list").get_by_role("listitem").filter(has_text="Level 1")
    expect(rung).to_contain_text("transferred to Tier 2")
    expect(rung).to_contain_text("by alice")
    expect(rung).to_contain_text("Third call about the same order")
    shots(page, "transferred")
    assert len(transfers_of(stack, contact_id)) == 1
    assert browser_page.errors == []


def test_a_double_click_is_one_escalation(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    sign_in(page, app, "alice", contact_id)
    form_ready(page)
    keys = escalation_keys(page)

    page.get_by_role("button", name="Escalate", exact=True).dblclick()

    expect(page.get_by_role("status")).to_have_text(TRANSFERRED)
    shots(page, "after-double-click")
    assert len(transfers_of(stack, contact_id)) == 1
    assert len(keys) == 1, keys
    assert keys[0], "no Idempotency-Key"


def test_alice_on_a_colleagues_contact_reads_why_she_cannot(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page = browser_page.page
    bobs = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-bob")
    sign_in(page, app, "alice", bobs)

    expect(page.get_by_role("status")).to_contain_text(FORBIDDEN_SENTENCE)
    expect(page.get_by_role("button", name="Escalate", exact=True)).to_be_hidden()
    shots(page, "forbidden")
    assert transfers_of(stack, bobs) == []


def test_a_throttled_escalation_counts_down_then_succeeds_with_the_same_key(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    sign_in(page, app, "alice", contact_id)
    form_ready(page)
    keys = escalation_keys(page)
    # Every attempt of the handler's first try is throttled: the API answers 429 with Retry-After.
    stack.connect.set_faults(FaultPlan("TransferContact", script=["throttle"] * MAX_ATTEMPTS))

    page.get_by_role("button", name="Escalate", exact=True).click()

    expect(page.get_by_text(re.compile(r"Retrying in \d+ s"))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Amazon Connect is busy")
    expect(page.get_by_role("button", name="Escalate", exact=True)).to_be_disabled()
    shots(page, "counting-down")
    expect(page.get_by_role("status")).to_have_text(TRANSFERRED)
    shots(page, "transferred-after-retry")
    assert len(keys) == 2, keys
    assert keys[0] == keys[1], "the retry must reuse the intent's key"
    assert len(transfers_of(stack, contact_id)) == 1


def test_inside_the_workspace_the_contact_comes_from_the_sdk(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    page.goto(app.workspace_url + f"?contactId={contact_id}")
    # The SDK handshake done: the host created and started the app for this contact.
    expect(page.get_by_role("status")).to_have_text(f"The app is running for contact {contact_id}.")
    frame = page.frame_locator("iframe[title='Escalate app']")
    # Inside the iframe managed login opens in a popup, which hands the code back to the app.
    with page.expect_popup() as popup:
        frame.get_by_role("button", name="Sign in").click()
    popup.value.get_by_role("button", name="alice").click()

    expect(frame.get_by_role("button", name="Escalate", exact=True)).to_be_enabled()
    expect(frame.locator("#summary-contact")).to_have_text(contact_id)
    assert "contactId" not in (frame.owner.get_attribute("src") or "")
    shots(page, "in-workspace")
    frame.get_by_role("button", name="Escalate", exact=True).click()
    expect(frame.get_by_role("status")).to_have_text(TRANSFERRED)
    shots(page, "in-workspace-transferred")


def test_the_whole_flow_by_keyboard_alone(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    page.goto(app.app_url)
    keyboard = page.keyboard

    def tab_to(name: str) -> None:
        for _ in range(20):
            keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement; return e ? (e.labels?.[0]?.textContent"
                " || e.getAttribute('aria-label') || e.textContent || '').trim() : '' }"
            )
            if focused.startswith(name):
                return
        raise AssertionError(f"Tab never reached {name!r}")

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    tab_to("Sign in")
    keyboard.press("Enter")
    page.wait_for_url("**/oauth2/authorize?**")
    tab_to("alice")
    keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    tab_to("Contact id")
    keyboard.type(contact_id)
    keyboard.press("Enter")
    form_ready(page)
    expect(page.get_by_label("Reason")).to_be_focused()
    keyboard.type("Customer is")  # a focused list box selects by typing
    expect(page.get_by_label("Reason")).to_have_value("CUSTOMER_UNHAPPY")
    tab_to("Note for whoever")
    keyboard.type("Escalated by keyboard")
    tab_to("Escalate")
    shots(page, "keyboard-ready")
    keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(TRANSFERRED)
    shots(page, "keyboard-transferred")
    assert len(transfers_of(stack, contact_id)) == 1


def test_axe_finds_no_serious_or_critical_violations(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    page.goto(app.app_url + f"?contactId={contact_id}")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="alice").click()
    form_ready(page)
    shots(page, "form")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(TRANSFERRED)
    shots(page, "result")
    assert axe_violations(page) == []


def test_a_supervisor_moves_a_waiting_call_up_and_reads_moved_up_in_queue(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page = browser_page.page
    call = stack.add_contact("VOICE", queue_id="queue-tier1")  # waiting: no agent has it yet
    sign_in(page, app, "carol", call)
    form_ready(page)
    page.get_by_label("Reason").select_option(label="Customer is unhappy")
    expect(page.locator("#destination")).to_contain_text("moved up in queue")
    page.get_by_role("button", name="Escalate", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Moved up in queue (level 1)")
    rung = page.get_by_role("list").get_by_role("listitem").filter(has_text="Level 1")
    expect(rung).to_contain_text("Level 1: moved up in queue (Customer is unhappy)")
    shots(page, "moved-up")
    assert stack.connect.get_contact(ContactRef(INSTANCE_ID, call))["queue_priority"] == 2
    assert transfers_of(stack, call) == []  # escalated where it waits: nothing was transferred
    assert browser_page.errors == []
