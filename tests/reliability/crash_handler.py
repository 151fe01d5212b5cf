"""Runs the production handler once in this process and kills the process at a chosen point.

    python -m tests.reliability.crash_handler MODE EVENT_FILE TIMEOUT_SECONDS

The environment is the stack's (endpoints, table, DLQ, rules), inherited from the test process. MODE:
  before_transfer   exit after the PENDING ledger entry was written, before TransferContact
  after_transfer    exit right after TransferContact took effect, before the ledger and idempotency record
  before_save       exit in place of Powertools' save_success (the result is never stored)
  none              no crash: print the handler's result as the last line
A crash exits with status CRASHED, as a Lambda execution environment killed mid-invocation would.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CRASHED = 17


def main(mode: str, event_file: str, timeout_seconds: float) -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    from escalation import handler  # noqa: PLC0415 - after the environment is in place
    from escalation.adapters.connect import ConnectContactCenter  # noqa: PLC0415
    from local.lambda_context import FunctionConfig, new_context  # noqa: PLC0415

    original_transfer = ConnectContactCenter.transfer

    def crash(*_: Any, **__: Any) -> Any:
        sys.stdout.flush()
        os._exit(CRASHED)

    def transfer_then_crash(self: ConnectContactCenter, *args: Any, **kwargs: Any) -> Any:
        original_transfer(self, *args, **kwargs)
        return crash()

    if mode == "before_transfer":
        ConnectContactCenter.transfer = crash  # type: ignore[method-assign]
    elif mode == "after_transfer":
        ConnectContactCenter.transfer = transfer_then_crash  # type: ignore[method-assign]
    elif mode == "before_save":
        DynamoDBPersistenceLayer.save_success = crash  # type: ignore[method-assign]
    elif mode != "none":
        raise SystemExit(f"unknown mode {mode!r}")

    with open(event_file, encoding="utf-8") as source:
        event = json.load(source)
    result = handler.handler(event, new_context(FunctionConfig(timeout_seconds=timeout_seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
