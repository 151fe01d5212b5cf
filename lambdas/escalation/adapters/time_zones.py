"""IANA time zones from the `tzdata` package the function ships, never from the operating system.

The Lambda runtime's own zoneinfo database is not something to rely on (its presence and version are
the image's business), so zones are read from the pinned `tzdata` package's files, each once.
"""

import re
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

# Letters, digits and `_+-` in `/`-separated parts: no empty part, no `..`, nothing absolute.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")


class UnknownTimeZone(ValueError):
    """A time zone name the tzdata package has no file for."""


@cache
def zone(name: str) -> ZoneInfo:
    if not _ZONE_NAME.fullmatch(name):
        raise UnknownTimeZone(f"not a time zone name: {name[:64]!r}")
    try:
        with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as source:
            return ZoneInfo.from_file(source, key=name)
    except (OSError, ValueError):
        raise UnknownTimeZone(f"tzdata has no time zone {name!r}") from None
