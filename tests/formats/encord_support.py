"""Helpers the Encord reader tests share (the `mini` fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from labelview import formats
from labelview.formats.base import ReadContext
from labelview.model.classifications import walk

DATA = Path(__file__).resolve().parent.parent / "data" / "encord"
ENCORD_SAMPLES = (
    "encord-platform-export_dicom-image-nifti_all-shapes.json",
    "encord-sdk-2022_image-group_rotatable-bboxes.json",
    "encord-sdk-2022_image-groups-and-videos_bbox-polygon.json",
    "encord-sdk-2022_video_dynamic-attributes.json",
    "encord-sdk_dicom_dynamic-attribute-actions.json",
    "encord-sdk_dicom_slice-metadata.json",
    "encord-sdk_image-group_5-images.json",
    "encord-sdk_image_bbox-polygon-nested-attributes.json",
    "encord-sdk_image_skeleton-visibility.json",
    "encord-sdk_video_bbox-point.json",
    "encord-sdk_video_dynamic-attributes.json",
    "hafnia_midwest-vehicle-detection_video_bbox-polygon.json",
)


def read(path: Path, **options):
    return formats.read(path, format="encord", ctx=ReadContext(file=path, **options))


def item(dataset, name):
    return next(i for i in dataset.items if i.name == name)


def obj(it, object_id, frame=None):
    return next(o for o in it.objects if o.id == object_id and o.frame == frame)


def answers(attrs):
    """{'path/to/question': value} over a whole answer tree."""
    return {path: a.value for path, a in walk(attrs)}
