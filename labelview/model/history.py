"""Review and stage history of an item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, eq=False)
class StageEvent:
    """One step in an item's life: a stage done, a review verdict, an export, a status change."""

    stage: str | None = None  # e.g. "Label", "Review 1", "Complete"
    actor: str | None = None  # who did it (email or name)
    action: str | None = None  # "submitted", "accepted", "rejected", "skipped", "exported", …
    at: str | None = None  # ISO-8601 timestamp as written in the export
    duration: float | None = None  # seconds spent
    extra: dict[str, Any] | None = None
