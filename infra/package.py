"""The function's deployment package: `lambdas/` as the runtime imports it, bytecode compiled ahead of time.

Lambda's `/var/task` is read-only, so an interpreter there can never cache the bytecode it compiles:
without `__pycache__` in the package, every cold start compiles every module of the handler again. The
package carries it, written by the interpreter that synthesizes when that is the runtime's version (the
Makefile's is); with another, no bytecode is written (its files would carry another version's tag and
the runtime would ignore them) and a line on stderr says so. The `.pyc` files are checked-hash: the
runtime compares them with the source's hash, not its timestamp (an archive need not keep timestamps),
and a source edited after packaging is compiled afresh rather than ignored.

This module does not import the CDK: the benchmarks build the same package to measure what is deployed.
"""

from __future__ import annotations

import compileall
import importlib.util
import py_compile
import shutil
import sys
from pathlib import Path

# Never packaged: caches and tool leftovers (the CDK's asset fingerprint skips the same).
EXCLUDED = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.egg-info", ".DS_Store")
ASSET_EXCLUDES = [f"**/{pattern}" for pattern in EXCLUDED]
RUNTIME_VERSION = (3, 13)  # the function's runtime, lambda_.Runtime.PYTHON_3_13
# What the package's code needs of the function's environment, beside its settings. pydantic looks for
# plugins on its first model by reading the entry points of every installed distribution; the function
# uses none, and `__all__` is pydantic's documented switch to skip the search.
RUNTIME_ENVIRONMENT = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}
# Pure-Python packages the runtime lacks, copied into the package from this environment (requirements.txt
# pins them): `tzdata`, the time-zone database business-hours SLA clocks read instead of the OS's.
VENDORED_PACKAGES = ("tzdata",)


def installed_package_dir(name: str) -> Path:
    """Where this environment's copy of the top-level package `name` lives."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"package {name!r} is not installed: pip install -r requirements.txt")
    return Path(spec.origin).parent


def build(source: Path, output: Path, vendored: tuple[str, ...] = VENDORED_PACKAGES) -> bool:
    """Copy `source` and the `vendored` packages into `output` (which may exist) and compile them;
    False when no bytecode was written."""
    shutil.copytree(source, output, ignore=shutil.ignore_patterns(*EXCLUDED), dirs_exist_ok=True)
    for name in vendored:
        shutil.copytree(
            installed_package_dir(name),
            output / name,
            ignore=shutil.ignore_patterns(*EXCLUDED),
            dirs_exist_ok=True,
        )
    if sys.version_info[:2] != RUNTIME_VERSION:
        running = ".".join(map(str, sys.version_info[:2]))
        wanted = ".".join(map(str, RUNTIME_VERSION))
        print(
            f"package: Python {running} is not the runtime's {wanted}: no bytecode packaged", file=sys.stderr
        )
        return False
    return bool(
        compileall.compile_dir(
            output,
            quiet=1,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            workers=1,
        )
    )
