"""Encord label-row reader: hand-made fixtures, the spec's worked examples, real samples."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from encord_support import DATA, answers, item, obj, read
from pycocotools import mask as coco_mask

from labelview import formats
from labelview.formats import encord
from labelview.formats.base import Confidence, Probe
from labelview.model import Box, Keypoints, Mask, Polygon, RotatedBox, RowMajorRle
from labelview.ops import rle

# --- detection ------------------------------------------------------------------------------------


def test_detects_arrays_and_single_rows():
    for name in ("mini.json", "single_row.json"):
        verdict = encord.detect(Probe.of(DATA / name))
        assert verdict.confidence == Confidence.CERTAIN, verdict.reason
    assert formats.detect(DATA / "mini.json").name == "encord"


def test_other_formats_fixtures_get_at_most_weak():
    others = [
        p
        for p in (DATA.parent).rglob("*")
        if p.is_file() and DATA not in p.parents and p.suffix in (".json", ".xml", ".txt")
    ]
    for path in others:
        assert encord.detect(Probe.of(path)).confidence <= Confidence.WEAK, path


@pytest.mark.samples
def test_coco_and_ontology_samples_are_not_claimed(samples):
    folder = samples / "encord"
    for path in [*folder.glob("*.coco.json"), *folder.glob("*.ontology.json")]:
        assert encord.detect(Probe.of(path)).confidence <= Confidence.WEAK, path.name


# --- shapes (a 200×100 frame: swapping x/y or w/h scales shows up) -------------------------------


def test_counts_per_shape(mini):
    street = item(mini, "street.png")
    kinds = [o.kind for o in street.objects]
    assert sorted(kinds) == sorted(
        ["box", "rotated_box", "polygon", "polygon", "polyline", "point", "keypoints", "none"]
    )
    assert mini.counts()["kind"]["mask"] == 3
    assert len(mini.items) == 6


def test_box_pixels_and_metadata(mini):
    car = obj(item(mini, "street.png"), "car+/001")
    assert car.geometry == Box(25.0, 25.0, 50.0, 50.0)
    assert car.category == "Car"
    assert car.track == "car+/001"
    assert car.confidence == pytest.approx(0.87)
    assert car.source == "model"
    assert car.created_by == "model@example.com"
    assert car.created_at == "2023-02-09T14:12:03+00:00"
    assert car.updated_by == "ann@example.com"
    assert car.updated_at == "2023-02-09T14:13:00+00:00"
    assert car.extra is None  # isDeleted false / reviews [] carry nothing
    assert mini.categories["Car"].color == (255, 0, 0)


def test_rotated_box_is_clockwise_about_the_centre(mini):
    sign = obj(item(mini, "street.png"), "sign0001").geometry
    assert isinstance(sign, RotatedBox)
    assert (sign.cx, sign.cy, sign.w, sign.h, sign.angle) == pytest.approx((110, 50, 20, 50, 90))
    # theta 90 turns the unrotated top-left corner (100, 25) to the top-right, clockwise on screen.
    expected = [[135, 40], [135, 60], [85, 60], [85, 40]]
    np.testing.assert_allclose(sign.corners(), expected, atol=1e-9)


def test_polygons_win_over_polygon_and_keep_holes_and_parts(mini):
    lake = obj(item(mini, "street.png"), "lake0001").geometry
    assert isinstance(lake, Polygon)
    assert len(lake.parts) == 2
    first, second = lake.parts
    np.testing.assert_allclose(first.outer, [[125, 12.5], [175, 12.5], [175, 62.5], [125, 62.5]])
    assert len(first.holes) == 1
    np.testing.assert_allclose(first.holes[0], [[140, 25], [160, 25], [160, 50], [140, 50]])
    np.testing.assert_allclose(second.outer, [[125, 75], [150, 75], [150, 87.5]])


def test_legacy_polygon_keys_sort_numerically(mini):
    lake = obj(item(mini, "street.png"), "lake0002").geometry
    xs = lake.parts[0].outer[:, 0]
    np.testing.assert_allclose(xs, np.arange(11) * 2.0)


def test_polyline_point(mini):
    street = item(mini, "street.png")
    np.testing.assert_allclose(
        obj(street, "road0001").geometry.points, [[0, 100], [100, 50], [200, 100]]
    )
    lamp = obj(street, "lamp0001").geometry
    assert (lamp.x, lamp.y) == pytest.approx((190, 5))


def test_skeleton_follows_template_order_and_visibility_flags(mini):
    person = obj(item(mini, "street.png"), "pers0001")
    kp = person.geometry
    assert isinstance(kp, Keypoints)
    assert kp.names == ("head", "hip", "left_foot", "right_foot")
    assert kp.visibility.tolist() == [2, 1, 0, 1]  # visible, occluded, invisible, selfOccluded
    np.testing.assert_allclose(kp.points, [[60, 10], [60, 50], [0, 0], [70, 90]])
    assert person.extra == {"hidden_points": {"left_foot": [50.0, 90.0]}}
    skeleton = mini.categories["Person"].skeleton
    assert skeleton.names == kp.names
    assert skeleton.edges == ((0, 1), (1, 2), (1, 3))  # from the `skeletonedges` spelling


def test_unknown_shape_is_kept_with_a_warning(mini):
    crate = obj(item(mini, "street.png"), "cube0001")
    assert crate.geometry is None
    assert crate.extra["shape"] == "cuboid_2d"
    assert crate.extra["cuboid2d"]["offset"] == {"x": 0.05, "y": 0.05}
    assert any("cuboid_2d" in issue.message for issue in mini.issues)


def test_bad_object_is_skipped_with_its_location(mini):
    (issue,) = [i for i in mini.issues if "boundingBox" in i.message]
    assert issue.where.endswith(".labels.objects[8]")
    assert issue.level == "warning"
    assert all(o.id != "bad00001" for o in item(mini, "street.png").objects)


# --- bitmasks -------------------------------------------------------------------------------------


def test_bitmask_is_row_major(mini):
    tiny = item(mini, "tiny.png")
    mask = obj(tiny, "blob0001").geometry
    assert isinstance(mask, Mask)
    assert isinstance(mask.source, RowMajorRle)
    expected = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(mask.decode(), expected)
    assert mask.area == 5
    assert mask.bbox() == (1.0, 0.0, 3.0, 3.0)
    # Spec §5.3 example 1: the same mask in COCO's column-major order is "32102O".
    assert mask.to_coco_rle() == {"size": [3, 4], "counts": "32102O"}


def test_empty_and_offset_bitmasks(mini):
    tiny = item(mini, "tiny.png")
    empty = obj(tiny, "blob0002").geometry
    assert empty.decode().shape == (3, 4)
    assert not empty.decode().any()
    assert empty.area == 0
    pasted = obj(tiny, "blob0003").geometry.decode()
    assert pasted.shape == (3, 4)
    assert np.argwhere(pasted).tolist() == [[1, 3], [2, 2]]


def test_spec_worked_examples():
    # §5.3 example 2: a 2×2 square in each corner of a 6×6 mask.
    corners = rle.decode_row_major("02220N:0F20N", 6, 6)
    assert rle.string_to_counts("02220N:0F20N") == [0, 2, 2, 4, 2, 2, 12, 2, 2, 4, 2, 2]
    assert corners.sum() == 16
    for block in (corners[:2, :2], corners[:2, 4:], corners[4:, :2], corners[4:, 4:]):
        assert block.all()
    assert not corners[2:4].any()
    # Example 3: multi-character and negative values.
    assert rle.string_to_counts("`[T2n0bZT2") == [70000, 30, 69970]
    assert rle.string_to_counts(":b15aN") == [10, 50, 5, 3]
    assert rle.counts_to_string([16]) == "`0"
    assert rle.string_to_counts("@") == [-16]
    # Example 1 through pycocotools' transposed decode (the SDK's own trick).
    via_coco = coco_mask.decode({"size": [4, 3], "counts": b"12202O"}).T
    np.testing.assert_array_equal(via_coco, rle.decode_row_major("12202O", 3, 4))


# --- answers --------------------------------------------------------------------------------------


def test_object_attributes_rebuild_the_nested_tree(mini):
    car = obj(item(mini, "street.png"), "car+/001")
    top = {a.name: a for a in car.attributes}
    assert list(top) == ["Colour", "Damage"]  # ontology order; Shade nests under Red
    assert top["Colour"].value == "Red"  # option resolved by featureHash, not its (wrong) name
    assert [(c.name, c.value) for c in top["Colour"].children] == [("Shade", "Dark red")]
    assert top["Damage"].value == ["Dent", "Scratch"]
    assert top["Colour"].frames is None


def test_classification_three_levels_deep(mini):
    street = item(mini, "street.png")
    (weather,) = street.classifications
    assert answers([weather]) == {
        "Weather": "Sunny",
        "Weather/Clouds": "Few",
        "Weather/Clouds/Note": "high and thin",
    }
    assert weather.confidence == pytest.approx(0.75)
    assert weather.source == "model"
    assert weather.answered_by == "model@example.com"


def test_without_ontology_answers_stay_flat(tmp_path, mini):
    copy = tmp_path / "mini.json"
    shutil.copy(DATA / "mini.json", copy)
    bare = read(copy)
    assert not any("ontology" in issue.message for issue in bare.issues)
    car = obj(item(bare, "street.png"), "car+/001")
    assert answers(car.attributes) == {
        "Shade": ["Dark red"],
        "Damage": ["Dent", "Scratch"],
        "Colour": ["red"],  # the option `name` repeats the attribute: `value` names the option
    }
    person = obj(item(bare, "street.png"), "pers0001").geometry
    assert person.names == ("hip", "head", "left_foot", "right_foot")  # label order
    assert bare.categories["Person"].skeleton.edges == ()
    (weather,) = item(bare, "street.png").classifications
    assert weather.name == "Weather"
    assert {c.name for c in weather.children} == {"Clouds", "Note"}
    # The colour still comes from the label itself.
    assert bare.categories["Car"].color == (255, 0, 0)


def test_a_broken_skeleton_template_is_a_warning_in_the_ontology(tmp_path):
    ontology = json.loads((DATA / "mini.ontology.json").read_text())
    (entry,) = ontology["skeleton_templates"]
    template = entry.get("template", entry)
    template["skeletonedges" if "skeletonedges" in template else "skeletonEdges"] = "broken"
    path = tmp_path / "broken.ontology.json"
    path.write_text(json.dumps(ontology))
    dataset = read(DATA / "mini.json", ontology=path)
    (issue,) = [i for i in dataset.issues if "skeleton template" in i.message]
    assert issue.file == path.name
    assert obj(item(dataset, "street.png"), "pers0001").geometry.names  # the points still load


def test_explicit_ontology_option(tmp_path):
    copy = tmp_path / "export.json"
    shutil.copy(DATA / "mini.json", copy)
    dataset = read(copy, ontology=DATA / "mini.ontology.json")
    car = obj(item(dataset, "street.png"), "car+/001")
    assert car.attributes[0].value == "Red"
