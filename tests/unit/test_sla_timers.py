"""SLA policies and the timers' use case: what arms, what cancels, what a timer would fire (in memory)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from aws_lambda_powertools.utilities.parser import parse

from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_WARNING_DETAIL_TYPE
from escalation.domain.contact_events import ContactEvent
from escalation.domain.model import Contact
from escalation.domain.routing import RoutingRules, RoutingRulesError, parse_rules
from escalation.domain.schedule_names import timer_names
from escalation.domain.timer_events import fire_time
from escalation.triggers.sla_event import SlaBreachEvent, SlaWarningEvent
from escalation.usecases.sla_timers import SlaTimerService, TimerOutcome
from tests.unit.builders import INSTANCE_ARN, INSTANCE_ID
from tests.unit.fakes import InMemorySlaTimers

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
QUEUE_ARN = f"{INSTANCE_ARN}/queue/queue-tier1"
RULE = {"name": "any", "target": {"queue": {"id": "q", "flowId": "f"}}}


def rules(*policies: dict[str, object]) -> RoutingRules:
    return parse_rules(json.dumps({"rules": [RULE], "sla": list(policies)}))


EMAILS_AND_TASKS = rules(
    {"name": "tier1-email", "match": {"queues": ["queue-tier1"], "channels": ["email"]}, "seconds": 7200},
    {"name": "tasks", "match": {"channels": ["TASK"]}, "seconds": 3600, "warnAtPercent": 80},
)


def queued(contact_id: str = "c-1", *, channel: str = "Task", enqueued_at: datetime = NOW) -> ContactEvent:
    return ContactEvent("QUEUED", contact_id, INSTANCE_ARN, channel, QUEUE_ARN, enqueued_at)


def event(event_type: str, contact_id: str = "c-1", **fields: str) -> ContactEvent:
    return ContactEvent(event_type, contact_id, INSTANCE_ARN, "TASK", **fields)  # type: ignore[arg-type]


@pytest.fixture
def timers() -> InMemorySlaTimers:
    return InMemorySlaTimers()


@pytest.fixture
def service(timers: InMemorySlaTimers) -> SlaTimerService:
    return SlaTimerService(timers, lambda: EMAILS_AND_TASKS, INSTANCE_ARN, clock=lambda: NOW)


# --- policies as data ---


def test_an_invalid_policy_is_named_with_its_field() -> None:
    with pytest.raises(RoutingRulesError) as raised:
        rules({"name": "emails", "seconds": 60}, {"name": "slow", "seconds": 0, "warnAtPercent": 100})
    message = str(raised.value)
    assert "SLA policy #2 'slow': seconds" in message
    assert "SLA policy #2 'slow': warnAtPercent" in message
    assert "#1" not in message


def test_policy_names_are_unique() -> None:
    with pytest.raises(RoutingRulesError, match=r"SLA policy #2 'a'.*unique"):
        rules({"name": "a", "seconds": 60}, {"name": "a", "seconds": 90})


def test_an_unknown_policy_field_is_refused() -> None:
    with pytest.raises(RoutingRulesError, match=r"SLA policy #1 'a': match\.priority"):
        rules({"name": "a", "seconds": 60, "match": {"priority": [1]}})


def test_a_document_without_policies_still_loads() -> None:
    assert parse_rules(json.dumps({"rules": [RULE]})).sla == []


# --- arming ---


def test_queued_task_arms_the_breach_and_the_warning(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    changes = service.on_contact_event(queued())
    assert (changes.outcome, changes.armed) == (TimerOutcome.ARMED, 2)
    breach_name, warning_name = timer_names("c-1")
    breach, warning = timers.armed[breach_name], timers.armed[warning_name]
    assert breach.fire_at == NOW + timedelta(hours=1)
    assert warning.fire_at == NOW + timedelta(minutes=48)  # 80% of the hour
    assert breach.event["detail-type"] == SLA_BREACH_DETAIL_TYPE
    assert warning.event["detail-type"] == SLA_WARNING_DETAIL_TYPE
    detail = breach.event["detail"]
    assert detail["slaPolicy"] == "tasks"
    assert detail["slaSeconds"] == 3600
    assert detail["channel"] == "TASK"
    assert detail["queueId"] == QUEUE_ARN
    assert detail["breachedAt"] == (NOW + timedelta(hours=1)).isoformat()
    assert (breach.event["account"], breach.event["region"]) == ("123456789012", "us-east-1")


def test_what_a_timer_fires_reads_back_as_the_breach_and_the_warning_the_handler_parses(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued())
    breach_name, warning_name = timer_names("c-1")
    breach = parse(event=dict(timers.armed[breach_name].event), model=SlaBreachEvent).detail
    assert (breach.contactId, breach.reason, breach.slaPolicy) == ("c-1", "SLA_BREACH", "tasks")
    assert breach.breachedAt == NOW + timedelta(hours=1)
    warning = parse(event=dict(timers.armed[warning_name].event), model=SlaWarningEvent).detail
    assert (warning.contactId, warning.warnAtPercent, warning.queueId) == ("c-1", 80, QUEUE_ARN)


def test_first_matching_policy_applies_and_channel_casing_does_not_matter(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued(channel="eMail"))
    (timer,) = timers.armed.values()  # the email policy has no warning
    assert timer.event["detail"]["slaPolicy"] == "tier1-email"
    assert timer.fire_at == NOW + timedelta(hours=2)


@pytest.mark.parametrize("channel", ["VOICE", "Chat"])
def test_voice_and_chat_are_not_timed_by_default(
    service: SlaTimerService, timers: InMemorySlaTimers, channel: str
) -> None:
    catch_all = SlaTimerService(
        timers, lambda: rules({"name": "all", "seconds": 60}), INSTANCE_ARN, clock=lambda: NOW
    )
    assert catch_all.on_contact_event(queued(channel=channel)).outcome is TimerOutcome.IGNORED
    assert timers.armed == {}


@pytest.mark.parametrize("channel", ["VOICE", "Chat"])
def test_voice_and_chat_are_timed_where_the_deployment_times_them(
    timers: InMemorySlaTimers, channel: str
) -> None:
    every_channel = SlaTimerService(
        timers,
        lambda: rules({"name": "calls", "match": {"channels": ["VOICE", "CHAT"]}, "seconds": 120}),
        INSTANCE_ARN,
        clock=lambda: NOW,
        timed_channels=frozenset({"TASK", "EMAIL", "VOICE", "CHAT"}),
    )
    assert every_channel.on_contact_event(queued(channel=channel)).outcome is TimerOutcome.ARMED
    (breach,) = timers.armed.values()
    assert breach.fire_at == NOW + timedelta(minutes=2)
    assert breach.event["detail"]["channel"] == channel.upper()


def test_no_policy_no_timer(timers: InMemorySlaTimers) -> None:
    service = SlaTimerService(timers, rules, INSTANCE_ARN, clock=lambda: NOW)
    assert service.on_contact_event(queued()).outcome is TimerOutcome.IGNORED
    assert timers.calls == []


def test_a_duplicate_queued_event_is_a_no_op(service: SlaTimerService, timers: InMemorySlaTimers) -> None:
    service.on_contact_event(queued())
    armed = dict(timers.armed)
    changes = service.on_contact_event(queued())
    assert (changes.outcome, changes.armed) == (TimerOutcome.ALREADY_ARMED, 0)
    assert timers.armed == armed


def test_a_past_deadline_is_clamped_to_the_earliest_time_scheduler_accepts(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued(enqueued_at=NOW - timedelta(hours=5)))
    (breach,) = timers.armed.values()  # the warning's moment passed too: only the breach is armed
    assert breach.fire_at == NOW + timedelta(minutes=1)
    assert breach.event["detail"]["breachedAt"] == (NOW - timedelta(hours=4)).isoformat()


def test_fire_time_never_fires_early_and_has_whole_seconds() -> None:
    due = NOW + timedelta(hours=1, microseconds=1)
    assert fire_time(due, NOW) == NOW + timedelta(hours=1, seconds=1)
    assert fire_time(NOW + timedelta(seconds=59, microseconds=5), NOW) == NOW + timedelta(minutes=1)


def test_schedule_names_fit_scheduler() -> None:
    names = timer_names("x" * 256)
    assert names == timer_names("x" * 256)
    assert names != timer_names("x" * 255)
    for name in names:
        assert re.fullmatch(r"[0-9a-zA-Z\-_.]{1,64}", name)


def test_another_instances_event_is_ignored(service: SlaTimerService, timers: InMemorySlaTimers) -> None:
    foreign = ContactEvent(
        "QUEUED", "c-1", INSTANCE_ARN.replace(INSTANCE_ID, "other"), "TASK", QUEUE_ARN, NOW
    )
    assert service.on_contact_event(foreign).outcome is TimerOutcome.IGNORED
    assert timers.calls == []


# --- cancelling ---


@pytest.mark.parametrize("event_type", ["CONNECTED_TO_AGENT", "DISCONNECTED"])
def test_a_pickup_or_end_before_the_deadline_deletes_the_schedules(
    service: SlaTimerService, timers: InMemorySlaTimers, event_type: str
) -> None:
    service.on_contact_event(queued())
    changes = service.on_contact_event(event(event_type))
    assert (changes.outcome, changes.cancelled) == (TimerOutcome.CANCELLED, 2)
    assert timers.armed == {}


def test_a_transfer_away_cancels_the_previous_contacts_timers(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued("c-1"))
    moved = ContactEvent(
        "INITIATED", "c-2", INSTANCE_ARN, "TASK", previous_contact_id="c-1", initiation_method="TRANSFER"
    )
    assert service.on_contact_event(moved).cancelled == 2
    assert timers.armed == {}


def test_the_new_contact_of_a_transfer_is_timed_by_its_own_queued_event(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued("c-1"))
    requeued = ContactEvent(
        "QUEUED",
        "c-2",
        INSTANCE_ARN,
        "TASK",
        QUEUE_ARN,
        NOW,
        previous_contact_id="c-1",
        initiation_method="QUEUE_TRANSFER",
    )
    changes = service.on_contact_event(requeued)
    assert (changes.armed, changes.cancelled) == (2, 2)
    assert set(timers.armed) == set(timer_names("c-2"))


def test_a_contact_with_a_previous_contact_but_not_transferred_cancels_nothing(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(queued("c-1"))
    callback = ContactEvent(
        "INITIATED", "c-2", INSTANCE_ARN, "TASK", previous_contact_id="c-1", initiation_method="CALLBACK"
    )
    assert service.on_contact_event(callback).outcome is TimerOutcome.IGNORED
    assert len(timers.armed) == 2


def test_a_cancel_with_nothing_armed_is_fine(service: SlaTimerService) -> None:
    assert service.on_contact_event(event("DISCONNECTED")).outcome is TimerOutcome.IGNORED


def test_reordered_pickup_before_queued_leaves_a_timer_that_the_recheck_stops(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    service.on_contact_event(event("CONNECTED_TO_AGENT"))
    service.on_contact_event(queued())
    assert len(timers.armed) == 2  # events cannot tell; the contact, described when it fires, can
    picked_up = Contact("c-1", "c-1", "TASK", ended=False, queue_id="queue-tier1", agent_connected=True)
    assert not picked_up.is_waiting


@pytest.mark.parametrize(
    ("contact", "waiting"),
    [
        (Contact("c", "c", "TASK", ended=False, queue_id="q"), True),
        (Contact("c", "c", "TASK", ended=False, queue_id="q", agent_id="a"), True),  # offered, not accepted
        (Contact("c", "c", "TASK", ended=False, queue_id="q", agent_id="a", agent_connected=True), False),
        (Contact("c", "c", "TASK", ended=True, queue_id="q"), False),
        (Contact("c", "c", "TASK", ended=False), False),
    ],
)
def test_is_waiting(contact: Contact, waiting: bool) -> None:
    assert contact.is_waiting is waiting


@pytest.mark.parametrize("event_type", ["CONTACT_DATA_UPDATED", "PAUSED", "SOMETHING_NEW"])
def test_other_event_types_change_no_timer(
    service: SlaTimerService, timers: InMemorySlaTimers, event_type: str
) -> None:
    service.on_contact_event(queued())
    assert service.on_contact_event(event(event_type)).outcome is TimerOutcome.IGNORED
    assert len(timers.armed) == 2


@pytest.mark.parametrize(
    "enqueued_at",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        NOW + timedelta(days=31, seconds=1),
        NOW - timedelta(days=366),
    ],
)
def test_an_implausible_enqueue_time_arms_nothing(
    service: SlaTimerService, timers: InMemorySlaTimers, enqueued_at: datetime
) -> None:
    assert service.on_contact_event(queued(enqueued_at=enqueued_at)).outcome is TimerOutcome.UNREADABLE
    assert timers.calls == []


@pytest.mark.parametrize("enqueued_at", [NOW + timedelta(days=31), NOW - timedelta(days=365)])
def test_the_edges_of_the_plausible_window_still_arm(
    service: SlaTimerService, timers: InMemorySlaTimers, enqueued_at: datetime
) -> None:
    assert service.on_contact_event(queued(enqueued_at=enqueued_at)).outcome is TimerOutcome.ARMED


def test_the_same_instance_id_in_another_account_is_another_instance(
    service: SlaTimerService, timers: InMemorySlaTimers
) -> None:
    foreign = ContactEvent(
        "QUEUED", "c-1", INSTANCE_ARN.replace(":123456789012:", ":210987654321:"), "TASK", QUEUE_ARN, NOW
    )
    assert service.on_contact_event(foreign).outcome is TimerOutcome.IGNORED
    assert timers.calls == []


def test_a_policy_naming_a_channel_the_deployment_does_not_time_is_an_error_naming_the_option() -> None:
    rules = parse_rules(
        '{"rules": [{"name": "any", "target": {"inQueue": {"priority": 1}}}],'
        ' "sla": [{"name": "calls-2m", "match": {"channels": ["voice"]}, "seconds": 120}]}'
    )
    with pytest.raises(RoutingRulesError, match=r"SLA policy #1 'calls-2m': match\.channels: VOICE") as error:
        rules.check_timed_channels(frozenset({"TASK", "EMAIL"}))
    assert "-c timedChannels=EMAIL,TASK,VOICE" in str(error.value)
    rules.check_timed_channels(frozenset({"TASK", "EMAIL", "VOICE"}))  # deployed: fine
