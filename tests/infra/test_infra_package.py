"""The deployment package builder, on its own: what goes in, and when bytecode is written."""

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import package

REPO_ROOT = Path(__file__).resolve().parents[2]


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
    assert package.build(source, output, vendored=())
    files = {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}
    compiled = Path(importlib.util.cache_from_source(str(output / "pkg" / "__init__.py")))
    assert files == {"pkg/__init__.py", "pkg/data.json", compiled.relative_to(output).as_posix()}


def test_an_interpreter_other_than_the_runtimes_writes_no_bytecode_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(package, "RUNTIME_VERSION", (3, 12))
    output = tmp_path / "out"
    assert not package.build(_source_tree(tmp_path / "src"), output, vendored=())
    assert not list(output.rglob("*.pyc"))
    assert "no bytecode packaged" in capsys.readouterr().err


def test_the_package_ships_the_pinned_tzdata_and_its_zones_load_without_the_os_database(
    tmp_path: Path,
) -> None:
    output = tmp_path / "out"
    package.build(_source_tree(tmp_path / "src"), output)
    pinned = re.search(r"^tzdata==(\S+)", (REPO_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned is not None
    assert importlib.metadata.version("tzdata") == pinned.group(1)
    zone_file = output / "tzdata" / "zoneinfo" / "Australia" / "Lord_Howe"
    assert (output / "tzdata" / "__init__.py").is_file()
    # A child interpreter with the package first on its path and no OS time-zone directories at all.
    script = (
        "import zoneinfo, datetime, tzdata; zoneinfo.reset_tzpath([]);"
        "from escalation.adapters.time_zones import zone;"
        "z = zone('Australia/Lord_Howe');"
        "print(tzdata.__file__, datetime.datetime(2026, 1, 1, tzinfo=z).utcoffset())"
    )
    shutil.copytree(REPO_ROOT / "lambdas" / "escalation", output / "escalation", dirs_exist_ok=True)
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(output), "PYTHONTZPATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith(str(output / "tzdata"))
    assert run.stdout.strip().endswith("11:00:00")
    assert zone_file.is_file()
