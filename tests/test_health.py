"""`labelview check` and labelview.health: every planted defect found, nothing in a clean export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from labelview import cli, formats, health


def _ann(n: int, image: int, bbox: list, category: int = 1, **fields) -> dict:
    x, y, w, h = bbox
    ring = [x, y, x + w, y, x + w, y + h, x, y + h]
    base = {"id": n, "image_id": image, "category_id": category, "bbox": bbox, "iscrowd": 0}
    return {"area": abs(w * h), "segmentation": [ring], **base, **fields}


def _export(folder: Path, annotations: list[dict], images: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images = images or [{"id": 1, "file_name": "a.png", "width": 100, "height": 80}]
    for image in images:
        if not image.get("missing"):
            Image.new("RGB", image.pop("actual", (image["width"], image["height"]))).save(
                folder / image["file_name"]
            )
        image.pop("missing", None)
    document = {
        "images": images,
        "categories": [
            {"id": 1, "name": "cat"},
            {"id": 2, "name": "dog"},
            {"id": 3, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]},
        ],
        "annotations": annotations,
    }
    path = folder / "annotations.json"
    path.write_text(json.dumps(document))
    return path


CLEAN = [
    _ann(1, 1, [10, 10, 30, 20]),
    _ann(2, 1, [50, 40, 20, 20], category=2),
    _ann(3, 1, [5, 50, 30, 25], category=3, keypoints=[10, 55, 2, 20, 60, 2], num_keypoints=2),
]


@pytest.fixture
def defective(tmp_path: Path) -> Path:
    """One of each defect (a COCO export the tests write), with the rule that must find it."""
    annotations = [
        *CLEAN,
        _ann(10, 1, [200, 200, 10, 10]),  # outside-image (error): wholly outside
        _ann(11, 1, [90, 70, 30, 30]),  # outside-image (warning): partly
        _ann(12, 1, [10, 10, 30.2, 20]),  # duplicate of 1
        _ann(13, 1, [20, 20, 2, 2]),  # tiny-object
        _ann(14, 1, [5, 50, 30, 25], category=3, keypoints=[60, 5, 2, 20, 60, 2], num_keypoints=2),
        {
            "id": 15,
            "image_id": 1,
            "category_id": 2,
            "bbox": [30, 30, 0, 10],
            "area": 0,
            "iscrowd": 0,
        },  # box-size (warning): zero width
        {
            "id": 16,
            "image_id": 1,
            "category_id": 2,
            "bbox": [60, 10, 5, 5],
            "area": 0,
            "iscrowd": 0,
            "segmentation": [[60, 10, 65, 10, 70, 10]],
        },  # degenerate-polygon
    ]
    images = [
        {"id": 1, "file_name": "a.png", "width": 100, "height": 80},
        {"id": 2, "file_name": "b.png", "width": 100, "height": 80},  # empty-image
        {"id": 3, "file_name": "c.png", "width": 100, "height": 80, "missing": True},
        {"id": 4, "file_name": "d.png", "width": 100, "height": 80, "actual": (50, 40)},
    ]
    return _export(tmp_path / "bad", annotations, images)


EXPECTED = {
    ("outside-image", "error", "10"),
    ("outside-image", "warning", "11"),
    ("duplicate", "warning", "12"),
    ("tiny-object", "info", "13"),
    ("keypoints-outside-box", "warning", "14"),
    ("box-size", "warning", "15"),
    ("degenerate-polygon", "warning", "16"),
    ("empty-image", "info", None),
    ("missing-image", "warning", None),
    ("image-size", "warning", None),
}


def test_every_planted_defect_is_found_and_nothing_else(defective: Path) -> None:
    dataset = formats.read(defective)
    from labelview import images

    images.resolve(dataset)
    assert dataset.issues == []  # every planted defect is readable: finding them is check's job
    found = {(f.rule, f.level, f.object) for f in health.check(dataset)}
    assert found == EXPECTED
    by_item = {(f.rule, f.item_name) for f in health.check(dataset) if f.object is None}
    assert by_item == {
        ("empty-image", "b.png"),
        ("empty-image", "c.png"),
        ("empty-image", "d.png"),
        ("missing-image", "c.png"),
        ("image-size", "d.png"),
    }


def test_a_clean_export_has_no_findings(tmp_path: Path) -> None:
    dataset = formats.read(_export(tmp_path / "clean", [dict(a) for a in CLEAN]))
    from labelview import images

    images.resolve(dataset)
    assert health.check(dataset) == []


def test_check_command_exit_codes_and_json(defective: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "health.json"
    assert cli.main(["check", str(defective), "--json", str(report)]) == 1  # an error was found
    out = capsys.readouterr().out
    assert "error: a.png object 10: wholly outside the 100×80 image" in out
    document = json.loads(report.read_text())
    assert document["counts"]["error"] == 1
    assert {f["rule"] for f in document["findings"]} >= {"duplicate", "missing-image"}
    assert cli.main(["check", str(defective), "--fail-on", "never"]) == 0
    clean = _export(tmp_path / "clean", [dict(a) for a in CLEAN])
    assert cli.main(["check", str(clean), "--fail-on", "info"]) == 0
    assert "findings: 0 errors, 0 warnings, 0 info" in capsys.readouterr().out
