"""An Amazon Connect emulator that an unmodified boto3 `connect` client can talk to.

moto has no contacts or TransferContact, so this package serves the six operations the escalation
service uses (StartTaskContact, DescribeContact, TransferContact, UpdateContactAttributes,
GetCurrentUserData, StopContact) over Connect's rest-json protocol, with Connect's rate quota,
seedable fault injection, a transfer ledger and an admin interface (Python and HTTP).
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
