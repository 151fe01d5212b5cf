"""The failure matrix in docs/error-policy.md is the one generated from the rows the suite runs."""

from __future__ import annotations

from tests.reliability.failure_matrix import ROWS, markdown_table
from tools.failure_table import DOC, main, rewritten


def test_the_committed_table_is_the_generated_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert rewritten(text) == text, "run: python -m tools.failure_table"
    assert main(["--check"]) == 0


def test_every_row_is_in_the_table() -> None:
    table = markdown_table()
    for row in ROWS:
        assert f"| {row.dependency} | {row.operation} | {row.when} |" in table
