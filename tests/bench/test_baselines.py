"""The benchmarks' baselines and packaging: what keeps a comparison like-for-like, checked without a run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import baseline_calls, common
from bench.cold_start import SHIPPED_MODELS_DIR, stock_package
from escalation import contract
from escalation.domain.schedule_names import timer_names


def test_the_baselines_use_the_ledger_and_event_names_of_the_service() -> None:
    assert baseline_calls.LEDGER_PARTITION_KEY == contract.LEDGER_PARTITION_KEY
    assert baseline_calls.LEDGER_SORT_KEY == contract.LEDGER_SORT_KEY
    assert baseline_calls.EVENT_SOURCE == contract.ESCALATION_EVENT_SOURCE


def test_the_api_path_describes_the_contact_before_taking_the_idempotency_record() -> None:
    assert sorted(baseline_calls.BARE9_API_OPERATIONS) == sorted(baseline_calls.BARE9_OPERATIONS)
    assert baseline_calls.BARE9_API_OPERATIONS[:2] == ("DescribeContact", "PutItem")
    assert baseline_calls.BARE9_OPERATIONS[:2] == ("PutItem", "DescribeContact")


def test_the_stock_package_is_the_handler_without_its_shipped_models_or_bytecode(tmp_path: Path) -> None:
    package = stock_package(tmp_path / "package")
    assert (package / "escalation" / "handler.py").read_bytes() == (
        common.LAMBDAS_DIR / "escalation" / "handler.py"
    ).read_bytes()
    assert (package / "escalation" / "routing_rules.json").exists()
    assert not (package / "escalation" / SHIPPED_MODELS_DIR.name).exists()
    assert not list(package.rglob("__pycache__"))
    assert not list(package.rglob("*.pyc"))


def test_a_child_of_the_stock_package_cannot_import_this_checkouts_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(common.LAMBDAS_DIR), "/elsewhere"]))
    entries = common.python_path_env(tmp_path).split(os.pathsep)
    assert entries[0] == str(tmp_path)
    assert str(common.LAMBDAS_DIR) not in entries
    assert "/elsewhere" in entries
    assert common.python_path_env().split(os.pathsep)[0] == str(common.LAMBDAS_DIR)


def test_baresched_names_its_schedules_and_reads_events_as_the_service_does() -> None:
    assert baseline_calls.CONTACT_EVENT_SOURCE == contract.CONTACT_EVENT_SOURCE
    assert baseline_calls.CONTACT_EVENT_DETAIL_TYPE == contract.CONTACT_EVENT_DETAIL_TYPE
    assert baseline_calls.SLA_BREACH_SOURCE == contract.SLA_BREACH_SOURCE
    assert baseline_calls.SLA_BREACH_DETAIL_TYPE == contract.SLA_BREACH_DETAIL_TYPE
    assert baseline_calls.SLA_WARNING_DETAIL_TYPE == contract.SLA_WARNING_DETAIL_TYPE
    assert (
        baseline_calls._schedule_name(baseline_calls.SLA_SCHEDULE_PREFIX, "c-1"),
        baseline_calls._schedule_name(baseline_calls.SLA_WARNING_SCHEDULE_PREFIX, "c-1"),
    ) == timer_names("c-1")
