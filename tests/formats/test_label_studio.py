"""Label Studio reader: real converter test exports, every result type, brush RLE, bad input."""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import json_paths

from labelview import formats
from labelview.cli import main
from labelview.errors import LabelviewError
from labelview.formats.base import Confidence, Probe
from labelview.formats.label_studio.brush import BrushError, decode_mask, decode_values
from labelview.model import Box, Ellipse, Mask, Point, Polygon, RotatedBox
from tests.formats.rle_pack import encode, encode_mask

DATA = Path(__file__).parent.parent / "data" / "label_studio"
# The converter's own test exports (see tests/data/label_studio/README.md).
REAL = [
    "boxes.json",
    "rotated_boxes.json",
    "polygon.json",
    "repeater_taxonomy.json",
    "predictions_multimodal.json",
]
_REGIONS = {
    "rectanglelabels",
    "rectangle",
    "polygonlabels",
    "polygon",
    "keypointlabels",
    "keypoint",
    "ellipselabels",
    "ellipse",
    "brushlabels",
    "brush",
}


def _independent_count(path: Path) -> Counter[str]:
    """Regions per shape kind, counted from the plain JSON: every result of a region type in
    every annotation that was not cancelled and every prediction.
    """
    counts: Counter[str] = Counter()
    for task in json.loads(path.read_text()):
        entries = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        for entry in entries + task.get("predictions", []):
            for result in entry["result"]:
                kind = result["type"]
                if kind not in _REGIONS:
                    continue
                if kind.startswith("rectangle"):
                    rotated = result["value"].get("rotation", 0) % 360
                    counts["rotated_box" if rotated else "box"] += 1
                else:
                    counts[
                        {
                            "polygon": "polygon",
                            "keypoint": "point",
                            "ellipse": "ellipse",
                            "brush": "mask",
                        }[kind.removesuffix("labels")]
                    ] += 1
    return counts


@pytest.mark.parametrize("name", REAL)
def test_a_real_export_reads_with_every_region_an_independent_count_finds(name: str) -> None:
    path = DATA / name
    assert formats.detect(path).name == "label_studio"
    dataset = formats.read(path)
    assert [str(i) for i in dataset.issues if i.level == "error"] == []
    assert dataset.counts()["kind"] == _independent_count(path)
    assert len(dataset.items) == len(json.loads(path.read_text()))


def test_rotation_is_about_the_top_left_corner_as_the_converter_computes_it() -> None:
    """Every rotated rectangle's corners match label-studio-converter's YOLO-OBB corners."""
    path = DATA / "rotated_boxes.json"
    dataset = formats.read(path)
    shapes = {obj.id: obj.geometry for _, obj in dataset.objects()}
    checked = 0
    for task in json.loads(path.read_text()):
        for result in task["annotations"][0]["result"]:
            value, width, height = (
                result["value"],
                result["original_width"],
                result["original_height"],
            )
            x, y = value["x"] / 100 * width, value["y"] / 100 * height
            w, h = value["width"] / 100 * width, value["height"] / 100 * height
            theta = math.radians(value["rotation"])
            cos, sin = math.cos(theta), math.sin(theta)
            expected = [
                (x, y),
                (x + w * cos, y + w * sin),
                (x + w * cos - h * sin, y + w * sin + h * cos),
                (x - h * sin, y + h * cos),
            ]
            box = shapes[result["id"]]
            assert isinstance(box, RotatedBox)
            np.testing.assert_allclose(box.corners(), expected, atol=1e-9)
            checked += 1
    assert checked == 25


def test_every_result_type_lands_where_the_model_has_a_place() -> None:
    dataset = formats.read(DATA / "all_types.json")
    first, second = dataset.items
    objects = {obj.id: obj for obj in first.objects}
    assert sorted(objects) == ["b1", "e1", "k1", "p1", "pr1", "r1", "r2"]
    # 40×30 image: percents become pixels.
    assert isinstance(objects["r1"].geometry, RotatedBox)
    np.testing.assert_allclose(objects["r1"].geometry.corners()[0], (10.0, 12.0))
    np.testing.assert_allclose(objects["p1"].geometry.parts[0].outer, [[0, 30], [20, 18], [40, 30]])
    assert objects["k1"].geometry == Point(20.0, 15.0)
    assert objects["e1"].geometry == Ellipse(20.0, 24.0, 4.0, 1.5, 15.0)
    assert objects["r2"].geometry == Box(32.0, 3.0, 4.0, 3.0)
    assert objects["r2"].category == "sign"  # named by the <Labels> result sharing its id
    assert [(a.name, a.value) for a in objects["r1"].attributes] == [("color", "red")]
    assert isinstance(objects["b1"].geometry, Mask)
    assert objects["b1"].geometry.area == 280
    # Annotation regions are manual, by their annotator; the prediction's are model labels.
    assert {objects[k].source for k in ("r1", "p1", "b1")} == {"manual"}
    assert objects["r1"].created_by == "ann@example.com"
    assert (objects["pr1"].source, objects["pr1"].confidence) == ("model", 0.91)
    assert objects["pr1"].extra["model_version"] == "yolo-v8"
    answers = [(a.name, a.value, a.source, a.confidence) for a in first.classifications]
    assert answers == [
        ("weather", "sunny", "manual", None),
        ("notes", "two cars", "manual", None),
        ("scene", "outdoor/street", "manual", None),
        ("quality", 4, "manual", None),
        ("weather", "rain", "model", 0.6),
    ]
    assert [(r.name, r.members, r.directed) for r in first.relations] == [
        ("on", ("r1", "p1"), True)
    ]
    history = [(h.stage, h.actor, h.action, h.duration) for h in first.history]
    assert history == [
        ("annotation", "ann@example.com", "submitted", 12.5),
        ("annotation", "2", "cancelled", 2.0),
        ("prediction", "yolo-v8", "predicted", None),
    ]
    assert (first.status, first.labeler) == ("ground truth", "ann@example.com")
    # The 2-point polygon is skipped with a located warning; the rest loads.
    assert [str(i) for i in dataset.issues] == [
        "all_types.json: [0].annotations[0].result[13]: polygonlabels skipped: polygon has 2 points"
    ]
    # Task 2's prediction has no original size: the local image's is used.
    assert (second.width, second.height) == (40, 30)
    assert isinstance(second.objects[0].geometry, Polygon)


def test_images_are_found_by_upload_name_without_its_prefix_and_by_local_storage_path() -> None:
    first, second = formats.read(DATA / "all_types.json").items
    assert first.image == "/data/upload/3/1a2b3c4d-street.png"
    assert first.image_path == DATA / "street.png"  # the upload prefix 1a2b3c4d- stripped
    assert second.image_path == DATA / "frames" / "crossing.png"  # /data/local-files/?d=…


def test_a_repeater_task_is_a_group_whose_regions_sit_on_their_page() -> None:
    item = formats.read(DATA / "repeater_taxonomy.json").items[0]
    assert item.kind == "group"
    assert len(item.frames) == 3
    (obj,) = item.objects
    assert obj.frame == 0
    assert (item.frames[0].width, item.frames[0].height) == (1280, 720)
    assert [(a.name, a.value) for a in obj.attributes] == [("categories_0", "Archaea")]


def test_json_min_records_read_with_their_regions_and_answers() -> None:
    dataset = formats.read(DATA / "json_min.json")
    assert dataset.meta["label_studio"]["variant"] == "JSON-MIN"
    (item,) = dataset.items
    assert item.name == "example.png"
    assert (item.width, item.height) == (128, 128)
    assert [obj.kind for obj in item.objects] == ["polygon", "box"]
    assert [(a.name, a.value) for a in item.classifications] == [
        ("weather", "sunny"),
        ("tags", ["indoor", "night"]),  # several choices: [{"choices": [...]}] in JSON-MIN
    ]
    assert item.labeler == "1"
    assert item.history[0].duration == 7.1


# --- brush RLE ------------------------------------------------------------------------------------


def test_the_decoder_reproduces_the_converters_published_test_vector() -> None:
    # label-studio-converter tests/test_brush.py: encode_rle of these values gives these bytes.
    values = [1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4]
    rle = [0, 0, 0, 18, 57, 27, 252, 96, 32, 1, 0, 6, 0, 40, 0, 192, 3, 128, 17, 56, 32]
    assert decode_values(bytes(rle)).tolist() == values
    assert decode_values(bytes(rle), every=4, offset=3).tolist() == values[3::4]


@pytest.mark.parametrize("seed", range(12))
def test_the_decoder_inverts_an_independent_encoder_on_random_masks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = int(rng.integers(1, 40)), int(rng.integers(1, 70))
    mask = np.zeros((height, width), dtype=bool)
    for _ in range(int(rng.integers(0, 5))):
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        mask[y : y + int(rng.integers(1, 20)), x : x + int(rng.integers(1, 40))] = True
    mask ^= rng.random((height, width)) < 0.02  # lone pixels: literal runs
    color = tuple(int(c) for c in rng.integers(0, 256, 3))
    assert np.array_equal(decode_mask(bytes(encode_mask(mask, color)), height, width), mask)


def test_long_runs_and_long_literal_runs_decode() -> None:
    values = [0] * 200_000 + list(range(256)) * 3 + [9] * 70_000
    assert decode_values(bytes(encode(values))).tolist() == values


def test_a_truncated_rle_is_an_error_not_a_crash() -> None:
    rle = bytes(encode_mask(np.ones((4, 4), dtype=bool)))
    with pytest.raises(BrushError):
        decode_mask(rle[: len(rle) // 2], 4, 4)
    with pytest.raises(BrushError):
        decode_mask(rle, 5, 4)  # the header's count is of a 4×4 image


def test_every_cut_or_flipped_byte_of_an_rle_decodes_or_is_a_brush_error() -> None:
    mask = np.zeros((6, 9), dtype=bool)
    mask[1:4, 2:7] = True
    rle = bytes(encode_mask(mask, (10, 200, 30)))
    broken = [rle[:cut] for cut in range(len(rle))]
    broken += [rle[:i] + bytes([rle[i] ^ 0xFF]) + rle[i + 1 :] for i in range(len(rle))]
    for data in broken:
        try:
            decoded = decode_mask(data, 6, 9)
        except BrushError:
            continue
        assert decoded.shape == (6, 9)


def test_the_fixture_brush_equals_label_studio_converters_decoding_when_installed() -> None:
    converter = pytest.importorskip(
        "label_studio_converter.brush", reason="label_studio_converter is not installed"
    )
    task = json.loads((DATA / "all_types.json").read_text())[0]
    result = next(r for r in task["annotations"][0]["result"] if r["type"] == "brushlabels")
    expected = converter.decode_rle(result["value"]["rle"]).reshape(30, 40, 4)[:, :, 3] > 0
    obj = next(o for o in formats.read(DATA / "all_types.json").items[0].objects if o.id == "b1")
    assert np.array_equal(obj.geometry.decode(), expected)


def test_a_brush_whose_size_disagrees_with_its_rle_is_skipped_with_a_warning(tmp_path) -> None:
    rle = encode_mask(np.ones((3, 3), dtype=bool))
    task = {
        "id": 1,
        "data": {"image": "a.png"},
        "annotations": [
            {
                "id": 1,
                "result": [
                    {
                        "id": "b",
                        "type": "brushlabels",
                        "from_name": "tag",
                        "to_name": "image",
                        "original_width": 4,
                        "original_height": 3,
                        "value": {"format": "rle", "rle": rle, "brushlabels": ["x"]},
                    }
                ],
            }
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task]))
    dataset = formats.read(path)
    assert dataset.object_count == 0
    assert "holds 36 values; an RGBA image of 4×3 has 48" in str(dataset.issues[0])


# --- detection and bad input ----------------------------------------------------------------------


def test_the_detector_does_not_claim_json_that_merely_has_data_and_annotations(tmp_path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"data": [1], "annotations": []}))
    verdict = formats.get("label_studio").detect(Probe.of(path))
    assert verdict.confidence <= Confidence.WEAK


def test_no_mutation_of_a_value_crashes_the_reader(tmp_path) -> None:
    """Each value of the fixture replaced by null, text, a list or a huge number: the read ends in
    a dataset (with issues) or a LabelviewError, never a traceback.
    """
    source = json.loads((DATA / "all_types.json").read_text())
    path = tmp_path / "export.json"
    rng = random.Random(3)
    paths = [p for p in json_paths(source) if p]
    for where in rng.sample(paths, min(200, len(paths))):
        for replacement in (None, "x", [], 1e300):
            data = json.loads(json.dumps(source))
            node = data
            for part in where[:-1]:
                node = node[part]
            node[where[-1]] = replacement
            path.write_text(json.dumps(data))
            with contextlib.suppress(LabelviewError):
                formats.read(path, format="label_studio")


def test_formats_and_info_why_name_label_studio(capsys) -> None:
    assert main(["formats"]) == 0
    assert "label_studio" in capsys.readouterr().out
    main(["info", str(DATA / "all_types.json"), "--why"])
    out = capsys.readouterr().out
    assert "label_studio" in out
    assert "CERTAIN" in out
    assert "Label Studio JSON" in out


def test_a_negative_height_spans_upwards_as_the_editor_draws_it(tmp_path) -> None:
    # The values of a real prediction-changed rectangle quoted in label-studio issue #3140.
    value = {
        "x": 16.3677871180938,
        "y": 96.17628384254151,
        "width": 52.96047307090268,
        "height": -60.72944286625309,
        "rotation": 0,
        "rectanglelabels": ["U盘"],
    }
    rotated = {**value, "rotation": 30}
    results = [
        {
            "id": key,
            "type": "rectanglelabels",
            "from_name": "label",
            "to_name": "image",
            "original_width": 800,
            "original_height": 800,
            "value": v,
            "score": 59,
            "origin": "prediction-changed",
        }
        for key, v in (("a", value), ("b", rotated))
    ]
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": 1,
                    "data": {"image": "/data/upload/18/0f6142fb-100_21.jpg"},
                    "annotations": [{"id": 1, "result": results}],
                }
            ]
        )
    )
    dataset = formats.read(path)
    assert dataset.issues == []
    plain, turned = (obj.geometry for obj in dataset.items[0].objects)
    top = (96.17628384254151 - 60.72944286625309) * 8
    assert plain == pytest.approx(
        Box(16.3677871180938 * 8, top, 52.96047307090268 * 8, 60.72944286625309 * 8)
    )
    assert dataset.items[0].objects[0].extra["score"] == 59
    # Rotated: the same four corners as the converter's formula, in some order.
    x, y, w, h = (
        16.3677871180938 * 8,
        96.17628384254151 * 8,
        52.96047307090268 * 8,
        -60.72944286625309 * 8,
    )
    cos, sin = math.cos(math.radians(30)), math.sin(math.radians(30))
    expected = [
        (x, y),
        (x + w * cos, y + w * sin),
        (x + w * cos - h * sin, y + w * sin + h * cos),
        (x - h * sin, y + h * cos),
    ]
    corners = turned.corners()
    for corner in expected:
        assert np.min(np.hypot(*(corners - corner).T)) < 1e-9
