"""DataGym.ai exports: the project's "Export labels" JSON and the per-task video export.

The project export is a JSON array: element 0 holds `label_classes` (the ontology), the rest are
tasks. Both key generations are read (`internal_media_ID` / `external_media_ID` and the older
`internal_image_ID` / `external_image_ID`), geometries under their typed key or the generic
`geometry` key, image segmentations as rings (ring 0 outer, the rest holes). Classification values
are arrays whose trailing objects hold child answers; they become nested Answer trees.

Video projects export no labels inline; each task points at a per-task export (`video`), read on
its own or joined to the project export when it lies beside it. See docs/formats/datagym.md.
"""

from labelview.formats.base import Format
from labelview.formats.datagym.detect import detect
from labelview.formats.datagym.read import read
from labelview.formats.datagym.values import GEOMETRY_TYPES, answers, geometry
from labelview.formats.datagym.video import video_objects

NAME = "datagym"

FORMAT = Format(
    name=NAME,
    title="DataGym.ai export",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="DataGym.ai project export JSON (and per-task video exports)",
)

__all__ = [
    "FORMAT",
    "GEOMETRY_TYPES",
    "NAME",
    "answers",
    "detect",
    "geometry",
    "read",
    "video_objects",
]
