"""Encord label-row reader: hand-made fixtures, the spec's worked examples, real samples."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from labelview import formats, images
from labelview.errors import Cancelled
from labelview.formats import encord
from labelview.formats._writing import ITEM_FIELDS
from labelview.formats.base import Confidence, Probe, ReadContext, TaskControl
from labelview.model import Box, Keypoints, Mask, Polygon, RotatedBox, RowMajorRle
from labelview.model.classifications import walk
from labelview.ops import rle

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


@pytest.fixture(scope="module")
def mini():
    return read(DATA / "mini.json")


def item(dataset, name):
    return next(i for i in dataset.items if i.name == name)


def obj(it, object_id, frame=None):
    return next(o for o in it.objects if o.id == object_id and o.frame == frame)


def answers(attrs):
    """{'path/to/question': value} over a whole answer tree."""
    return {path: a.value for path, a in walk(attrs)}


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


# --- multi-frame items ----------------------------------------------------------------------------


def test_video_track_moves_and_dynamic_attributes_land_on_their_frames(mini):
    clip = item(mini, "clip.mp4")
    assert clip.kind == "video"
    assert clip.fps == 25.0
    assert (clip.width, clip.height) == (200, 100)
    assert [f.index for f in clip.frames] == [0, 1, 2, 10]
    cars = sorted((o for o in clip.objects if o.track == "trk00001"), key=lambda o: o.frame)
    assert [(o.frame, o.geometry.x) for o in cars] == [(0, 25), (1, 50), (2, 75), (10, 100)]
    states = {o.frame: [(a.name, a.value, a.frames) for a in o.attributes] for o in cars}
    assert states == {
        0: [("State", "Parked", (0, 1))],
        1: [("State", "Parked", (0, 1))],
        2: [("State", "Moving", (2, 10))],
        10: [("State", "Moving", (2, 10))],
    }


def test_frame_classifications_become_ranges(mini):
    clip = item(mini, "clip.mp4")
    assert [(a.name, a.value, a.frames) for a in clip.classifications] == [
        ("Weather", "Rain", (0, 2)),
        ("Weather", "Rain", (10, 10)),
    ]


def test_image_group_frames_use_their_own_size(mini):
    group = item(mini, "group-1")
    assert group.kind == "group"
    assert [(f.index, f.image, f.width, f.height) for f in group.frames] == [
        (0, "a.jpg", 100, 50),
        (1, "b.jpg", 300, 150),
    ]
    boxes = {o.frame: o.geometry for o in group.objects}
    assert boxes[0] == Box(50, 25, 10, 5)
    assert boxes[1] == Box(150, 75, 30, 15)


def test_dicom_slices_map_through_their_metadata(mini):
    scan = item(mini, "scan")
    assert scan.kind == "dicom"
    frames = {f.index: f for f in scan.frames}
    assert frames[1].image == "bucket/scan/slice-0.dcm"  # by file_uri, not data_links order
    assert (frames[1].width, frames[1].height) == (64, 64)
    assert frames[0].image is None
    boxes = {o.frame: o.geometry for o in scan.objects}
    assert boxes[0] == Box(64, 64, 32, 32)
    assert boxes[1] == Box(32, 32, 16, 16)


def test_audio_rows_keep_their_labels_without_geometry(mini):
    talk = item(mini, "talk.mp3")
    assert talk.kind == "other"
    (speaker,) = talk.objects
    assert speaker.geometry is None
    assert speaker.extra["range"] == [[100, 2500]]


def test_audio_rows_keep_their_classifications(mini):
    (language,) = item(mini, "talk.mp3").classifications
    assert (language.name, language.value) == ("Language", "English")
    # An audio range is milliseconds, not frames: kept as written, the answer holds everywhere.
    assert language.frames is None
    assert language.extra["range"] == [[0, 5000]]
    assert (language.source, language.answered_by) == ("manual", "ann@example.com")


# --- items, status, history -----------------------------------------------------------------------


def test_item_fields_status_and_history(mini):
    street = item(mini, "street.png")
    assert street.id == "11111111-0000-0000-0000-000000000001"
    assert street.image == "street.png"
    assert (street.width, street.height) == (200, 100)
    assert street.status == "REVIEWED"
    assert street.extra["priority"] == 0.5  # unknown row keys are kept
    assert street.extra["annotation_task_status"] == "COMPLETED"
    events = [(e.stage, e.action, e.actor, e.at) for e in street.history]
    assert events == [
        ("export", "exported", "ann@example.com", "2023-12-01T11:18:10+00:00"),
        (None, "created", None, "2024-12-02T09:52:01+00:00"),
        (None, "edited", None, "2024-12-02T10:49:07+00:00"),
        ("label", "reviewed", None, None),
        ("task", "completed", None, None),
    ]


def test_object_reviews_become_review_verdicts_once_each():
    dataset = read(DATA / "reviews.json")
    (group,) = dataset.items
    reviews = [e for e in group.history if e.stage == "review"]
    # The box repeats its three reviews on both frames, and nests earlier rounds in metadata:
    # each verdict is read once, in time order among the row's other events.
    assert [(e.action, e.at, e.extra.get("object"), e.extra.get("comment")) for e in reviews] == [
        ("rejected", "2023-02-10T11:08:41+00:00", "box+/001", "too loose\n"),
        ("approved", "2023-02-10T11:08:44+00:00", "pnt00001", None),
        ("rejected", "2023-02-10T11:09:04+00:00", None, "wrong weather"),
        ("rejected", "2023-02-10T11:10:01+00:00", "box+/001", "still loose"),
        ("approved", "2023-02-10T11:10:48+00:00", "box+/001", None),
    ]
    assert reviews[2].extra["classification"] == "cls00001"
    assert {e.actor for e in reviews} == {"rev@example.com"}
    assert reviews[0].extra["frame"] == 0
    assert group.history[0].action == "created"
    # The writing toolkit counts them as review verdicts, not stage history.
    assert ITEM_FIELDS["review verdicts"](group) == 5
    assert ITEM_FIELDS["stage history"](group) == 2  # created, label status
    # Read into history, not repeated on every object's extra.
    assert all(not (o.extra or {}).get("reviews") for o in group.objects)
    # A bad review record is skipped with its location; its object still loads.
    issues = {i.where: i.message for i in dataset.issues}
    assert "comment" in issues["[0].data_units.u1.labels.objects[1].reviews[0]"]
    assert "review" in issues["[0].data_units.u1.labels.objects[1].reviews[1]"]
    assert len(group.objects) == 4


def test_an_export_without_reviews_has_no_review_verdicts(mini):
    assert all(ITEM_FIELDS["review verdicts"](it) == 0 for it in mini.items)


def test_broken_numbers_skip_the_object_with_its_location(tmp_path):
    rows = json.loads((DATA / "single_row.json").read_text())
    rows = rows if isinstance(rows, list) else [rows]
    (unit,) = rows[0]["data_units"].values()
    good = unit["labels"]["objects"][0]
    huge = {**good, "objectHash": "huge0001", "boundingBox": {"x": 1e12, "y": 0, "w": 1, "h": 1}}
    spun = {
        **good,
        "objectHash": "spun0001",
        "shape": "rotatable_bounding_box",
        "rotatableBoundingBox": {"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1, "theta": "a lot"},
    }
    unit["labels"]["objects"] += [huge, spun]
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(rows))
    dataset = read(path)
    messages = [i.message for i in dataset.issues]
    assert any("far outside" in m for m in messages)
    assert any("theta must be a number" in m for m in messages)
    assert [o.id for o in dataset.items[0].objects] == [good["objectHash"]]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-12-02 09:52:01", "2024-12-02T09:52:01+00:00"),
        ("Thu, 09 Feb 2023 14:12:03 UTC", "2023-02-09T14:12:03+00:00"),
        ("Fri, 01 Dec 2023 11:03:24 GMT", "2023-12-01T11:03:24+00:00"),
        ("Mon, 02 Dec 2024 10:49:07 ", "2024-12-02T10:49:07+00:00"),
        ("2023-03-21T09:58:08.472959", "2023-03-21T09:58:08.472959+00:00"),
        ("not a date", "not a date"),
    ],
)
def test_timestamps_in_every_style(text, iso):
    assert encord.iso_time(text) == iso


def test_single_row_object():
    dataset = read(DATA / "single_row.json")
    (one,) = dataset.items
    (thing,) = one.objects
    assert thing.geometry == Box(5, 10, 5, 5)
    assert answers(thing.attributes) == {"Colour": ["Red"], "Comment": "looks fine"}
    assert dataset.issues == []


def test_broken_input_loads_the_rest_and_names_locations():
    dataset = read(DATA / "broken.json")
    messages = {i.where: (i.level, i.message) for i in dataset.issues}
    assert messages["[0].data_units.u.labels.objects[0]"][1].endswith("polygon has 2 points")
    assert "truncated" in messages["[0].data_units.u.labels.objects[1]"][1]
    assert "clamped" in messages["[0].data_units.u.labels.objects[2].bitmask"][1]
    assert messages["[1]"][0] == "error"
    assert "data_units" in messages["[2]"][1]
    (good,) = dataset.items
    assert [o.id for o in good.objects] == ["m2", "b1"]
    assert good.objects[0].geometry.decode().all()  # runs clamped to the 10×10 frame


def test_not_an_export_fails_cleanly(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(Exception, match="not an Encord label row"):
        read(path)


def test_progress_is_reported_and_cancel_stops():
    calls: list[tuple[int, int]] = []
    path = DATA / "mini.json"
    control = TaskControl(on_progress=lambda done, total: calls.append((done, total)))
    formats.read(path, format="encord", ctx=ReadContext(file=path, control=control))
    assert calls[-1][0] == calls[-1][1] > 0
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        formats.read(
            path,
            format="encord",
            ctx=ReadContext(file=path, control=TaskControl(cancel_event=cancel)),
        )


# --- real samples ---------------------------------------------------------------------------------


def sample(samples, name, ontology=None):
    folder = samples / "encord"
    return read(folder / name, ontology=folder / ontology if ontology else None)


@pytest.mark.samples
@pytest.mark.parametrize("name", ENCORD_SAMPLES)
def test_every_sample_reads_without_issues(samples, name):
    ontology = {
        "encord-platform-export_dicom-image-nifti_all-shapes.json": (
            "encord-platform-export_all-shapes.ontology.json"
        ),
        "encord-sdk_dicom_slice-metadata.json": (
            "encord-sdk_image_bbox-polygon-nested-attributes.ontology.json"
        ),
    }.get(name)
    dataset = sample(samples, name, ontology)
    assert dataset.issues == []
    assert dataset.object_count > 0


@pytest.mark.samples
def test_platform_export_all_shapes(samples):
    dataset = sample(
        samples,
        "encord-platform-export_dicom-image-nifti_all-shapes.json",
        "encord-platform-export_all-shapes.ontology.json",
    )
    image = item(dataset, "image.png")
    kinds = sorted(o.kind for o in image.objects)
    assert kinds == sorted(
        ["box", "rotated_box", "polygon", "polyline", "mask", "point", "keypoints"]
    )
    box = obj(image, "P/9LI504").geometry
    assert (box.x, box.y, box.w, box.h) == pytest.approx((35.08, 85.36, 48.84, 66.68))
    # The bitmask, decoded row-major, cross-checked with pycocotools' transposed decode.
    mask_obj = obj(image, "S8y9TRAJ")
    mask = mask_obj.geometry
    raw = mask.source.string
    reference = coco_mask.decode({"size": [400, 400], "counts": raw.encode()}).T.astype(bool)
    np.testing.assert_array_equal(mask.decode(), reference)
    ys, xs = np.nonzero(reference)
    assert mask.area == reference.sum() == 3408
    assert mask.bbox() == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    # Skeleton with the older boolean flags; its ontology has no template, so no edges.
    skeleton = obj(image, "jXUPS9nV").geometry
    assert len(skeleton.names) == 7
    assert dataset.categories["skeleton"].skeleton.edges == ()
    # DICOM: a dynamic checklist answered as one action per option, on frame 0.
    dicom = item(dataset, "dicom")
    dicom_box = next(o for o in dicom.objects if o.kind == "box")
    values = {a.name: (a.value, a.frames) for a in dicom_box.attributes}
    assert values["box checklist"] == (["box checklist option 1", "box checklist option 0"], (0, 0))
    assert values["box text"] == ("wfwfwfw", None)
    assert [e.action for e in dicom.history].count("exported") == 2


@pytest.mark.samples
def test_skeleton_visibility_strings(samples):
    dataset = sample(samples, "encord-sdk_image_skeleton-visibility.json")
    (square,) = dataset.items[0].objects
    assert square.geometry.visibility.tolist() == [2, 1, 0, 1]
    np.testing.assert_allclose(square.geometry.points[0], [150, 112.5])
    assert dataset.categories["Square"].skeleton.edges == ((0, 1), (1, 2), (2, 3), (3, 0))


@pytest.mark.samples
def test_nested_attributes_sample(samples):
    dataset = sample(samples, "encord-sdk_image_bbox-polygon-nested-attributes.json")
    polygon = obj(dataset.items[0], "f7RpEkg5")
    assert answers(polygon.attributes) == {
        "Radio level 1 ": "1 option 2",
        "Radio level 1 /1 2 radio 1": "1 2 1 option ",
    }
    assert dataset.items[0].classifications[0].children[0].value == "The moon is pretty"


@pytest.mark.samples
def test_rotatable_2022_sample(samples):
    dataset = sample(samples, "encord-sdk-2022_image-group_rotatable-bboxes.json")
    boxes = [o.geometry for o in dataset.items[0].objects]
    assert sorted(round(b.angle, 1) for b in boxes)[-1] == 349.8
    for box in boxes:
        theta = np.radians(box.angle)
        dx, dy = -box.w / 2, -box.h / 2
        expected = (
            box.cx + np.cos(theta) * dx - np.sin(theta) * dy,
            box.cy + np.sin(theta) * dx + np.cos(theta) * dy,
        )
        np.testing.assert_allclose(box.corners()[0], expected)


@pytest.mark.samples
def test_dicom_dynamic_actions_on_their_frames(samples):
    dataset = sample(samples, "encord-sdk_dicom_dynamic-attribute-actions.json")
    dynamic = {
        o.frame: [a.frames for a in o.attributes if a.frames is not None]
        for o in dataset.items[0].objects
    }
    assert sorted(dynamic) == [86, 87, 88]
    assert dynamic[86]
    assert all(r == (f, f) for f in (86, 88) for r in dynamic[f])
    assert dynamic[87] == []


@pytest.mark.samples
def test_hafnia_production_video_and_its_frame_images(samples):
    dataset = sample(samples, "hafnia_midwest-vehicle-detection_video_bbox-polygon.json")
    (video,) = dataset.items
    assert dataset.counts()["kind"] == {"box": 655, "polygon": 360}
    assert len({o.track for o in video.objects}) == 50
    assert len(video.frames) == 120
    assert len(video.classifications) == 6
    assert all(a.frames == (0, 119) for a in video.classifications)
    frames = {f.index: f for f in video.frames}
    title = "968a1b31-4a22-4c3e-bf36-5cd60281954b_1fps.mp4"
    assert frames[2].image == f"{title}/2.png"
    assert frames[1].image is None
    assert images.resolve(dataset) == 3
    assert frames[6].image_path.name == "6.png"


@pytest.mark.samples
def test_cute_cat_frames_resolve(samples):
    dataset = sample(samples, "encord-sdk-2022_image-groups-and-videos_bbox-polygon.json")
    cat = item(dataset, "cute-cat.mp4")
    assert [f.image for f in cat.frames] == [f"cute-cat.mp4/{i}.jpg" for i in range(4)]
    images.resolve(dataset)
    assert all(f.image_path is not None for f in cat.frames)


# --- end to end: Encord → COCO --------------------------------------------------------------------


def test_convert_to_coco_end_to_end(tmp_path):
    from labelview import cli

    out = tmp_path / "coco"
    assert cli.main(["convert", str(DATA / "mini.json"), "--to", "coco", "-o", str(out)]) == 0
    coco = json.loads((out / "annotations.json").read_text())
    images_by_id = {im["id"]: im for im in coco["images"]}
    categories = {c["id"]: c for c in coco["categories"]}
    by_track: dict[str, list[dict]] = {}
    for ann in coco["annotations"]:
        by_track.setdefault(ann["attributes"]["track_id"], []).append(ann)

    # Masks: column-major COCO RLE that pycocotools decodes to the row-major Encord pixels.
    (blob,) = by_track["blob0001"]
    decoded = coco_mask.decode(
        {"size": blob["segmentation"]["size"], "counts": blob["segmentation"]["counts"].encode()}
    )
    np.testing.assert_array_equal(decoded, [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    assert blob["area"] == 5
    (pasted,) = by_track["blob0003"]
    seg = pasted["segmentation"]
    assert np.argwhere(coco_mask.decode({**seg, "counts": seg["counts"].encode()})).tolist() == [
        [1, 3],
        [2, 2],
    ]
    # The polygon with a hole goes out as RLE: the hole stays empty.
    (lake,) = by_track["lake0001"]
    lake_mask = coco_mask.decode(
        {**lake["segmentation"], "counts": lake["segmentation"]["counts"].encode()}
    )
    assert lake_mask[20, 130]
    assert not lake_mask[35, 150]

    # Rotated box: its four rotated corners plus the rotation.
    (sign,) = by_track["sign0001"]
    assert sign["attributes"]["rotation"] == 90
    np.testing.assert_allclose(sign["segmentation"][0], [135, 40, 135, 60, 85, 60, 85, 40])

    # Keypoints with visibility, names and 1-based edges on the category.
    (person,) = by_track["pers0001"]
    assert person["keypoints"] == [60, 10, 2, 60, 50, 1, 0, 0, 0, 70, 90, 1]
    assert person["num_keypoints"] == 3
    assert categories[person["category_id"]]["skeleton"] == [[1, 2], [2, 3], [2, 4]]

    # Attributes, confidence, manual/model and track ids.
    (car,) = by_track["car+/001"]
    assert car["attributes"]["Colour"] == "Red"
    assert car["attributes"]["Colour/Shade"] == "Dark red"
    assert car["attributes"]["Damage"] == ["Dent", "Scratch"]
    assert car["score"] == pytest.approx(0.87)  # a model label: the score says so
    assert sign["attributes"]["source"] == "manual"
    track = sorted(by_track["trk00001"], key=lambda a: a["bbox"][0])
    assert [a["bbox"][0] for a in track] == [25, 50, 75, 100]
    assert [a["attributes"]["State"] for a in track] == ["Parked", "Parked", "Moving", "Moving"]
    assert {images_by_id[a["image_id"]]["width"] for a in track} == {200}


def test_vectorised_run_check_matches_the_reference_codec():
    rng = np.random.default_rng(3)
    strings = ["12202O", "02220N:0F20N", "`[T2n0bZT2", ":b15aN", "@", "0"]
    strings += [rle.counts_to_string(rng.integers(0, 70_000, n).tolist()) for n in range(1, 40)]
    for string in strings:
        runs = rle.string_to_counts(string)
        assert encord.run_stats(string) == (sum(runs), min(runs)), string
    with pytest.raises(ValueError, match="truncated"):
        encord.run_stats("0h")
    with pytest.raises(ValueError, match="invalid"):
        encord.run_stats("12 ")


def test_detects_key_sorted_rows_whose_data_units_come_late(tmp_path):
    answers = {
        f"c{i:05d}": {"classificationHash": f"c{i:05d}", "classifications": []} for i in range(3000)
    }
    row = {"annotation_task_status": "QUEUED", "classification_answers": answers, "data_units": {}}
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps([row], sort_keys=True))
    probe = Probe.of(path)
    assert b'"data_units"' not in probe.head
    assert encord.detect(probe).confidence == Confidence.CERTAIN


def test_image_sequence_is_a_sequence(tmp_path):
    rows = json.loads((DATA / "mini.json").read_text())
    group = next(r for r in rows if r["data_type"] == "img_group")
    group["is_image_sequence"] = True
    path = tmp_path / "seq.json"
    path.write_text(json.dumps([group]))
    (sequence,) = read(path).items
    assert sequence.kind == "sequence"
    assert sorted((o.frame, o.track) for o in sequence.objects) == [
        (0, "grp00001"),
        (1, "grp00001"),
    ]


@pytest.mark.samples
def test_image_group_frames_find_their_screenshots(samples):
    dataset = sample(samples, "encord-sdk_image-group_5-images.json")
    (group,) = dataset.items
    assert [f.index for f in group.frames] == [0, 1, 2, 3, 4]  # from string data_sequence
    assert group.frames[4].image == "Screenshot 2021-11-24 at 18.36.19.png"
    assert images.resolve(dataset) == 2
    assert group.frames[3].image_path.name == "Screenshot 2021-11-24 at 18.36.11.png"


@pytest.mark.samples
def test_skeleton_template_variant_ontology(samples):
    path = samples / "encord" / "encord-sdk_ontology_skeleton-template-variant.ontology.json"
    onto = encord.Ontology(json.loads(path.read_text()))
    (template,) = {id(t): t for t in onto.templates.values()}.values()
    skeleton, by_hash, by_key = encord.skeleton_of(template)
    # Points without featureHash (matched by key), a 5-digit colour (ignored), `feature_node_hash`.
    assert skeleton.names == ("point_0", "point_1")
    assert skeleton.edges == ((0, 1),)
    assert by_hash == {}
    assert by_key == {"0": 0, "1": 1}
    assert onto.template_for("c67522ee", None) is template
