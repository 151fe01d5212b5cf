"""The moto internals local.scheduler_backend patches, pinned: a moto upgrade that moves any of them
fails here with what moved, instead of the local scheduler misbehaving later.

The Scheduler tests in test_local_scheduler.py check what the patch does (the lock, the past `at()`
refused, the watchers); these check that it still patches what it thinks it patches.
"""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from moto.scheduler import models
from moto.scheduler.exceptions import ValidationException

from local import scheduler_backend

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements-dev.txt"
PATCHED_MODULE = "local/scheduler_backend.py"

# The backend methods the patch wraps, with the keyword arguments its wrappers read or pass on.
PATCHED_METHODS = {
    "create_schedule": {"group_name", "name", "schedule_expression", "schedule_expression_timezone"},
    "update_schedule": {"group_name", "name", "schedule_expression", "schedule_expression_timezone"},
    "delete_schedule": {"group_name", "name"},
    "delete_schedule_group": {"name"},
    "get_schedule": set(),
    "list_schedules": set(),
    "create_schedule_group": set(),
    "get_schedule_group": set(),
}


def test_the_patch_is_checked_against_the_pinned_moto() -> None:
    pinned = re.search(r"^moto\[server\]==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned is not None, "requirements-dev.txt no longer pins moto[server] exactly"
    assert version("moto") == pinned.group(1) == "5.2.5", (
        f"moto {version('moto')} (pinned {pinned.group(1)}): {PATCHED_MODULE} patches moto 5.2.5's "
        "Scheduler backend; check it against this moto, then move this pin"
    )


@pytest.mark.parametrize(("method", "arguments"), PATCHED_METHODS.items())
def test_the_patched_backend_methods_take_what_the_wrappers_pass(method: str, arguments: set[str]) -> None:
    found = getattr(models.EventBridgeSchedulerBackend, method, None)
    assert callable(found), f"moto's EventBridgeSchedulerBackend has no {method}: {PATCHED_MODULE} wraps it"
    # inspect follows functools.wraps, so this reads moto's own signature whether patched or not.
    taken = set(inspect.signature(found).parameters)
    assert arguments <= taken, (
        f"moto's {method} takes {sorted(taken)}; {PATCHED_MODULE} passes {sorted(arguments)}"
    )


def test_the_backend_holds_schedules_where_the_watchers_read_them() -> None:
    backend = models.EventBridgeSchedulerBackend("us-east-1", "123456789012")
    backend.create_schedule_group(name="pinned", tags=None)
    backend.create_schedule(
        description=None,
        end_date=None,
        flexible_time_window={"Mode": "OFF"},
        group_name="pinned",
        kms_key_arn=None,
        name="sla-1",
        schedule_expression="at(2030-01-01T12:00:00)",
        schedule_expression_timezone="UTC",
        start_date=None,
        state=None,
        target={
            "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "RoleArn": "arn:aws:iam::1:role/r",
        },
        action_after_completion="DELETE",
    )

    schedule = backend.schedule_groups["pinned"].schedules["sla-1"]
    assert backend.region_name == "us-east-1"
    assert schedule.group_name == "pinned"
    assert {"Name", "GroupName", "ScheduleExpression", "Target"} <= set(schedule.to_dict())
    walked = models.scheduler_backends["123456789012"]["us-east-1"]
    assert isinstance(walked, models.EventBridgeSchedulerBackend), (
        f"moto's scheduler_backends is no longer account -> region -> backend, which {PATCHED_MODULE} walks"
    )
    assert str(ValidationException(message="refused")), "ValidationException(message=...) changed"
    assert scheduler_backend.at_time("at(2030-01-01T12:00:00)", "UTC") is not None
