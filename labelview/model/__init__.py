"""The in-memory model. Coordinates: see labelview.model.geometry."""

from labelview.model.classifications import Answer
from labelview.model.dataset import Dataset, Frame, Item
from labelview.model.geometry import (
    ArrayMask,
    Box,
    CocoRle,
    Ellipse,
    Geometry,
    Keypoints,
    LazyMask,
    Mask,
    Point,
    Polygon,
    PolygonPart,
    Polyline,
    RotatedBox,
    RowMajorRle,
)
from labelview.model.history import StageEvent
from labelview.model.objects import Category, ObjectLabel, Relation, Skeleton

__all__ = [
    "Answer",
    "ArrayMask",
    "Box",
    "Category",
    "CocoRle",
    "Dataset",
    "Ellipse",
    "Frame",
    "Geometry",
    "Item",
    "Keypoints",
    "LazyMask",
    "Mask",
    "ObjectLabel",
    "Point",
    "Polygon",
    "PolygonPart",
    "Polyline",
    "Relation",
    "RotatedBox",
    "RowMajorRle",
    "Skeleton",
    "StageEvent",
]
