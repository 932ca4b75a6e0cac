"""Stage history and status: v3 `stageHistory`, v2 per-task completion and review."""

from __future__ import annotations

from typing import Any

from labelview.formats.ango.sources import Place
from labelview.formats.ango.values import iso_time, nonempty_str, seconds_from_ms
from labelview.model import Item, StageEvent


class StatusMixin:
    def _v3_status(self, at: Place, task: dict, item: Item) -> None:
        history = task.get("stageHistory")
        labeler = None
        if isinstance(history, list):
            for index, entry in enumerate(history):
                if not isinstance(entry, dict):
                    self.warn(
                        "stage entry not an object",
                        at("task", "stageHistory", index),
                        "stage history entry is not an object; skipped",
                        item=item.id,
                    )
                    continue
                event = self._stage_event(entry)
                item.history.append(event)
                stage_type = (event.extra or {}).get("type")
                is_label = (
                    stage_type == "Label"
                    if stage_type
                    else "label" in f"{entry.get('stageId')} {entry.get('stage')}".lower()
                )
                if event.actor and is_label:
                    labeler = event.actor
            if labeler is None:
                labeler = next(
                    (e.actor for e in item.history if e.actor and e.action == "submitted"), None
                )
        stage = nonempty_str(task.get("stage"))
        if stage or task.get("updatedAt"):
            extra = {
                k: task[k]
                for k in ("stageId", "taskId", "totalDuration", "consensusAverage")
                if k in task
            }
            item.history.append(
                StageEvent(
                    stage=stage,
                    actor=nonempty_str(task.get("updatedBy")),
                    action="current",
                    at=iso_time(task.get("updatedAt")),
                    duration=seconds_from_ms(task.get("totalDuration")),
                    extra=extra or None,
                )
            )
        item.status = stage
        item.labeler = labeler or nonempty_str(task.get("updatedBy"))
        item.extra["task"] = {
            k: v
            for k, v in task.items()
            if k not in ("tools", "classifications", "relations", "stageHistory")
        }

    def _stage_event(self, entry: dict) -> StageEvent:
        stage_id = nonempty_str(entry.get("stageId"))
        review = nonempty_str(entry.get("reviewStatus"))
        actor = nonempty_str(entry.get("completedBy"))
        if review:
            action = review.lower()
        elif stage_id == "Start":
            action = "started"
        else:
            action = "submitted" if actor else "completed"
        # A snapshot repeats the task's annotations as they left the stage: keep their counts,
        # not the lists (they would keep the whole parsed export alive, once per stage).
        extra: dict[str, Any] = {}
        for key, value in entry.items():
            if key in ("tools", "classifications", "relations") and isinstance(value, list):
                extra[f"{key}_count"] = len(value)
            elif key not in ("stage", "completedBy", "completedAt", "duration", "duration(ms)"):
                extra[key] = value
        stage_info = self.ontology.stages.get(stage_id or "")
        if stage_info and stage_info.get("type"):
            extra["type"] = stage_info["type"]
        return StageEvent(
            stage=nonempty_str(entry.get("stage")) or stage_id,
            actor=actor,
            action=action,
            at=iso_time(entry.get("completedAt")),
            duration=seconds_from_ms(entry.get("duration", entry.get("duration(ms)"))),
            extra=extra,
        )

    def _v2_status(self, asset: dict, tasks: list[dict], item: Item) -> None:
        listed = []
        for index, task in enumerate(tasks):
            actor = nonempty_str(task.get("completedBy"))
            skipped = bool(task.get("isSkipped"))
            objects = task.get("objects")
            listed.append(
                {
                    "taskId": task.get("taskId"),
                    "labeler": actor,
                    "completedAt": task.get("completedAt"),
                    "objects": len(objects) if isinstance(objects, list) else 0,
                    "review": (task.get("review") or {}).get("status")
                    if isinstance(task.get("review"), dict)
                    else None,
                }
            )
            extra = {
                k: v
                for k, v in task.items()
                if k
                not in ("objects", "classifications", "relations", "completedBy", "completedAt")
            }
            extra["task_index"] = index
            if task.get("completedAt") or actor:
                item.history.append(
                    StageEvent(
                        stage="Label",
                        actor=actor,
                        action="skipped" if skipped else "submitted",
                        at=iso_time(task.get("completedAt")),
                        duration=seconds_from_ms(task.get("duration", task.get("duration(ms)"))),
                        extra=extra,
                    )
                )
            review = task.get("review")
            if isinstance(review, dict) and review.get("status") not in (None, "", "Todo"):
                by = review.get("completedBy")
                reviewer = (
                    ", ".join(str(b) for b in by) if isinstance(by, list) else nonempty_str(by)
                )
                item.history.append(
                    StageEvent(
                        stage="Review",
                        actor=reviewer or None,
                        action="skipped"
                        if review.get("isSkipped")
                        else str(review["status"]).lower(),
                        at=iso_time(asset.get("reviewedAt")) if index == 0 else None,
                        duration=seconds_from_ms(
                            review.get("duration", review.get("duration(ms)"))
                        ),
                        extra={"taskId": task.get("taskId"), "task_index": index},
                    )
                )
        item.extra["tasks"] = listed
        first = tasks[0] if tasks else {}
        review = first.get("review") if isinstance(first.get("review"), dict) else {}
        if isinstance(asset.get("status"), str) and asset["status"]:
            item.status = asset["status"]
        elif isinstance(first.get("status"), str) and first["status"]:
            item.status = first["status"]
        elif first.get("isSkipped"):
            item.status = "Skipped"
        elif review.get("status") not in (None, "", "Todo"):
            item.status = f"Review {review['status']}"
        elif first.get("completedAt"):
            item.status = "Labeled"
        item.labeler = nonempty_str(first.get("completedBy"))
