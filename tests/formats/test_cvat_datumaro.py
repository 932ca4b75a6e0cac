"""Our CVAT for video output opens in Datumaro's CVAT importer with the same tracks and shapes.

Datumaro is a test-only extra (`pip install -e ".[datumaro]"`, its own venv): skipped when absent.
Counted on both sides: distinct track ids, and the shapes that are not `outside` (Datumaro keeps
an `outside` shape as an annotation with `outside=True`; CVAT does not draw it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("datumaro", reason="Datumaro (test-only extra) is not installed")

from labelview.convert import convert

SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton")
VIDEO = "encord/hafnia_midwest-vehicle-detection_video_bbox-polygon.json"
FIXTURE = Path(__file__).parent.parent / "data" / "cvat" / "dagshub_sample_video.xml"


def _ours(xml: Path) -> tuple[int, int]:
    root = ET.parse(xml).getroot()
    tracks = root.findall("track")
    shapes = sum(
        1
        for track in tracks
        for shape in track
        if shape.tag in SHAPES and shape.get("outside") != "1"
    )
    return len(tracks), shapes


def _datumaro(folder: Path) -> tuple[int, int]:
    import datumaro as dm

    dataset = dm.Dataset.import_from(str(folder), "cvat")
    tracks, shapes = set(), 0
    for item in dataset:
        for annotation in item.annotations:
            if annotation.attributes.get("outside"):
                continue
            if "track_id" in annotation.attributes:
                tracks.add(annotation.attributes["track_id"])
            shapes += 1
    return len(tracks), shapes


@pytest.mark.parametrize("source", ["fixture", "encord"])
def test_cvat_video_output_opens_in_datumaro(source: str, request, tmp_path: Path) -> None:
    path = FIXTURE if source == "fixture" else request.getfixturevalue("samples") / VIDEO
    convert(path, tmp_path / "out", "cvat", options={"cvat": {"mode": "video", "images": "none"}})
    assert _datumaro(tmp_path / "out") == _ours(tmp_path / "out" / "annotations.xml")
