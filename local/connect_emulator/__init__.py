"""An Amazon Connect emulator that an unmodified boto3 `connect` client can talk to.

moto has no contacts or TransferContact, so this package serves the operations the escalation
service uses (StartTaskContact, DescribeContact, TransferContact, UpdateContactAttributes,
GetCurrentUserData, StopContact, DescribeUser; DescribeQueue, DescribeHoursOfOperation,
GetEffectiveHoursOfOperations, CreateHoursOfOperationOverride, ListHoursOfOperationOverrides) over
Connect's rest-json protocol, with Connect's rate quota, seedable fault injection, an installable IAM
policy (`set_policy`: calls it does not allow answer AccessDeniedException), a transfer ledger, contact
events (QUEUED, CONNECTED_TO_AGENT, DISCONNECTED) handed to `connect_event_sink` as EventBridge
delivers them, duplicated and reordered on demand (`set_event_delivery`), and an admin interface
(Python and HTTP).

    options = EmulatorOptions(rate=2.0, burst=5, seed=1)  # quotas, faults, account, logging
    with ConnectEmulator(options) as emulator:            # or .start(port=0) / .stop()
        scenario = seed_scenario(emulator)                # from .testing
        client = connect_client(emulator.endpoint_url)    # or AWS_ENDPOINT_URL_CONNECT
        emulator.set_faults(FaultPlan("TransferContact", script=["drop_after_effect"]))
        ...
        emulator.ledger()

The admin interface is `EmulatorAdmin` (in `.admin`): every call takes nothing or one frozen
dataclass (`ContactSeed`, `FaultPlan`, ...). Over HTTP, each is `POST /_emulator/<call>` with a JSON
object of that dataclass's fields, answered `{"result": ...}` (400 `{"error": ...}` for bad
arguments, 404 for an unknown call); argument-free reads also answer GET. `EmulatorAdminClient(url)`
offers the same calls. CLI: `python -m local.connect_emulator --port 0 --rate 2 --burst 5` prints the
URL and serves until Ctrl-C or SIGTERM.
"""

from .admin import (
    ADMIN_CALLS,
    ADMIN_PREFIX,
    AccessRule,
    AgentSeed,
    AgentStatusChange,
    ContactAcceptance,
    ContactRef,
    ContactSeed,
    EmulatorAdmin,
    FaultPlan,
    FaultScope,
    FlowSeed,
    HoursSeed,
    InstanceSeed,
    OverrideSeed,
    PolicySeed,
    QueueRouting,
    QueueSeed,
    QuotaPlan,
    QuotaScale,
    Stats,
)
from .admin_client import EmulatorAdminClient, EmulatorAdminError
from .contact_events import EventDeliveryPlan
from .errors import ConnectError
from .faults import FaultKind
from .records import MAX_TRANSFERS_PER_CHAIN, ContactRecord, LedgerEntry
from .server import ConnectEmulator, EmulatorOptions

__all__ = [
    "ADMIN_CALLS",
    "ADMIN_PREFIX",
    "MAX_TRANSFERS_PER_CHAIN",
    "AccessRule",
    "AgentSeed",
    "AgentStatusChange",
    "ConnectEmulator",
    "ConnectError",
    "ContactAcceptance",
    "ContactRecord",
    "ContactRef",
    "ContactSeed",
    "EmulatorAdmin",
    "EmulatorAdminClient",
    "EmulatorAdminError",
    "EmulatorOptions",
    "EventDeliveryPlan",
    "FaultKind",
    "FaultPlan",
    "FaultScope",
    "FlowSeed",
    "HoursSeed",
    "InstanceSeed",
    "LedgerEntry",
    "OverrideSeed",
    "PolicySeed",
    "QueueRouting",
    "QueueSeed",
    "QuotaPlan",
    "QuotaScale",
    "Stats",
]
