"""Modules stay small enough to read in one sitting: a longer one says why at its top."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKED_DIRS = ("lambdas", "infra", "local", "bench")
MAX_LINES = 400
# The first line of a longer module: `# Longer than 400 lines: <the reason>`.
REASON_PREFIX = "# Longer than 400 lines: "


def _modules() -> list[Path]:
    return sorted(path for folder in CHECKED_DIRS for path in (REPO_ROOT / folder).rglob("*.py"))


def oversized_without_reason(paths: list[Path], root: Path = REPO_ROOT) -> list[str]:
    problems = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) <= MAX_LINES:
            continue
        first = lines[0] if lines else ""
        if not (first.startswith(REASON_PREFIX) and first.removeprefix(REASON_PREFIX).strip()):
            problems.append(f"{path.relative_to(root)}: {len(lines)} lines, no '{REASON_PREFIX}…' line")
    return problems


def test_every_module_is_at_most_400_lines_or_says_why() -> None:
    assert oversized_without_reason(_modules()) == []


@pytest.mark.parametrize(
    ("first_line", "flagged"),
    [
        ("", True),
        ("# Longer than 400 lines: ", True),
        ('"""A docstring."""', True),
        ("# Longer than 400 lines: one table of botocore shapes, split it and nothing reads better", False),
    ],
)
def test_a_long_module_passes_only_with_a_stated_reason(
    tmp_path: Path, first_line: str, flagged: bool
) -> None:
    module = tmp_path / "long.py"
    module.write_text("\n".join([first_line, *["x = 1"] * MAX_LINES]) + "\n", encoding="utf-8")

    assert bool(oversized_without_reason([module], root=tmp_path)) is flagged
