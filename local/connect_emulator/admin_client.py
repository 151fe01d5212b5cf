"""A client for a running emulator's HTTP admin interface (`POST /_emulator/<call>`).

It offers every `EmulatorAdmin` call, read off `ADMIN_CALLS`, so a benchmark in another process
seeds and inspects the emulator exactly as an in-process test would:

    admin: EmulatorAdmin = EmulatorAdminClient(url)
    admin.add_contact(ContactSeed("instance-1", "TASK"))
"""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .admin import ADMIN_CALLS, ADMIN_PREFIX, AdminCall


class EmulatorAdminError(RuntimeError):
    """The admin interface refused a call (bad arguments, unknown ids or method)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class EmulatorAdminClient:
    """Structurally an `EmulatorAdmin`: each of its calls is looked up in `ADMIN_CALLS`."""

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def __getattr__(self, name: str) -> Callable[..., Any]:
        call = ADMIN_CALLS.get(name)
        if call is None:
            raise AttributeError(f"{type(self).__name__} has no admin call {name!r}")
        return functools.partial(self.call, name)

    def call(self, name: str, argument: object | None = None) -> Any:
        """Make the admin call `name` (its result, decoded from JSON); EmulatorAdminError if refused."""
        call = ADMIN_CALLS.get(name) or AdminCall(name, None)  # an unknown name: the server says 404
        # The URL is the emulator's own http:// endpoint, never user input.
        request = urllib.request.Request(  # noqa: S310
            f"{self.endpoint_url}{ADMIN_PREFIX}{name}",
            data=call.encode(argument),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())["result"]
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("error", error.reason)
            except ValueError:
                message = str(error.reason)
            raise EmulatorAdminError(error.code, str(message)) from None
