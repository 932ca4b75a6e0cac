"""Spot-check review of (model-assisted) labels: filters, seeded samples and verdicts.

Verdicts live in a sidecar file next to the export (`<export>.labelview-review.json`); the export
itself is never modified. Every change is saved at once, atomically, so a crash loses nothing.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from labelview.errors import FormatError, Issue, LabelviewError
from labelview.model import Item, ObjectLabel
from labelview.output import atomic_write

VERDICTS = ("accept", "reject", "needs-fix")
SIDECAR_SUFFIX = ".labelview-review.json"
Stratum = Literal["category", "labeler"]


def sidecar_path(export: Path | str) -> Path:
    """Where the verdicts of `export` (a file or a folder) are kept: beside it."""
    export = Path(export)
    return export.with_name(export.name + SIDECAR_SUFFIX)


@dataclass(slots=True)
class Verdict:
    """A reviewer's verdict on an item or on one object."""

    verdict: str
    note: str = ""
    at: str = ""
    reviewer: str = ""
    name: str = ""  # the item's name, so exported CSVs read without the export

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise LabelviewError(f"unknown verdict {self.verdict!r} (use {', '.join(VERDICTS)})")


@dataclass(slots=True)
class ReviewLog:
    """All verdicts of one export; `save()` after each change (the setters do)."""

    path: Path
    items: dict[str, Verdict] = field(default_factory=dict)
    objects: dict[str, dict[str, Verdict]] = field(
        default_factory=dict
    )  # item id -> object id -> …

    @classmethod
    def load(cls, export: Path | str) -> ReviewLog:
        """The verdicts saved for `export` (empty when none were saved yet)."""
        path = sidecar_path(export)
        log = cls(path)
        if not path.exists():
            return log
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            for item_id, raw in data.get("items", {}).items():
                log.items[item_id] = Verdict(**raw)
            for item_id, objects in data.get("objects", {}).items():
                log.objects[item_id] = {oid: Verdict(**raw) for oid, raw in objects.items()}
        except (OSError, ValueError, TypeError, AttributeError, LabelviewError) as error:
            raise FormatError(path.name, "", f"unreadable review file: {error}") from error
        return log

    def save(self) -> None:
        data = {
            "version": 1,
            "items": {key: asdict(value) for key, value in self.items.items()},
            "objects": {
                key: {oid: asdict(value) for oid, value in objects.items()}
                for key, objects in self.objects.items()
                if objects
            },
        }
        atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))

    def set_item(
        self, item: Item, verdict: str | None, *, note: str = "", reviewer: str = ""
    ) -> None:
        """Record (or, with None, clear) the verdict on an item, and save."""
        if verdict is None:
            self.items.pop(item.id, None)
        else:
            self.items[item.id] = Verdict(verdict, note, _now(), reviewer, item.name)
        self.save()

    def set_object(
        self,
        item: Item,
        obj: ObjectLabel,
        verdict: str | None,
        *,
        note: str = "",
        reviewer: str = "",
    ) -> None:
        """Record (or clear) the verdict on one object of an item, and save."""
        key = object_key(item, obj)
        objects = self.objects.setdefault(item.id, {})
        if verdict is None:
            objects.pop(key, None)
        else:
            objects[key] = Verdict(verdict, note, _now(), reviewer, item.name)
        self.save()

    def verdict_of(self, item: Item) -> str | None:
        found = self.items.get(item.id)
        return found.verdict if found else None

    def rows(self) -> list[dict[str, str]]:
        """One row per verdict (items, then objects) for CSV/JSON export."""
        rows = [
            {
                "item_id": key,
                "item": v.name,
                "object_id": "",
                "verdict": v.verdict,
                "note": v.note,
                "reviewer": v.reviewer,
                "at": v.at,
            }
            for key, v in self.items.items()
        ]
        for key, objects in self.objects.items():
            rows.extend(
                {
                    "item_id": key,
                    "item": v.name,
                    "object_id": oid,
                    "verdict": v.verdict,
                    "note": v.note,
                    "reviewer": v.reviewer,
                    "at": v.at,
                }
                for oid, v in objects.items()
            )
        return rows

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, ["item_id", "item", "object_id", "verdict", "note", "reviewer", "at"]
        )
        writer.writeheader()
        writer.writerows(self.rows())
        return buffer.getvalue()

    def to_json(self) -> str:
        return json.dumps(self.rows(), indent=1, ensure_ascii=False)


def object_key(item: Item, obj: ObjectLabel) -> str:
    """A key for an object that is stable across reopenings: its source id, else its position."""
    if obj.id:
        return f"{obj.id}@{obj.frame}" if obj.frame is not None else obj.id
    return f"#{item.objects.index(obj)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def accepted_filter(export: Path | str) -> Callable[[Item], bool]:
    """An item filter keeping items with an 'accept' verdict (for `convert --only-accepted`)."""
    log = ReviewLog.load(export)
    accepted = {key for key, verdict in log.items.items() if verdict.verdict == "accept"}
    return lambda item: item.id in accepted


# --- filters --------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReviewFilter:
    """What a reviewer wants to see; drives both the item list and the canvas."""

    min_confidence: float = 0.0  # objects with a confidence below are hidden (no confidence: shown)
    sources: frozenset[str] = frozenset({"manual", "model", "unknown"})
    categories: frozenset[str] | None = None  # None = all
    labelers: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    stages: frozenset[str] | None = None
    verdicts: frozenset[str] | None = None  # include "none" for unreviewed
    only_with_issues: bool = False

    def object_visible(self, obj: ObjectLabel) -> bool:
        if obj.confidence is not None and obj.confidence < self.min_confidence:
            return False
        if (obj.source or "unknown") not in self.sources:
            return False
        return self.categories is None or obj.category in self.categories

    def objects(self, objects: Iterable[ObjectLabel]) -> list[ObjectLabel]:
        return [obj for obj in objects if self.object_visible(obj)]

    def item_visible(
        self, item: Item, *, issues: Sequence[Issue] = (), verdict: str | None = None
    ) -> bool:
        if self.labelers is not None and (item.labeler or "") not in self.labelers:
            return False
        if self.statuses is not None and (item.status or "") not in self.statuses:
            return False
        if self.stages is not None and not ({e.stage or "" for e in item.history} & self.stages):
            return False
        if self.verdicts is not None and (verdict or "none") not in self.verdicts:
            return False
        if self.only_with_issues and not issues:
            return False
        if self.categories is not None or self.min_confidence > 0 or len(self.sources) < 3:
            return any(self.object_visible(obj) for obj in item.objects)
        return True


def issues_by_item(issues: Iterable[Issue]) -> dict[str, list[Issue]]:
    grouped: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.item is not None:
            grouped[issue.item].append(issue)
    return grouped


# --- seeded samples -------------------------------------------------------------------------------


def sample(
    items: Sequence[Item], count: int, *, seed: int = 0, stratify: Stratum | None = None
) -> list[int]:
    """Indices of `count` items drawn reproducibly (same seed, same items → same sample).

    Stratified by category (each item counted under its most frequent category) or by labeler, the
    count is split across strata in proportion to their size, at least one each while it allows.
    """
    count = max(0, min(count, len(items)))
    rng = random.Random(seed)
    if stratify is None or count == 0:
        return sorted(rng.sample(range(len(items)), count))
    strata: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        strata[_stratum_of(item, stratify)].append(index)
    keys = sorted(strata)
    quota = {key: len(strata[key]) * count // len(items) for key in keys}
    leftovers = count - sum(quota.values())
    for key in sorted(keys, key=lambda k: (quota[k] > 0, -len(strata[k]), k)):
        if leftovers <= 0:
            break
        if quota[key] < len(strata[key]):
            quota[key] += 1
            leftovers -= 1
    chosen: list[int] = []
    for key in keys:
        chosen.extend(rng.sample(strata[key], quota[key]))
    return sorted(chosen)


def _stratum_of(item: Item, stratify: Stratum) -> str:
    if stratify == "labeler":
        return item.labeler or ""
    counts: dict[str, int] = defaultdict(int)
    for obj in item.objects:
        counts[obj.category] += 1
    return max(sorted(counts), key=counts.__getitem__) if counts else ""


def summary(items: Iterable[Item], log: ReviewLog) -> dict[str, Any]:
    """Verdict counts over `items` (for the statistics view and the CLI)."""
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[log.verdict_of(item) or "none"] += 1
    return dict(counts)
