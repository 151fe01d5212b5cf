"""DescribeQueue and the hours of operation: the weekly config, overrides and effective hours."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.connect_policy import connect_statements
from local.connect_emulator import (
    ConnectEmulator,
    EmulatorAdminClient,
    EmulatorAdminError,
    HoursSeed,
    OverrideSeed,
    PolicySeed,
    QueueSeed,
)
from local.connect_emulator.testing import Scenario

WEEKDAYS_9_TO_5 = [
    {"day": day, "start": "09:00", "end": "17:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
]


def hm(hours: int, minutes: int = 0) -> dict[str, int]:
    return {"Hours": hours, "Minutes": minutes}


def effective(connect: Any, instance: str, hours_id: str, first: str, last: str) -> dict[str, list[Any]]:
    answer = connect.get_effective_hours_of_operations(
        InstanceId=instance, HoursOfOperationId=hours_id, FromDate=first, ToDate=last
    )
    return {day["Date"]: day["OperationalHours"] for day in answer["EffectiveHoursOfOperationList"]}


@pytest.fixture
def office(emulator: ConnectEmulator, seeded: Scenario) -> str:
    return emulator.add_hours_of_operation(
        HoursSeed(seeded.instance, "hours-ny", "New York office", "America/New_York", WEEKDAYS_9_TO_5)
    )


def test_describe_queue_names_its_hours_of_operation(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario, office: str
) -> None:
    queue_id = emulator.add_queue(
        QueueSeed(seeded.instance, "queue-ny", "New York", hours_of_operation_id=office)
    )

    queue = connect.describe_queue(InstanceId=seeded.instance, QueueId=queue_id)["Queue"]

    assert queue["QueueId"] == queue_id
    assert queue["QueueArn"].endswith(f"instance/{seeded.instance}/queue/{queue_id}")
    assert queue["Name"] == "New York"
    assert queue["Status"] == "ENABLED"
    assert queue["HoursOfOperationId"] == office
    plain = connect.describe_queue(InstanceId=seeded.instance, QueueId=seeded.queue)["Queue"]
    assert "HoursOfOperationId" not in plain
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_queue(InstanceId=seeded.instance, QueueId="no-such-queue")


def test_describe_hours_of_operation_gives_the_weekly_config_and_time_zone(
    connect: Any, seeded: Scenario, office: str
) -> None:
    hours = connect.describe_hours_of_operation(InstanceId=seeded.instance, HoursOfOperationId=office)[
        "HoursOfOperation"
    ]
    assert hours["TimeZone"] == "America/New_York"
    assert hours["HoursOfOperationArn"].endswith(f"/operating-hours/{office}")
    assert {"Day": "MONDAY", "StartTime": hm(9), "EndTime": hm(17)} in hours["Config"]
    assert len(hours["Config"]) == 5
    with pytest.raises(connect.exceptions.ResourceNotFoundException):
        connect.describe_hours_of_operation(InstanceId=seeded.instance, HoursOfOperationId="nope")


def test_effective_hours_follow_the_weekly_config_and_a_closed_holiday(
    connect: Any, seeded: Scenario, office: str
) -> None:
    override_id = connect.create_hours_of_operation_override(
        InstanceId=seeded.instance,
        HoursOfOperationId=office,
        Name="Holiday",
        Config=[],
        EffectiveFrom="2026-12-07",
        EffectiveTill="2026-12-07",
        OverrideType="CLOSED",
    )["HoursOfOperationOverrideId"]

    answer = connect.get_effective_hours_of_operations(
        InstanceId=seeded.instance, HoursOfOperationId=office, FromDate="2026-12-04", ToDate="2026-12-08"
    )
    days = {day["Date"]: day["OperationalHours"] for day in answer["EffectiveHoursOfOperationList"]}

    assert answer["TimeZone"] == "America/New_York"
    assert days == {
        "2026-12-04": [{"Start": hm(9), "End": hm(17)}],  # Friday
        "2026-12-05": [],
        "2026-12-06": [],
        "2026-12-07": [],  # Monday, closed
        "2026-12-08": [{"Start": hm(9), "End": hm(17)}],
    }
    assert answer["EffectiveOverrideHoursList"] == [
        {
            "Date": "2026-12-07",
            "OverrideHours": [
                {"Start": hm(0), "End": hm(0), "OverrideName": "Holiday", "OperationalStatus": "CLOSED"}
            ],
        }
    ]
    listed = connect.list_hours_of_operation_overrides(InstanceId=seeded.instance, HoursOfOperationId=office)
    assert [
        (o["HoursOfOperationOverrideId"], o["OverrideType"]) for o in listed["HoursOfOperationOverrideList"]
    ] == [(override_id, "CLOSED")]


def test_overnight_hours_are_split_at_midnight_and_overrides_combine(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario
) -> None:
    night = emulator.add_hours_of_operation(
        HoursSeed(
            seeded.instance,
            config=[
                {"day": "FRIDAY", "start": "22:00", "end": "06:00"},
                {"day": "SATURDAY", "start": "00:00", "end": "00:00"},
            ],
        )
    )
    for name, kind, config, day in [
        (
            "Short Friday",
            "STANDARD",
            [{"Day": "FRIDAY", "StartTime": hm(20), "EndTime": hm(23)}],
            "2026-12-04",
        ),
        ("Sunday extra", "OPEN", [{"Day": "SUNDAY", "StartTime": hm(10), "EndTime": hm(12)}], "2026-12-06"),
        (
            "Saturday lunch",
            "CLOSED",
            [{"Day": "SATURDAY", "StartTime": hm(12), "EndTime": hm(13)}],
            "2026-12-05",
        ),
    ]:
        connect.create_hours_of_operation_override(
            InstanceId=seeded.instance,
            HoursOfOperationId=night,
            Name=name,
            Config=config,
            EffectiveFrom=day,
            EffectiveTill=day,
            OverrideType=kind,
        )

    days = effective(connect, seeded.instance, night, "2026-11-27", "2026-12-06")

    assert days["2026-11-27"] == [{"Start": hm(22), "End": hm(0)}]  # an ordinary Friday: until midnight
    assert days["2026-11-28"] == [{"Start": hm(0), "End": hm(0)}]  # Saturday: the whole day
    assert days["2026-11-29"] == []
    assert days["2026-12-04"] == [{"Start": hm(20), "End": hm(23)}]  # temporary hours replace Friday's
    assert days["2026-12-05"] == [{"Start": hm(0), "End": hm(12)}, {"Start": hm(13), "End": hm(0)}]
    assert days["2026-12-06"] == [{"Start": hm(10), "End": hm(12)}]


def test_override_rules_the_service_documents_and_those_the_emulator_refuses(
    connect: Any, seeded: Scenario, office: str
) -> None:
    def create(name: str, **members: Any) -> Any:
        request = {"Config": [], "EffectiveFrom": "2026-12-24", "EffectiveTill": "2026-12-26", **members}
        return connect.create_hours_of_operation_override(
            InstanceId=seeded.instance, HoursOfOperationId=office, Name=name, **request
        )

    create("Christmas", OverrideType="CLOSED")
    with pytest.raises(connect.exceptions.DuplicateResourceException):
        create("Christmas", OverrideType="CLOSED")
    with pytest.raises(connect.exceptions.InvalidParameterException, match="EffectiveFrom"):
        create("Backwards", EffectiveFrom="2026-12-27")
    with pytest.raises(connect.exceptions.InvalidParameterException, match="EffectiveTill"):
        create("Not a date", EffectiveTill="2026-02-30")
    with pytest.raises(connect.exceptions.InvalidRequestException, match="recurring"):
        create("Monthly", RecurrenceConfig={"RecurrencePattern": {"Frequency": "MONTHLY", "Interval": 1}})
    with pytest.raises(connect.exceptions.InvalidParameterException, match="OverrideType"):
        create("Odd", OverrideType="MAYBE")  # the model's enum
    for number in range(49):
        create(f"Day {number}")
    with pytest.raises(connect.exceptions.LimitExceededException):
        create("The 51st")
    with pytest.raises(connect.exceptions.InvalidParameterException, match="FromDate"):
        effective(connect, seeded.instance, office, "2026-12-05", "2026-12-04")


def test_hours_calls_are_authorised_like_connect(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario, office: str
) -> None:
    base = f"arn:aws:connect:us-east-1:123456789012:instance/{seeded.instance}"
    emulator.add_queue(QueueSeed(seeded.instance, "queue-ny", hours_of_operation_id=office))
    emulator.set_policy(PolicySeed(connect_statements("aws", "us-east-1", "123456789012", seeded.instance)))
    connect.describe_queue(InstanceId=seeded.instance, QueueId="queue-ny")
    connect.describe_hours_of_operation(InstanceId=seeded.instance, HoursOfOperationId=office)
    effective(connect, seeded.instance, office, "2026-12-04", "2026-12-10")

    emulator.set_policy(
        PolicySeed(
            [
                {
                    "Effect": "Allow",
                    "Action": "connect:GetEffectiveHoursOfOperations",
                    "Resource": f"{base}/operating-hours/*",  # not the instance itself
                }
            ]
        )
    )
    with pytest.raises(ClientError) as raised:
        effective(connect, seeded.instance, office, "2026-12-04", "2026-12-10")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"on resource: {base} " in raised.value.response["Error"]["Message"]
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.create_hours_of_operation_override(
            InstanceId=seeded.instance,
            HoursOfOperationId=office,
            Name="Denied",
            Config=[],
            EffectiveFrom="2026-12-24",
            EffectiveTill="2026-12-24",
        )


def test_seeding_refuses_unknown_time_zones_days_and_hours(
    emulator: ConnectEmulator, seeded: Scenario
) -> None:
    admin = EmulatorAdminClient(emulator.endpoint_url)
    with pytest.raises(EmulatorAdminError, match="time zone"):
        admin.add_hours_of_operation(HoursSeed(seeded.instance, time_zone="Mars/Olympus"))
    with pytest.raises(EmulatorAdminError, match="day"):
        admin.add_hours_of_operation(
            HoursSeed(seeded.instance, config=[{"day": "FUNDAY", "start": "09:00", "end": "17:00"}])
        )
    with pytest.raises(EmulatorAdminError, match="HH:MM"):
        admin.add_hours_of_operation(
            HoursSeed(seeded.instance, config=[{"day": "MONDAY", "start": "24:00", "end": "17:00"}])
        )
    with pytest.raises(EmulatorAdminError, match="hours of operation"):
        admin.add_queue(QueueSeed(seeded.instance, hours_of_operation_id="missing"))


def test_an_administrator_adds_an_override_past_the_functions_policy_with_the_apis_rules(
    connect: Any, emulator: ConnectEmulator, seeded: Scenario, office: str
) -> None:
    emulator.set_policy(PolicySeed(connect_statements("aws", "us-east-1", "123456789012", seeded.instance)))
    admin = EmulatorAdminClient(emulator.endpoint_url)
    override_id = admin.add_hours_override(
        OverrideSeed(seeded.instance, office, "Holiday", "2026-12-07", "2026-12-07", "CLOSED")
    )
    assert effective(connect, seeded.instance, office, "2026-12-07", "2026-12-08") == {
        "2026-12-07": [],
        "2026-12-08": [{"Start": hm(9), "End": hm(17)}],
    }
    assert override_id
    with pytest.raises(EmulatorAdminError, match="exists"):
        admin.add_hours_override(OverrideSeed(seeded.instance, office, "Holiday", "2026-12-08", "2026-12-08"))
