"""Connect's state: instances and their records, the transfer ledger, access (the installed IAM policy
and the deny-list), seeding.

Operations take and return boto3-shaped dicts (member names, epoch-second timestamps); the
protocol layer does the wire work, and `operations` holds each operation's rules (handed to the state by
the server, so the rules may use the state without the state importing them). Everything runs
under one lock, so a transfer, its ledger entry and its ClientToken record are atomic with respect
to concurrent callers.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import admin
from .contact_events import (
    CONNECTED_TO_AGENT,
    QUEUED,
    ContactEventOutlet,
    Event,
    EventSource,
    contact_event,
)
from .errors import ConnectError, not_found
from .iam import Policy, access_denied_message, requested_resources
from .records import (
    CHANNELS,
    FLOW_TYPES,
    MAX_TRANSFERS_PER_CHAIN,
    QUEUE_STATUSES,
    ROUTABLE_STATUS,
    WEEKDAYS,
    Agent,
    Contact,
    ContactRecord,
    DaySlice,
    Flow,
    HoursOfOperation,
    Instance,
    LedgerEntry,
    Params,
    Queue,
    Result,
    instance_id_of,
    new_id,
    parse_clock_time,
    resource_id,
)
from .routing_order import connect_to_agent, next_assignment

# One operation's rules: it reads and changes the state under its lock and answers boto3-shaped.
Operation = Callable[["ConnectState", Params], Result]


def _require_one_of(value: str, allowed: Collection[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}")


def _known[Seeded](records: Mapping[str, Seeded], record_id: str, what: str) -> Seeded:
    """The seeded record with this id, or ValueError naming what is unknown."""
    record = records.get(record_id)
    if record is None:
        raise ValueError(f"unknown {what} {record_id!r}")
    return record


def _known_if_named(records: Mapping[str, object], record_id: str | None, what: str) -> None:
    """A seed's optional reference: none is fine, one that names no seeded record is ValueError."""
    if record_id is not None:
        _known(records, record_id, what)


class ConnectState:
    """All emulated Connect data plus the transfer ledger and the access deny-list."""

    def __init__(
        self,
        operations: Mapping[str, Operation],
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.RLock()
        self._operations = operations
        self.region = region
        self.account_id = account_id
        self.now = clock
        self._instances: dict[str, Instance] = {}
        self._ledger: list[LedgerEntry] = []
        self._denied: set[tuple[str, str | None]] = set()
        self._policy: Policy | None = None  # None: every call allowed
        self.events = ContactEventOutlet()
        self._pending_events: list[Event] = []  # recorded under the lock, delivered after it

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._operations)

    # ---- ARNs ------------------------------------------------------------------------------

    def instance_arn(self, instance_id: str) -> str:
        return f"arn:aws:connect:{self.region}:{self.account_id}:instance/{instance_id}"

    def contact_arn(self, ref: admin.ContactRef) -> str:
        return f"{self.instance_arn(ref.instance_id)}/contact/{ref.contact_id}"

    def agent_arn(self, instance_id: str, agent_id: str) -> str:
        return f"{self.instance_arn(instance_id)}/agent/{agent_id}"

    def status_arn(self, instance_id: str, status_name: str) -> str:
        # Stable per status name, as a real agent status has one ARN.
        status_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{instance_id}/{status_name}")
        return f"{self.instance_arn(instance_id)}/agent-state/{status_id}"

    # ---- seeding -----------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._instances.clear()
            self._ledger.clear()
            self._denied.clear()
            self._policy = None

    def add_instance(self, seed: admin.InstanceSeed) -> str:
        with self._lock:
            instance_id = seed.instance_id or new_id()
            self._instances.setdefault(instance_id, Instance(instance_id))
            return instance_id

    @contextmanager
    def _seeding(self, instance_id: str) -> Iterator[Instance]:
        """Under the lock, the instance a seed names (ValueError when it was not added)."""
        with self._lock:
            instance = self._instances.get(instance_id)
            if instance is None:
                raise ValueError(f"unknown instance {instance_id!r}: add_instance first")
            yield instance

    def add_hours_of_operation(self, seed: admin.HoursSeed) -> str:
        try:
            ZoneInfo(seed.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {seed.time_zone!r}") from None
        config: list[DaySlice] = []
        for entry in seed.config:
            if entry.get("day") not in WEEKDAYS:
                raise ValueError(f"a config entry's day must be one of {list(WEEKDAYS)}")
            config.append(
                DaySlice(entry["day"], parse_clock_time(entry["start"]), parse_clock_time(entry["end"]))
            )
        with self._seeding(seed.instance_id) as instance:
            hours_id = seed.hours_id or new_id()
            instance.hours[hours_id] = HoursOfOperation(
                hours_id, seed.name or hours_id, seed.time_zone, tuple(config)
            )
            return hours_id

    def add_hours_override(self, seed: admin.OverrideSeed) -> str:
        params = {
            "InstanceId": seed.instance_id,
            "HoursOfOperationId": seed.hours_id,
            "Name": seed.name,
            "Config": list(seed.config),
            "EffectiveFrom": seed.effective_from,
            "EffectiveTill": seed.effective_till,
            "OverrideType": seed.override_type,
        }
        with self._lock:
            try:
                # Seeding runs the operation's own rules (not its IAM check), from the injected table.
                result = self._operations["CreateHoursOfOperationOverride"](self, params)
            except ConnectError as error:
                raise ValueError(error.message) from None
        return str(result["HoursOfOperationOverrideId"])

    def add_queue(self, seed: admin.QueueSeed) -> str:
        _require_one_of(seed.status, QUEUE_STATUSES, "queue status")
        with self._seeding(seed.instance_id) as instance:
            _known_if_named(instance.hours, seed.hours_of_operation_id, "hours of operation")
            queue_id = seed.queue_id or new_id()
            instance.queues[queue_id] = Queue(
                queue_id, seed.name or queue_id, seed.status, seed.hours_of_operation_id
            )
            return queue_id

    def add_flow(self, seed: admin.FlowSeed) -> str:
        _require_one_of(seed.flow_type, FLOW_TYPES, "flow type")
        with self._seeding(seed.instance_id) as instance:
            _known_if_named(instance.queues, seed.queue_id, "queue")
            flow_id = seed.flow_id or new_id()
            instance.flows[flow_id] = Flow(flow_id, seed.flow_type, seed.name or flow_id, seed.queue_id)
            return flow_id

    def add_agent(self, seed: admin.AgentSeed) -> str:
        max_slots = (
            dict(seed.slots) if seed.slots is not None else {channel: 1 for channel in sorted(CHANNELS)}
        )
        active = dict(seed.active_slots or {})
        for channel in (*max_slots, *active):
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel {channel!r}")
        with self._seeding(seed.instance_id) as instance:
            agent_id = seed.agent_id or new_id()
            names = (seed.username or agent_id, seed.first_name, seed.last_name)
            instance.agents[agent_id] = Agent(agent_id, seed.status, self.now(), max_slots, active, *names)
            return agent_id

    def set_agent_status(self, change: admin.AgentStatusChange) -> None:
        with self._seeding(change.instance_id) as instance:
            agent = _known(instance.agents, change.agent_id, "agent")
            agent.status_name = change.status
            agent.status_start = self.now()

    def add_contact(self, seed: admin.ContactSeed) -> str:
        _require_one_of(seed.channel, CHANNELS, "channel")
        if not 0 <= seed.transfer_count <= MAX_TRANSFERS_PER_CHAIN:
            raise ValueError(f"transfer_count must be within 0..{MAX_TRANSFERS_PER_CHAIN}")
        with self._seeding(seed.instance_id) as instance:
            _known_if_named(instance.queues, seed.queue_id, "queue")
            _known_if_named(instance.agents, seed.agent_id, "agent")
            now = self.now()
            contact_id = seed.contact_id or new_id()
            instance.contacts[contact_id] = Contact(
                contact_id=contact_id,
                channel=seed.channel,
                initiation_method=seed.initiation_method,
                initial_contact_id=contact_id,
                previous_contact_id=None,
                initiation_timestamp=now,
                queue_id=seed.queue_id,
                enqueue_timestamp=(seed.enqueued_at or now) if seed.queue_id else None,
                agent_id=seed.agent_id,
                connected_to_agent_timestamp=now if seed.agent_id else None,
                attributes=dict(seed.attributes or {}),
                tags=dict(seed.tags or {}),
                name=seed.name,
                transfer_count=seed.transfer_count,
                disconnect_timestamp=now if seed.ended else None,
            )
            contact = instance.contacts[contact_id]
            if contact.queue_id is not None and contact.agent_id is None and not contact.ended:
                self.record_event(instance.instance_id, contact, QUEUED)
        self._publish_events()
        return contact_id

    def route_next(self, routing: admin.QueueRouting) -> str | None:
        with self._seeding(routing.instance_id) as instance:
            if (assignment := next_assignment(instance, routing.queue_id, routing.agent_id)) is None:
                return None
            contact = connect_to_agent(*assignment, self.now())
            self.record_event(instance.instance_id, contact, CONNECTED_TO_AGENT)
        self._publish_events()
        return contact.contact_id

    def accept_contact(self, acceptance: admin.ContactAcceptance) -> str:
        """An agent accepts a queued contact (CONNECTED_TO_AGENT); returns the agent's id.

        With no agent given, the first agent (by id) whose status is routable takes it.
        """
        with self._seeding(acceptance.instance_id) as instance:
            contact = _known(instance.contacts, acceptance.contact_id, "contact")
            if contact.ended or contact.connected_to_agent_timestamp is not None:
                raise ValueError(f"contact {acceptance.contact_id!r} has ended or is already with an agent")
            agent_id = acceptance.agent_id or next(
                (a.agent_id for _, a in sorted(instance.agents.items()) if a.status_name == ROUTABLE_STATUS),
                None,
            )
            if agent_id is None or agent_id not in instance.agents:
                raise ValueError(f"no such agent to accept the contact: {acceptance.agent_id!r}")
            now = self.now()
            contact.agent_id = agent_id
            contact.connected_to_agent_timestamp = now
            contact.last_update_timestamp = now
            self.record_event(instance.instance_id, contact, CONNECTED_TO_AGENT)
        self._publish_events()
        return agent_id

    def get_contact(self, ref: admin.ContactRef) -> ContactRecord:
        with self._seeding(ref.instance_id) as instance:
            contact = _known(instance.contacts, ref.contact_id, "contact")
            return {
                "instance_id": ref.instance_id,
                "contact_id": contact.contact_id,
                "arn": self.contact_arn(ref),
                "channel": contact.channel,
                "initiation_method": contact.initiation_method,
                "initial_contact_id": contact.initial_contact_id,
                "previous_contact_id": contact.previous_contact_id,
                "queue_id": contact.queue_id,
                "enqueue_timestamp": contact.enqueue_timestamp,
                "agent_id": contact.agent_id,
                "connected_to_agent_timestamp": contact.connected_to_agent_timestamp,
                "attributes": dict(contact.attributes),
                "tags": dict(contact.tags),
                "name": contact.name,
                "description": contact.description,
                "transfer_count": contact.transfer_count,
                "ended": contact.ended,
                "initiation_timestamp": contact.initiation_timestamp,
                "disconnect_timestamp": contact.disconnect_timestamp,
                "queue_priority": contact.queue_priority,
                "queue_time_adjustment_seconds": contact.queue_time_adjustment_seconds,
            }

    def ledger(self) -> list[LedgerEntry]:
        with self._lock:
            return copy.deepcopy(self._ledger)

    def deny(self, rule: admin.AccessRule) -> None:
        with self._lock:
            self._denied.add((rule.operation, rule.target_id))

    def allow(self, rule: admin.AccessRule) -> None:
        with self._lock:
            self._denied.discard((rule.operation, rule.target_id))

    def clear_denials(self) -> None:
        with self._lock:
            self._denied.clear()

    def set_policy(self, seed: admin.PolicySeed) -> None:
        policy = Policy.parse(seed.statements) if seed.statements is not None else None
        with self._lock:
            self._policy = policy

    # ---- operations --------------------------------------------------------------------------

    def handle(self, operation: str, params: Params) -> Result:
        """Run one emulated operation (params already validated against the model)."""
        run = self._operations.get(operation)
        if run is None:
            raise ConnectError(
                "NotImplementedException",
                f"The Connect emulator does not implement {operation}.",
                status=501,
            )
        try:
            with self._lock:
                self._check_access(operation, params)
                return run(self, params)
        finally:
            self._publish_events()

    # ---- contact events ----------------------------------------------------------------------

    def record_event(self, instance_id: str, contact: Contact, event_type: str) -> None:
        """Record a contact event (under the lock); it is delivered once the lock is released."""
        source = EventSource(self.account_id, self.region, self.instance_arn(instance_id))
        self._pending_events.append(contact_event(source, contact, event_type, self.now()))

    def _publish_events(self) -> None:
        with self._lock:
            events, self._pending_events = self._pending_events, []
        if events:
            self.events.deliver(events)

    def _check_access(self, operation: str, params: Params) -> None:
        """IAM answers before the service: the policy first, then the deny-list on top of it."""
        if self._policy is not None:
            refused = self._policy.refusal(
                f"connect:{operation}", requested_resources(operation, params, self.instance_arn)
            )
            if refused is not None:
                principal = f"arn:aws:sts::{self.account_id}:assumed-role/connect-caller/session"
                raise ConnectError(
                    "AccessDeniedException", access_denied_message(principal, operation, *refused)
                )
        targets: set[str | None] = {None}
        for member in ("QueueId", "UserId"):
            if isinstance(params.get(member), str):
                targets.add(resource_id(params[member]))
        for target in targets:
            if (operation, target) in self._denied:
                resource = f" on target {target}" if target else ""
                raise ConnectError(
                    "AccessDeniedException",
                    f"User is not authorized to perform connect:{operation}{resource} (emulator deny-list)",
                )

    # Called by `operations` under the lock that handle() holds.

    def instance(self, params: Params) -> Instance:
        instance_id = instance_id_of(params["InstanceId"])
        instance = self._instances.get(instance_id)
        if instance is None:
            raise not_found(f"Instance {instance_id} not found.")
        return instance

    def record_transfer(self, entry: LedgerEntry) -> None:
        self._ledger.append(entry)
