"""The contact-event rule's pattern: only what the SLA timers act on reaches the handler.

The pattern is evaluated as the local bus applies it (moto's EventBridge matcher); the infra tests
check that the deployed rule carries the same pattern.
"""

from __future__ import annotations

from typing import Any

import pytest

from escalation.contract import TIMED_CHANNEL_NAMES, TIMER_CONTACT_EVENT_TYPES, contact_event_pattern
from escalation.domain.sla import TIMED_CHANNELS, ContactEventType
from local.bus import event_rule, matches
from tests.unit.builders import INSTANCE_ARN, contact_event

PATTERN = contact_event_pattern(INSTANCE_ARN)


def test_the_pattern_names_what_the_domain_acts_on() -> None:
    assert set(TIMER_CONTACT_EVENT_TYPES) == {member.value for member in ContactEventType}
    assert set(TIMED_CHANNEL_NAMES) == set(TIMED_CHANNELS)
    event_rule(PATTERN)  # EventBridge would accept it


@pytest.mark.parametrize("event_type", [*TIMER_CONTACT_EVENT_TYPES, "queued"])
@pytest.mark.parametrize("channel", ["TASK", "Task", "EMAIL", "email"])
def test_timer_events_of_timed_channels_match_in_any_casing(event_type: str, channel: str) -> None:
    assert matches(PATTERN, contact_event(event_type, channel=channel))


@pytest.mark.parametrize(
    "event",
    [
        contact_event("QUEUED", channel="VOICE"),
        contact_event("CONNECTED_TO_AGENT", channel="Chat"),
        contact_event("CONTACT_DATA_UPDATED"),
        contact_event("COMPLETED", channel="EMAIL"),
        contact_event("CONNECTED_TO_SYSTEM"),
        contact_event("QUEUED", instanceArn=INSTANCE_ARN.replace("instance/", "instance/other-")),
    ],
)
def test_other_contact_events_do_not_match(event: dict[str, Any]) -> None:
    assert not matches(PATTERN, event)
