"""Categories, skeletons, object labels and relations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Imported at run time: pydantic resolves these annotations when Item's schema is built.
from labelview.model.classifications import Answer
from labelview.model.geometry import Geometry

Source = Literal["manual", "model"]
Rgb = tuple[int, int, int]


class Skeleton(BaseModel):
    """Keypoint template: point names and 0-based edges between them."""

    model_config = ConfigDict(frozen=True)

    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...] = ()
    colors: tuple[Rgb | None, ...] = ()  # optional per-point colour


class Category(BaseModel):
    """A class of object. `name` is its key in Dataset.categories (and in ObjectLabel.category)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    id: int | str | None = None  # the id the source format gave it (not used for writing)
    color: Rgb | None = None
    supercategory: str | None = None
    shape: str | None = None  # the tool/shape the ontology declares, when it declares one
    skeleton: Skeleton | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


@dataclass(slots=True, eq=False)
class ObjectLabel:
    """One labelled object (on one frame, for multi-frame items); `track` links it across frames."""

    category: str
    geometry: Geometry | None  # None for labels with no drawable shape (kept in `extra`)
    id: str | None = None  # the source's id (objectHash, objectId, annotation id, …)
    frame: int | None = (
        None  # frame index for videos / groups / sequences / DICOM; None for single images
    )
    track: str | None = None
    attributes: list[Answer] = field(default_factory=list)
    confidence: float | None = None
    source: Source | None = None
    created_by: str | None = None
    created_at: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None
    z_order: int | None = None
    extra: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return self.geometry.kind if self.geometry is not None else "none"


@dataclass(slots=True, eq=False)
class Relation:
    """A named relation between objects (by ObjectLabel.id); directed relations read members[0] →
    rest.
    """

    name: str
    members: tuple[str, ...]
    directed: bool = False
    extra: dict[str, Any] | None = None
