"""Write the failure matrix (tests/reliability/failure_matrix.py) into docs/error-policy.md.

    python -m tools.failure_table          # rewrite the table between its markers
    python -m tools.failure_table --check  # exit 1 when the committed table is not the generated one

The rows are the ones tests/reliability/test_failure_matrix.py runs against the local stack, so the
table says what the suite checks, and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.reliability.failure_matrix import markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "error-policy.md"
BEGIN = "<!-- failure matrix: written by `python -m tools.failure_table` from its rows -->"
END = "<!-- end of failure matrix -->"


def rewritten(text: str) -> str:
    """`text` with the part between the markers replaced by the generated table."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + markdown_table() + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.failure_table", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the committed table is current")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    wanted = rewritten(text)
    if args.check:
        if wanted != text:
            print(
                f"{DOC.name}: the failure matrix is not the generated one; run python -m tools.failure_table"
            )
            return 1
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
