"""Lenient conversions of Ango values (times, durations, optional strings)."""

from __future__ import annotations

from typing import Any


def nonempty_str(value: Any) -> str | None:
    """A non-empty string as it is; anything else (null, numbers, "") is no value."""
    return value if isinstance(value, str) and value else None


def seconds_from_ms(value: Any) -> float | None:
    """Ango durations are milliseconds; None when not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000.0
    return None


def iso_time(value: Any) -> str | None:
    """ISO strings as written; epoch milliseconds (the internal API's form) as ISO UTC."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        from datetime import UTC, datetime

        try:
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)  # not a plausible time: keep it as written
        return moment.isoformat().replace("+00:00", "Z")
    return None
