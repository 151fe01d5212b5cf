"""A stand-in for Lambda's `snapshot_restore_py` (the managed runtime ships the real one), for tests only:
it records the hooks registered, which the test then runs as Lambda would around a snapshot."""

from collections.abc import Callable
from typing import Any

before_snapshot: list[Callable[[], Any]] = []
after_restore: list[Callable[[], Any]] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    before_snapshot.append(lambda: func(*args, **kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    after_restore.append(lambda: func(*args, **kwargs))
    return func


def take_snapshot() -> None:
    for hook in reversed(before_snapshot):  # Lambda runs them in the reverse order of registration
        hook()


def restore() -> None:
    for hook in after_restore:
        hook()
