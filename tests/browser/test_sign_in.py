"""The app's session: the ID token is refreshed before it expires, and sign-out drops it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Request, expect

from local.desktop import DesktopServer
from local.stack import LocalStack
from tests.browser.conftest import BrowserPage, Shots, transfers_of
from tests.browser.steps import alice_task, form_ready, sign_in

SHORT_TOKEN_SECONDS = 65  # the app refreshes a minute before expiry: 5 s after sign-in


@pytest.fixture
def short_tokens(app: DesktopServer) -> Iterator[None]:
    before = app.login.token_seconds
    app.login.token_seconds = SHORT_TOKEN_SECONDS
    try:
        yield
    finally:
        app.login.token_seconds = before


def _token_grant(request: Request) -> str | None:
    if request.method != "POST" or not request.url.endswith("/oauth2/token"):
        return None
    return dict(pair.split("=", 1) for pair in (request.post_data or "").split("&")).get("grant_type")


def test_the_id_token_is_refreshed_before_it_expires(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, short_tokens: None
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    sign_in(page, app, "alice", contact_id)
    form_ready(page)
    with page.expect_request(lambda r: _token_grant(r) == "refresh_token", timeout=20_000):
        pass
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Transferred to Tier 2 (level 1)")
    assert len(transfers_of(stack, contact_id)) == 1


def test_sign_out_drops_the_session(
    app: DesktopServer, stack: LocalStack, browser_page: BrowserPage, shots: Shots
) -> None:
    page, contact_id = browser_page.page, alice_task(stack)
    sign_in(page, app, "alice", contact_id)
    form_ready(page)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Escalate", exact=True)).to_be_hidden()
    shots(page, "signed-out-again")
    assert page.url.startswith(app.app_url)
