"""Helpers for tests and benchmarks: a boto3 client for the emulator and a ready-made scenario.

`seed_scenario` works with any `EmulatorAdmin`: a `ConnectEmulator` in process or an
`EmulatorAdminClient` for one in another process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from .admin import AgentSeed, ContactSeed, EmulatorAdmin, FlowSeed, InstanceSeed, QueueSeed

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient


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


def seed_scenario(admin: EmulatorAdmin, instance_id: str = "instance-1") -> Scenario:
    instance = admin.add_instance(InstanceSeed(instance_id))
    queue = admin.add_queue(QueueSeed(instance, "queue-tier1", name="Tier 1"))
    other_queue = admin.add_queue(QueueSeed(instance, "queue-tier2", name="Tier 2"))
    return Scenario(
        instance=instance,
        queue=queue,
        other_queue=other_queue,
        queue_flow=admin.add_flow(FlowSeed(instance, "flow-queue", "QUEUE_TRANSFER")),
        agent_flow=admin.add_flow(FlowSeed(instance, "flow-agent", "AGENT_TRANSFER")),
        inbound_flow=admin.add_flow(FlowSeed(instance, "flow-inbound", "CONTACT_FLOW", queue_id=queue)),
        whisper_flow=admin.add_flow(FlowSeed(instance, "flow-whisper", "AGENT_WHISPER")),
        agent=admin.add_agent(AgentSeed(instance, "agent-1", slots={"TASK": 2, "EMAIL": 1})),
        contact=admin.add_contact(
            ContactSeed(instance, "TASK", queue_id=queue, attributes={"customer": "c-1"}, name="Refund")
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
