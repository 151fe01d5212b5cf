"""An Amazon Connect emulator that an unmodified boto3 `connect` client can talk to.

moto has no contacts or TransferContact, so this package serves the six operations the escalation
service uses (StartTaskContact, DescribeContact, TransferContact, UpdateContactAttributes,
GetCurrentUserData, StopContact) over Connect's rest-json protocol, with Connect's rate quota,
seedable fault injection, a transfer ledger and an admin interface (Python and HTTP).

    with ConnectEmulator(rate=2.0, burst=5, seed=1) as emulator:   # or .start(port=0) / .stop()
        scenario = seed_scenario(emulator)                        # from .testing
        client = connect_client(emulator.endpoint_url)            # or AWS_ENDPOINT_URL_CONNECT
        emulator.set_faults("TransferContact", script=["drop_after_effect"])
        ...
        emulator.ledger()

Over HTTP, every admin method is `POST /_emulator/<method>` with a JSON object of its keyword
arguments, answered `{"result": ...}` (400 `{"error": ...}` for bad arguments, 404 for an unknown
method); argument-free reads also answer GET. `EmulatorAdminClient(url)` wraps them.
CLI: `python -m local.connect_emulator --port 0 --rate 2 --burst 5` prints the URL and serves
until Ctrl-C or SIGTERM.
"""

from .admin_client import EmulatorAdminClient, EmulatorAdminError
from .errors import ConnectError
from .faults import FaultKind
from .server import ADMIN_PREFIX, ConnectEmulator
from .state import MAX_TRANSFERS_PER_CHAIN, ContactRecord, LedgerEntry

__all__ = [
    "ADMIN_PREFIX",
    "MAX_TRANSFERS_PER_CHAIN",
    "ConnectEmulator",
    "ConnectError",
    "ContactRecord",
    "EmulatorAdminClient",
    "EmulatorAdminError",
    "FaultKind",
    "LedgerEntry",
]
