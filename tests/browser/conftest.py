"""The Escalate app in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright.

The app is built with the pinned esbuild and served by `local.desktop` from its own origin, as CloudFront
serves it; it signs in through the LOCAL-ONLY managed-login stand-in and calls the suites' local stack
(tests/conftest.py: the production handler, the Connect emulator, moto) across origins, as in AWS.
Each test's screenshots land in test-results/browser/<test>/ (gitignored), one per state it checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from escalation.contract import EnvVar
from local.desktop import DesktopOptions, DesktopServer, build_desktop
from local.stack import LocalStack, StackOptions
from tests.integration.support import suite_stack_options

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the sessions run as root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
RESULTS = REPO_ROOT / "test-results" / "browser"
MAX_ATTEMPTS = 2  # botocore attempts per Connect call: a throttle script of this length reaches the API
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Path:
    # Never skipped: `make test` installs Chromium first (tools/ensure_chromium.sh).
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    return CHROMIUM


@pytest.fixture(scope="session")
def desktop() -> Iterator[DesktopServer]:
    build_desktop(REPO_ROOT)
    server = DesktopServer(DesktopOptions(port=0)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack_options(desktop: DesktopServer) -> StackOptions:
    return suite_stack_options(
        extra_env={EnvVar.DESKTOP_ORIGIN: desktop.url, "CONNECT_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
    )


@pytest.fixture
def app(desktop: DesktopServer, stack: LocalStack) -> DesktopServer:
    """The app's server, its config.json pointing at this module's stack."""
    desktop.api_url = stack.api.url
    return desktop


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Shots:
    """Saves each state's screenshot under test-results/browser/<test>/, numbered in order."""

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, state: str) -> Path:
        path = self.directory / f"{len(self.taken) + 1:02d}-{state}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    directory = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.png"):
        old.unlink()
    return Shots(directory)


@dataclass
class BrowserPage:
    page: Page
    errors: list[str]


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[BrowserPage]:
    """A fresh browser context (no cookies, no storage) and page; page errors are collected."""
    context = browser.new_context(viewport={"width": 900, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            errors.append(message.text)

    page.on("console", on_console)
    try:
        yield BrowserPage(page, errors)
    finally:
        context.close()


def transfers_of(stack: LocalStack, contact_id: str) -> list[Any]:
    """The emulator's TransferContact ledger entries for one contact."""
    return [entry for entry in stack.transfers() if entry["contact_id"] == contact_id]
