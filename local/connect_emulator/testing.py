"""Helpers for tests and benchmarks: a boto3 client for the emulator and a ready-made scenario.

`seed_scenario` works with a `ConnectEmulator` in process or an `EmulatorAdminClient` for one in
another process, since both offer the same seeding methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient


class SeedAdmin(Protocol):
    def add_instance(self, instance_id: str | None = None) -> str: ...

    def add_queue(
        self,
        instance_id: str,
        queue_id: str | None = None,
        name: str | None = None,
        status: str = "ENABLED",
    ) -> str: ...

    def add_flow(
        self,
        instance_id: str,
        flow_id: str | None = None,
        flow_type: str = "QUEUE_TRANSFER",
        queue_id: str | None = None,
        name: str | None = None,
    ) -> str: ...

    def add_agent(
        self,
        instance_id: str,
        agent_id: str | None = None,
        status: str = "Available",
        slots: Mapping[str, int] | None = None,
        active_slots: Mapping[str, int] | None = None,
    ) -> str: ...

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
    ) -> str: ...


@dataclass(frozen=True)
class Scenario:
    """One instance with two queues, a flow of each interesting type, an agent and a TASK contact."""

    instance: str
    queue: str
    other_queue: str
    queue_flow: str  # QUEUE_TRANSFER
    agent_flow: str  # AGENT_TRANSFER
    inbound_flow: str  # CONTACT_FLOW that puts contacts in `queue`
    whisper_flow: str  # AGENT_WHISPER: not a type TransferContact accepts
    agent: str  # Available, TASK x2 and EMAIL x1 slots
    contact: str  # an active TASK contact in `queue`, attributes {"customer": "c-1"}


def seed_scenario(admin: SeedAdmin, instance_id: str = "instance-1") -> Scenario:
    instance = admin.add_instance(instance_id)
    queue = admin.add_queue(instance, "queue-tier1", name="Tier 1")
    other_queue = admin.add_queue(instance, "queue-tier2", name="Tier 2")
    return Scenario(
        instance=instance,
        queue=queue,
        other_queue=other_queue,
        queue_flow=admin.add_flow(instance, "flow-queue", "QUEUE_TRANSFER"),
        agent_flow=admin.add_flow(instance, "flow-agent", "AGENT_TRANSFER"),
        inbound_flow=admin.add_flow(instance, "flow-inbound", "CONTACT_FLOW", queue_id=queue),
        whisper_flow=admin.add_flow(instance, "flow-whisper", "AGENT_WHISPER"),
        agent=admin.add_agent(instance, "agent-1", slots={"TASK": 2, "EMAIL": 1}),
        contact=admin.add_contact(
            instance, "TASK", queue_id=queue, attributes={"customer": "c-1"}, name="Refund"
        ),
    )


def connect_client(
    endpoint_url: str,
    *,
    region: str = "us-east-1",
    read_timeout: float = 2.0,
    connect_timeout: float = 1.0,
    total_max_attempts: int = 1,
) -> ConnectClient:
    """A boto3 `connect` client for the emulator; by default botocore does not retry.

    `total_max_attempts` counts the first attempt. botocore's `max_attempts` key counts retries
    only, so `retries={"max_attempts": 1}` would still retry once.
    """
    return boto3.client(
        "connect",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            retries={"total_max_attempts": total_max_attempts, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        ),
    )
