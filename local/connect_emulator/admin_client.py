"""A client for a running emulator's HTTP admin interface (`POST /_emulator/<method>`).

Methods mirror `ConnectEmulator`'s admin methods, so a benchmark in another process seeds and
inspects the emulator exactly as an in-process test would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any, cast

from .faults import DEFAULT_FAULT_OPERATION, FaultPlanSnapshot
from .quota import DEFAULT_BURST, DEFAULT_RATE, QuotaSnapshot
from .server import ADMIN_PREFIX, Stats
from .state import ContactRecord, LedgerEntry


class EmulatorAdminError(RuntimeError):
    """The admin interface refused a call (bad arguments, unknown ids or method)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class EmulatorAdminClient:
    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, **kwargs: Any) -> Any:
        # The URL is the emulator's own http:// endpoint, never user input.
        request = urllib.request.Request(  # noqa: S310
            f"{self.endpoint_url}{ADMIN_PREFIX}{method}",
            data=json.dumps(kwargs).encode(),
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

    def health(self) -> dict[str, bool]:
        return cast(dict[str, bool], self._call("health"))

    def reset(self) -> None:
        self._call("reset")

    def add_instance(self, instance_id: str | None = None) -> str:
        return cast(str, self._call("add_instance", instance_id=instance_id))

    def add_queue(
        self,
        instance_id: str,
        queue_id: str | None = None,
        name: str | None = None,
        status: str = "ENABLED",
    ) -> str:
        return cast(
            str,
            self._call("add_queue", instance_id=instance_id, queue_id=queue_id, name=name, status=status),
        )

    def add_flow(
        self,
        instance_id: str,
        flow_id: str | None = None,
        flow_type: str = "QUEUE_TRANSFER",
        queue_id: str | None = None,
        name: str | None = None,
    ) -> str:
        return cast(
            str,
            self._call(
                "add_flow",
                instance_id=instance_id,
                flow_id=flow_id,
                flow_type=flow_type,
                queue_id=queue_id,
                name=name,
            ),
        )

    def add_agent(
        self,
        instance_id: str,
        agent_id: str | None = None,
        status: str = "Available",
        slots: Mapping[str, int] | None = None,
        active_slots: Mapping[str, int] | None = None,
    ) -> str:
        return cast(
            str,
            self._call(
                "add_agent",
                instance_id=instance_id,
                agent_id=agent_id,
                status=status,
                slots=None if slots is None else dict(slots),
                active_slots=None if active_slots is None else dict(active_slots),
            ),
        )

    def set_agent_status(self, instance_id: str, agent_id: str, status: str) -> None:
        self._call("set_agent_status", instance_id=instance_id, agent_id=agent_id, status=status)

    def add_contact(
        self,
        instance_id: str,
        channel: str = "TASK",
        *,
        queue_id: str | None = None,
        agent_id: str | None = None,
        attributes: Mapping[str, str] | None = None,
        transfer_count: int = 0,
        ended: bool = False,
        contact_id: str | None = None,
        initiation_method: str = "API",
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        return cast(
            str,
            self._call(
                "add_contact",
                instance_id=instance_id,
                channel=channel,
                queue_id=queue_id,
                agent_id=agent_id,
                attributes=None if attributes is None else dict(attributes),
                transfer_count=transfer_count,
                ended=ended,
                contact_id=contact_id,
                initiation_method=initiation_method,
                name=name,
                tags=None if tags is None else dict(tags),
            ),
        )

    def get_contact(self, instance_id: str, contact_id: str) -> ContactRecord:
        return cast(ContactRecord, self._call("get_contact", instance_id=instance_id, contact_id=contact_id))

    def contact_arn(self, instance_id: str, contact_id: str) -> str:
        return cast(str, self._call("contact_arn", instance_id=instance_id, contact_id=contact_id))

    def ledger(self) -> list[LedgerEntry]:
        return cast(list[LedgerEntry], self._call("ledger"))

    def set_quota(
        self,
        rate: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        operation: str | None = None,
    ) -> None:
        self._call("set_quota", rate=rate, burst=burst, operation=operation)

    def set_quota_scale(self, scale: float) -> None:
        self._call("set_quota_scale", scale=scale)

    def get_quota(self) -> QuotaSnapshot:
        return cast(QuotaSnapshot, self._call("get_quota"))

    def set_faults(
        self,
        operation: str = DEFAULT_FAULT_OPERATION,
        *,
        probabilities: Mapping[str, float] | None = None,
        script: Sequence[str] | None = None,
        slow_seconds: float | None = None,
        timeout_seconds: float | None = None,
        seed: int | None = None,
    ) -> None:
        self._call(
            "set_faults",
            operation=operation,
            probabilities=None if probabilities is None else dict(probabilities),
            script=None if script is None else list(script),
            slow_seconds=slow_seconds,
            timeout_seconds=timeout_seconds,
            seed=seed,
        )

    def clear_faults(self, operation: str | None = None) -> None:
        self._call("clear_faults", operation=operation)

    def get_faults(self) -> dict[str, FaultPlanSnapshot]:
        return cast(dict[str, FaultPlanSnapshot], self._call("get_faults"))

    def deny(self, operation: str, target_id: str | None = None) -> None:
        self._call("deny", operation=operation, target_id=target_id)

    def allow(self, operation: str, target_id: str | None = None) -> None:
        self._call("allow", operation=operation, target_id=target_id)

    def stats(self) -> Stats:
        return cast(Stats, self._call("stats"))
