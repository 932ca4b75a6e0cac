"""An Encord row's history: creation, edits, exports, status, and review verdicts.

Older exports carry per-object (and per-classification) `reviews`: one record per verdict, with
`approved` true or false, the reviewer, the time and a comment. A track repeats its reviews on
every frame it appears in, and a record nests the earlier rounds in `metadata.reviews`; each
verdict becomes one StageEvent, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labelview.formats._reading import Skip, mapping, optional_text, sequence
from labelview.formats.encord.values import iso_time
from labelview.model import StageEvent


def row_history(row: dict, reviews: list[StageEvent]) -> list[StageEvent]:
    """Creation, exports, edits and review verdicts in time order, then the statuses."""
    events: list[StageEvent] = []
    if row.get("created_at"):
        events.append(StageEvent(action="created", at=iso_time(row["created_at"])))
    for export in row.get("export_history") or []:
        if isinstance(export, dict):
            events.append(
                StageEvent(
                    stage="export",
                    actor=export.get("user_email"),
                    action="exported",
                    at=iso_time(export.get("exported_at")),
                    extra={"export_hash": export.get("export_hash")},
                )
            )
    if row.get("last_edited_at"):
        events.append(StageEvent(action="edited", at=iso_time(row["last_edited_at"])))
    events.extend(reviews)
    events.sort(key=lambda event: event.at or "")
    if row.get("label_status"):
        events.append(StageEvent(stage="label", action=str(row["label_status"]).lower()))
    if row.get("annotation_task_status"):
        events.append(StageEvent(stage="task", action=str(row["annotation_task_status"]).lower()))
    return events


def review_events(
    records: Any, target: str, target_hash: str | None, frame: int | None, seen: set[tuple]
) -> Iterator[tuple[int, StageEvent | Skip]]:
    """(position, event) for each review record not seen before; a bad record gives (position,
    Skip) so the caller can warn at its location and go on.
    """
    for position, record in enumerate(sequence(records, "reviews")):
        try:
            event = _review(mapping(record, "a review"), target, target_hash, frame)
        except Skip as error:
            yield position, error
            continue
        key = (target_hash, event.at, event.action, event.actor, (event.extra or {}).get("comment"))
        if key not in seen:
            seen.add(key)
            yield position, event


def _review(record: Any, target: str, target_hash: str | None, frame: int | None) -> StageEvent:
    approved = record.get("approved")
    status = optional_text(record.get("status"), "review status")
    if approved is True:
        action = "approved"
    elif approved is False:
        action = "rejected"
    else:  # no verdict: the record's status ("ASSIGNED"…) is stage history, not a verdict
        action = status.lower() if status else "reviewed"
    actor = optional_text(record.get("user_email") or record.get("createdBy"), "reviewer")
    extra: dict[str, Any] = {target: target_hash}
    if frame is not None:
        extra["frame"] = frame
    comment = optional_text(record.get("comment"), "review comment")
    if comment is not None:
        extra["comment"] = comment
    if record.get("id") is not None:
        extra["review_id"] = record["id"]
    if status is not None:
        extra["status"] = status
    return StageEvent(
        stage="review",
        actor=actor,
        action=action,
        at=iso_time(record.get("createdAt") or record.get("created_at")),
        extra=extra,
    )
