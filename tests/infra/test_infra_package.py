"""The deployment package builder, on its own: what goes in, and when bytecode is written."""

import importlib.util
from pathlib import Path

import pytest

from infra import package


def _source_tree(root: Path) -> Path:
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "pkg" / "__pycache__" / "stale.cpython-313.pyc").write_bytes(b"stale")
    (root / "pkg" / "data.json").write_text("{}")
    (root / ".mypy_cache").mkdir()
    return root


def test_the_package_has_the_sources_and_data_and_fresh_bytecode_but_no_caches(tmp_path: Path) -> None:
    source = _source_tree(tmp_path / "src")
    output = tmp_path / "out"
    assert package.build(source, output)
    files = {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}
    compiled = Path(importlib.util.cache_from_source(str(output / "pkg" / "__init__.py")))
    assert files == {"pkg/__init__.py", "pkg/data.json", compiled.relative_to(output).as_posix()}


def test_an_interpreter_other_than_the_runtimes_writes_no_bytecode_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(package, "RUNTIME_VERSION", (3, 12))
    output = tmp_path / "out"
    assert not package.build(_source_tree(tmp_path / "src"), output)
    assert not list(output.rglob("*.pyc"))
    assert "no bytecode packaged" in capsys.readouterr().err
