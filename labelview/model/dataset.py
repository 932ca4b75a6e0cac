"""Dataset and Item: the one in-memory truth every reader fills and every writer reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from labelview.errors import Issue
from labelview.model.classifications import Answer
from labelview.model.history import StageEvent
from labelview.model.objects import Category, ObjectLabel, Relation

ItemKind = Literal["image", "group", "sequence", "video", "dicom", "other"]

# Objects and answers are slotted dataclasses validated by the reader; pydantic must not walk a
# million of them.
_Unchecked = SkipValidation


class Frame(BaseModel):
    """One frame of a multi-frame item: video frame, image of a group/sequence, DICOM slice."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    name: str | None = None
    image: str | None = None  # image reference as written in the export (relative path or URL)
    image_path: Path | None = None  # resolved local file, when found
    width: int | None = None
    height: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class Item(BaseModel):
    """One data unit of an export: image, image group or sequence, video or DICOM series."""

    model_config = ConfigDict(arbitrary_types_allowed=True, validate_assignment=False)

    id: str
    name: str  # what a user calls it: usually the image's relative path as in the export
    kind: ItemKind = "image"
    image: str | None = None  # image reference as written in the export (relative path or URL)
    image_path: Path | None = None  # resolved local file, when found
    width: int | None = None
    height: int | None = None
    frames: list[Frame] = Field(default_factory=list)
    fps: float | None = None
    objects: Annotated[list[ObjectLabel], _Unchecked] = Field(default_factory=list)
    classifications: Annotated[list[Answer], _Unchecked] = Field(default_factory=list)
    relations: Annotated[list[Relation], _Unchecked] = Field(default_factory=list)
    history: Annotated[list[StageEvent], _Unchecked] = Field(default_factory=list)
    status: str | None = None
    labeler: str | None = (
        None  # who labelled it (for filters); readers fill it when the export says
    )
    extra: dict[str, Any] = Field(default_factory=dict)

    def size_of(self, frame: int | None = None) -> tuple[int, int] | None:
        """(width, height) of the item or of one of its frames, when known."""
        if frame is not None:
            for candidate in self.frames:
                if candidate.index == frame and candidate.width and candidate.height:
                    return candidate.width, candidate.height
        if self.width and self.height:
            return self.width, self.height
        return None

    def objects_on(self, frame: int | None) -> list[ObjectLabel]:
        """Objects shown on `frame` (objects without a frame show on every frame)."""
        if frame is None:
            return list(self.objects)
        return [obj for obj in self.objects if obj.frame is None or obj.frame == frame]

    def frame_indices(self) -> list[int]:
        """Sorted frame indices: the declared frames plus any frame an object sits on."""
        indices = {frame.index for frame in self.frames}
        indices.update(obj.frame for obj in self.objects if obj.frame is not None)
        return sorted(indices)


class Dataset(BaseModel):
    """Categories, items and what the reader noticed along the way."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    format: str = ""  # registry name of the format it was read from
    source: Path | None = None  # the file or folder it was read from
    categories: dict[str, Category] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    issues: Annotated[list[Issue], _Unchecked] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    def category(self, name: str, **fields: Any) -> Category:
        """The category called `name`, created (with `fields`) on first use."""
        found = self.categories.get(name)
        if found is None:
            found = self.categories[name] = Category(name=name, **fields)
        return found

    def objects(self) -> Iterator[tuple[Item, ObjectLabel]]:
        for item in self.items:
            for obj in item.objects:
                yield item, obj

    @property
    def object_count(self) -> int:
        return sum(len(item.objects) for item in self.items)

    def counts(self) -> dict[str, Counter[str]]:
        """Object counts per category and per shape kind."""
        by_category: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        for _, obj in self.objects():
            by_category[obj.category] += 1
            by_kind[obj.kind] += 1
        return {"category": by_category, "kind": by_kind}
