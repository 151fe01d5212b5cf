"""The README is a map: every relative link in it and in docs/ leads somewhere, anchors included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
README = REPO_ROOT / "README.md"

FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target) or [text](target "title"); images too. The text may hold code spans (removed first).
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def documents() -> list[Path]:
    """README.md, docs/*.md and the README of each top-level folder (events/, bench/ ...)."""
    folders = [p for p in REPO_ROOT.glob("*/README.md") if p.parent.name not in {"node_modules", ".venv"}]
    return [README, *sorted(DOCS.glob("*.md")), *sorted(folders)]


def _prose(markdown: str) -> str:
    """The text links can sit in: no fenced blocks; code spans keep their length, not their brackets."""
    without_blocks = FENCED_BLOCK.sub("", markdown)
    return INLINE_CODE.sub(lambda m: "`" + "x" * (len(m.group()) - 2) + "`", without_blocks)


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: rendered text lower-cased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text, not its target
    text = text.lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters, digits and underscores, as GitHub does
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor, with GitHub's -1, -2 ... for repeats."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCED_BLOCK.sub("", markdown)):
        base = github_anchor(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def relative_links(markdown: str) -> list[str]:
    targets = LINK.findall(_prose(markdown))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def broken_links(document: Path) -> list[str]:
    problems = []
    for target in relative_links(document.read_text(encoding="utf-8")):
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text("utf-8")):
            problems.append(f"{target}: no heading with that anchor")
    return problems


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_every_docs_file_is_linked_from_the_readme() -> None:
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in relative_links(README.read_text())}
    assert [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked] == []


def test_the_readme_first_screen_is_the_map() -> None:
    """What it is with its three triggers, the diagram, the commands, the concern map: in the first screen."""
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:45])
    for must in ("POST /escalations", "escalation.sla", "contact events", "EventBridge Scheduler"):
        assert must in first_screen, must
    assert "agent desktop ──POST /escalations──►" in first_screen  # the diagram
    for command in ("make demo", "make test"):
        assert re.search(rf"^{command}\b", first_screen, re.MULTILINE), command
    assert "| concern |" in first_screen


def test_the_checker_finds_a_broken_file_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## A local stack: `make serve`\n\n## Same\n\n## Same\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-local-stack-make-serve) [ok](other.md#same-1) [ok](#page) `[not](a-link.md)`\n"
        "# Page\n\n```\n[not a link](missing.md)\n```\n"
        "[gone](missing.md) [bad](other.md#nope) [web](https://example.com/x)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nope: no heading with that anchor",
    ]
