"""Labelbox reader: real export rows, every object kind, video frames, masks by URL, bad input."""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
from conftest import json_paths
from PIL import Image

from labelview import formats
from labelview.cli import main
from labelview.errors import LabelviewError
from labelview.formats.base import ReadContext
from labelview.model import Box, Mask, Polygon, Polyline

DATA = Path(__file__).parent.parent / "data" / "labelbox"
REAL = DATA / "labelformat_boxes.ndjson"
SDK = DATA / "sdk_image_video.ndjson"
_KINDS = {"bounding_box": "box", "polygon": "polygon", "line": "polyline", "point": "point"}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _independent_count(path: Path) -> Counter[str]:
    """Objects per shape kind from the plain JSON: image objects and every frame's objects."""
    counts: Counter[str] = Counter()
    for row in _rows(path):
        for project in row["projects"].values():
            for label in project["labels"]:
                annotations = label["annotations"]
                objects = list(annotations.get("objects", []))
                for frame in annotations.get("frames", {}).values():
                    objects += list(frame["objects"].values())
                for obj in objects:
                    kind = next((k for key, k in _KINDS.items() if key in obj), "none")
                    counts[kind] += 1
    return counts


def test_the_real_export_reads_with_every_box_an_independent_count_finds() -> None:
    assert formats.detect(REAL).name == "labelbox"
    dataset = formats.read(REAL)
    assert dataset.issues == []
    assert dataset.counts()["kind"] == _independent_count(REAL) == Counter(box=16)
    first = dataset.items[0]
    assert (first.name, first.width, first.height) == ("a-weird Filename.asdf.jpg", 640, 416)
    dog = first.objects[0]
    assert (dog.category, dog.geometry) == ("dog", Box(540.0, 295.0, 23.0, 18.0))


def test_the_sdk_rows_read_shapes_answers_and_the_video_frames() -> None:
    dataset = formats.read(SDK)
    assert dataset.counts()["kind"] == _independent_count(SDK)
    image, video = dataset.items
    polygon, box, line, mask = image.objects
    assert isinstance(polygon.geometry, Polygon)
    assert len(polygon.geometry.parts[0].outer) == 4  # the repeated closing point dropped
    assert box.geometry == Box(58.0, 48.0, 12.0, 65.0)
    assert isinstance(line.geometry, Polyline)
    assert mask.geometry is None  # a URL only: kept with the URL, and said so
    assert mask.extra["mask"]["color_rgb"] == [123, 103, 152]
    assert any("is a URL" in str(i) and "objects[3]" in str(i) for i in dataset.issues)
    answers = [(a.name, a.value) for a in image.classifications]
    assert answers == [
        ("checklist", ["first_checklist_answer", "second_checklist_answer"]),
        ("text", "free form text..."),
    ]
    assert image.labeler == "labeler@example.com"
    # Video: Labelbox's frames 13, 18, 19 are 12, 17, 18 here, one track, keyframes kept.
    assert (video.kind, video.fps, len(video.frames)) == ("video", 10.0, 100)
    assert [obj.frame for obj in video.objects] == [12, 17, 18]
    assert {obj.track for obj in video.objects} == {"clgjnpyse000ui3zx6fr1d880"}
    assert [obj.extra["keyframe"] for obj in video.objects] == [True, False, True]
    nested = video.objects[0].attributes[0]
    assert (nested.name, nested.value) == ("nested", "radio_option_1")
    assert [(h.stage, h.actor, h.at) for h in video.history] == [
        ("label", "vbrodsky@labelbox.com", "2023-04-16T17:04:23+00:00")
    ]


def test_a_composite_mask_is_read_from_the_local_copy_a_url_map_names(tmp_path) -> None:
    pixels = np.zeros((200, 300, 3), dtype=np.uint8)
    pixels[10:20, 30:50] = (123, 103, 152)  # this instance
    pixels[50:60, 30:50] = (1, 2, 3)  # another instance of the same label
    Image.fromarray(pixels).save(tmp_path / "composite.png")
    url = "https://api.labelbox.com/api/v1/tasks/{task_id}/masks/{composite_mask_id}/index/1"
    (tmp_path / "map.json").write_text(json.dumps({url: "composite.png"}))
    dataset = formats.read(SDK, ctx=ReadContext(file=SDK, url_map=tmp_path / "map.json"))
    mask = dataset.items[0].objects[3].geometry
    assert isinstance(mask, Mask)
    assert mask.area == 200
    assert mask.bbox() == (30.0, 10.0, 20.0, 10.0)
    assert not any("is a URL" in str(i) for i in dataset.issues)


def _row(**label: object) -> dict:
    return {
        "data_row": {"id": "r1", "external_id": "a.jpg", "row_data": "https://x/a.jpg"},
        "media_attributes": {"width": 100, "height": 80, "mime_type": "image/jpeg"},
        "projects": {"p": {"name": "P", "labels": [{"id": "l1", **label}]}},
    }


def test_relationships_reviews_and_nested_answers(tmp_path) -> None:
    row = _row(
        label_details={
            "created_by": "a@x.com",
            "created_at": "2024-01-01T00:00:00Z",
            "reviews": [
                {
                    "reviewed_by": "b@x.com",
                    "review_action": "Approve",
                    "reviewed_at": "2024-01-02T00:00:00Z",
                }
            ],
        },
        performance_details={"seconds_to_create": 33},
        annotations={
            "objects": [
                {
                    "feature_id": "f1",
                    "name": "car",
                    "point": {"x": 5, "y": 6},
                    "classifications": [
                        {
                            "name": "colour",
                            "radio_answer": {
                                "name": "red",
                                "classifications": [
                                    {"name": "shade", "text_answer": {"content": "dark"}}
                                ],
                            },
                        }
                    ],
                },
                {"feature_id": "f2", "name": "road", "line": [{"x": 0, "y": 0}, {"x": 9, "y": 9}]},
            ],
            "classifications": [],
            "relationships": [
                {
                    "name": "on",
                    "relationship": {"source": "f1", "target": "f2", "type": "unidirectional"},
                }
            ],
        },
    )
    row["projects"]["p"]["project_details"] = {"workflow_status": "DONE"}
    path = tmp_path / "export.ndjson"
    path.write_text(json.dumps(row) + "\n")
    (item,) = formats.read(path).items
    colour = item.objects[0].attributes[0]
    assert (colour.value, colour.children[0].name, colour.children[0].value) == (
        "red",
        "shade",
        "dark",
    )
    assert [(r.name, r.members, r.directed) for r in item.relations] == [("on", ("f1", "f2"), True)]
    history = [(h.stage, h.actor, h.action, h.duration) for h in item.history]
    assert history == [
        ("label", "a@x.com", "created", 33.0),
        ("review", "b@x.com", "approve", None),
    ]
    assert item.status == "DONE"


def test_a_broken_line_is_a_located_error_and_the_other_rows_load(tmp_path) -> None:
    lines = REAL.read_text().splitlines()
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n")
    dataset = formats.read(path)
    assert len(dataset.items) == 2
    assert next(str(i) for i in dataset.issues).startswith("export.ndjson:2: not a JSON row")


def test_a_json_list_of_rows_reads_too(tmp_path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_rows(REAL)))
    assert formats.detect(path).name == "labelbox"
    assert formats.read(path).object_count == 16


def test_no_mutation_of_a_value_crashes_the_reader(tmp_path) -> None:
    source = _rows(SDK)
    path = tmp_path / "export.ndjson"
    rng = random.Random(5)
    paths = [p for p in json_paths(source) if p]
    for where in rng.sample(paths, min(250, len(paths))):
        for replacement in (None, "x", [], {}, -1e300):
            data = json.loads(json.dumps(source))
            node = data
            for part in where[:-1]:
                node = node[part]
            node[where[-1]] = replacement
            path.write_text("\n".join(json.dumps(row) for row in data))
            with contextlib.suppress(LabelviewError):
                formats.read(path, format="labelbox")


def test_formats_and_info_why_name_labelbox(capsys) -> None:
    assert main(["formats"]) == 0
    assert "Labelbox NDJSON" in capsys.readouterr().out
    main(["info", str(REAL), "--why"])
    out = capsys.readouterr().out
    assert "labelbox" in out
    assert "objects: 16" in out
