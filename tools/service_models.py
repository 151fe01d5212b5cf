"""Writes the trimmed botocore service models the function ships (`make models`).

    python -m tools.service_models [--check]

For each service in `contract.TRIMMED_MODEL_OPERATIONS`, the installed botocore's newest
`service-2.json` is cut down to those operations and the shapes they reach (errors included), with its
documentation removed, and written to `lambdas/escalation/botocore_models/<service>/<version>/`. The
composition root puts that directory first on its botocore session's data path, so its clients load
these models instead of the full ones; every other file (endpoint rules, paginators, retries) still comes
from the runtime's botocore. `--check` exits 1 when the committed files differ from what the installed
botocore gives (after a botocore upgrade: run `make models`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import botocore

from escalation import contract

REPO_ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO_ROOT / "lambdas" / "escalation" / "botocore_models"
BOTOCORE_DATA = Path(botocore.__file__).parent / "data"


def _shape_names(node: Any) -> Iterable[str]:
    """Every shape a model fragment names (`{"shape": ...}`), at any depth."""
    if isinstance(node, dict):
        if isinstance(node.get("shape"), str):
            yield node["shape"]
        for value in node.values():
            yield from _shape_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _shape_names(value)


def _without_documentation(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_documentation(value) for key, value in node.items() if key != "documentation"}
    if isinstance(node, list):
        return [_without_documentation(value) for value in node]
    return node


def newest_version_dir(service: str) -> Path:
    return max(path for path in (BOTOCORE_DATA / service).iterdir() if path.is_dir())


def full_model(version_dir: Path) -> dict[str, Any]:
    compressed = version_dir / "service-2.json.gz"
    raw = (
        gzip.decompress(compressed.read_bytes())
        if compressed.exists()
        else (version_dir / "service-2.json").read_bytes()
    )
    model: dict[str, Any] = json.loads(raw)
    return model


def trimmed_model(model: Mapping[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    """`model` with only `operations` and the shapes they reach; KeyError for an unknown operation."""
    kept = {name: model["operations"][name] for name in sorted(operations)}
    shapes: dict[str, Any] = {}
    pending = {name for operation in kept.values() for name in _shape_names(operation)}
    while pending:
        name = pending.pop()
        if name not in shapes:
            shapes[name] = model["shapes"][name]
            pending |= set(_shape_names(shapes[name])) - shapes.keys()
    trimmed: dict[str, Any] = _without_documentation(
        {
            "version": model.get("version", "2.0"),
            "metadata": model["metadata"],
            "operations": kept,
            "shapes": shapes,
        }
    )
    return trimmed


def generated() -> dict[Path, str]:
    """Each trimmed model's path under MODELS_DIR and its text, from the installed botocore."""
    files: dict[Path, str] = {}
    for service, operations in contract.TRIMMED_MODEL_OPERATIONS.items():
        version_dir = newest_version_dir(service)
        model = trimmed_model(full_model(version_dir), operations)
        text = json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n"
        files[Path(service) / version_dir.name / "service-2.json"] = text
    return files


def committed() -> dict[Path, str]:
    return {path.relative_to(MODELS_DIR): path.read_text() for path in MODELS_DIR.rglob("service-2.json")}


def write() -> None:
    expected = generated()
    for stale in committed().keys() - expected.keys():
        (MODELS_DIR / stale).unlink()
    for path, text in expected.items():
        (MODELS_DIR / path).parent.mkdir(parents=True, exist_ok=True)
        (MODELS_DIR / path).write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when they differ")
    if parser.parse_args(argv).check:
        expected, actual = generated(), committed()
        differ = sorted(
            str(path) for path in expected.keys() | actual.keys() if expected.get(path) != actual.get(path)
        )
        for path in differ:
            print(f"out of date: {MODELS_DIR / path} (run `make models`)", file=sys.stderr)
        return 1 if differ else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
