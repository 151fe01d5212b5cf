"""SnapStart runtime hooks (`-c snapStart=true`): what a snapshot should hold, and what a restore renews.

Before the snapshot: everything an invocation builds on first use — the components (every client an
escalation or a contact event calls, the routing rules read and validated, the adapters), each trigger's
module with its pydantic models and Powertools' resolver, and the timer-event models that build on
first use. After a restore, what each restored copy must not share with the others:

- the `random` module's state (seeded once, at import): botocore draws its retry jitter from it and
  Powertools' Logger its debug-sampling decision, so copies restored from one snapshot would back off in
  step and sample alike; and the X-Ray SDK's samplers, which keep `random.Random` instances of their own;
- pooled connections: the snapshot makes no AWS call, but a socket from before it would not be this
  copy's, so each client built so far drops its pool (botocore opens new connections on the next call).

Not renewed, because nothing in them is per copy: ids from `uuid.uuid4()` and the X-Ray SDK's trace and
segment ids come from `os.urandom` at each call; Powertools' Metrics and Logger hold no state from init
(the hooks add no metric or key) and count the first invocation after a restore as a cold start, which
it is; botocore's credentials come through the provider chain as Lambda gives them, and refreshable
credentials renew themselves before they expire; the idempotency layer keeps no local cache. The
escalation-id secret is fetched on first use, after the restore (never in the snapshot).

`snapshot_restore_py` exists only in Lambda's managed runtime: elsewhere `register()` registers nothing.
"""

import importlib
import random
from typing import Any

from escalation import composition

# Each trigger's module: imported before the snapshot so that no restored copy pays for it.
TRIGGER_MODULES = (
    "escalation.triggers.api",
    "escalation.triggers.contact_event",
    "escalation.triggers.sla_event",
    "escalation.triggers.redrive_event",
)


def before_snapshot() -> None:
    composition.build_all_clients(composition.components())
    for name in TRIGGER_MODULES:
        importlib.import_module(name)
    from escalation.domain.timer_events import SlaBreachDetail, SlaWarningDetail  # noqa: PLC0415

    for model in (SlaBreachDetail, SlaWarningDetail):  # defer_build: built on first use otherwise
        model.model_rebuild(force=True)


def _reseed_xray_samplers() -> int:
    """The X-Ray SDK's samplers' own Random instances, re-seeded; how many there were."""
    from aws_xray_sdk.core import xray_recorder  # noqa: PLC0415 - the Tracer imported it already

    reseeded = 0
    pending: list[Any] = [getattr(xray_recorder, "sampler", None)]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        generator = getattr(item, "_random", None)
        if isinstance(generator, random.Random):
            generator.seed()
            reseeded += 1
        # The default sampler keeps a local sampler and pollers, each with their own generator.
        pending += [value for key, value in vars(item).items() if key.endswith(("sampler", "poller"))]
    return reseeded


def after_restore() -> None:
    random.seed()  # from os.urandom: this copy's own sequence
    _reseed_xray_samplers()
    for client in composition.built_clients():
        client.close()  # drops the pooled connections; the next call opens its own


def register() -> bool:
    """Register both hooks with Lambda's runtime; False where the runtime has no SnapStart library."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found]  # noqa: PLC0415
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
