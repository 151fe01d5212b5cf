"""The cognito:groups claim in each documented form, parsed exactly, and group names checked at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from escalation.config import ConfigurationError, load_settings
from escalation.contract import EnvVar
from escalation.domain.authorization import parse_groups


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        pytest.param("supervisors", {"supervisors"}, id="rest-one"),
        pytest.param("agents,supervisors", {"agents", "supervisors"}, id="rest-two"),
        pytest.param("[supervisors]", {"supervisors"}, id="http-one"),
        pytest.param("[agents supervisors]", {"agents", "supervisors"}, id="http-two"),
        pytest.param(["agents", "supervisors"], {"agents", "supervisors"}, id="list"),
        pytest.param(["[supervisors]"], {"[supervisors]"}, id="list-element-with-brackets"),
        pytest.param(["supervisors "], {"supervisors "}, id="list-element-with-space"),
        pytest.param(["supervisors,readonly"], {"supervisors,readonly"}, id="list-element-with-comma"),
        pytest.param("supervisors ", {"supervisors "}, id="rest-with-space"),
        pytest.param("", set(), id="empty"),
        pytest.param(None, set(), id="absent"),
        pytest.param(7, set(), id="not-text"),
    ],
)
def test_each_form_of_the_groups_claim_is_parsed_exactly(claim: Any, groups: set[str]) -> None:
    assert parse_groups(claim) == groups


@pytest.mark.parametrize("claim", [["[supervisors]"], ["supervisors "], ["supervisors,readonly"]])
def test_near_misses_are_not_supervisors(claim: Any) -> None:
    assert "supervisors" not in parse_groups(claim)


@pytest.mark.parametrize("group", ["super,visors", "[supervisors]", "super visors", "super\tvisors"])
def test_a_group_name_the_claim_cannot_carry_is_refused_at_start_up(
    handler_env: dict[str, str], group: str
) -> None:
    with pytest.raises(ConfigurationError, match=EnvVar.SUPERVISOR_GROUP):
        load_settings({**handler_env, EnvVar.SUPERVISOR_GROUP: group})


def test_a_plain_group_name_is_accepted(handler_env: dict[str, str]) -> None:
    settings = load_settings({**handler_env, EnvVar.SUPERVISOR_GROUP: "escalation-supervisors"})
    assert settings.supervisor_group == "escalation-supervisors"
