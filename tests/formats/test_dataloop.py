"""Dataloop reader: detection, the packagings, every shape type, video hold semantics, masks."""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import json_paths
from PIL import Image

from labelview import formats, images
from labelview.convert import writer_options
from labelview.errors import FormatError
from labelview.formats import dataloop
from labelview.formats._writing import holds_for, losses
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.model import Box, Ellipse, Keypoints, Mask, Polygon, RotatedBox

SAMPLES_DIR = "dataloop"
TREE = "yolov8-segmentation_2024_export-tree"
CAT = "dtlpy-converters_2024_image_segment-and-binary-mask.cat.json"
HAMSTER = "dtlpy-documentation_2022_sdk-download-format_binary-masks.hamster.json"
STATUS = "dtlpy-converters_2020-21_image_box-point-class-status.000000032817.json"
V1 = "dtlpy-converters_2022_image_box_v1-list-attributes.2007_000032.json"
VIDEO_2019 = "dtlpy-sdk-tests_2019_video_box-tracks_annotation-list.video_annotations.json"
MINIMAL = "dtlpy-sdk-tests_2019_minimal-annotations_boxes.0162_annotations.json"
LABELS_2019 = "dtlpy-sdk-tests_2019_ontology-roots.labels.json"
MASK_RENDER = "dtlpy-sdk-tests_2019_sdk-MASK-render-of-0162_annotations.mask_should_be.png"
SYNTH_IMAGE = "synthetic/dtlpy-shaped_image_all-geometry-types_pose_attrs-v2.synthetic.json"
SYNTH_VIDEO = "synthetic/dtlpy-shaped_video_track-hidden-frames_frame-range-class.synthetic.json"

# (file, items, objects by kind, item classifications) for every real export in the samples.
REAL_FILES = [
    (STATUS, 1, {"box": 3, "point": 3}, 0),
    (V1, 1, {"box": 4}, 0),
    (CAT, 1, {"polygon": 1, "mask": 1}, 0),
    ("dtlpy-converters_image_box_attributes-null.000000000009.json", 1, {"box": 8}, 0),
    ("dtlpy-documentation_2021_itemMetadata-format_box.apple_1.json", 1, {"box": 1}, 0),
    ("dtlpy-documentation_2021_itemMetadata-format_class.000037MA2.json", 1, {}, 1),
    (HAMSTER, 1, {"mask": 2}, 0),
    (MINIMAL, 1, {"box": 21}, 0),
    ("dtlpy-sdk-tests_2019_sdk-download-format_boxes.0000000162.json", 1, {"box": 21}, 0),
    # 15 tracks over frames 0..549 (endTime 21.96 s × 25 fps) and one over 288..549.
    (VIDEO_2019, 1, {"box": 15 * 550 + 262}, 0),
    (
        SYNTH_IMAGE,
        1,
        {
            "box": 1,
            "rotated_box": 1,
            "polygon": 1,
            "polyline": 1,
            "point": 1,
            "ellipse": 1,
            "keypoints": 1,
        },
        1,
    ),
    (SYNTH_VIDEO, 1, {"box": 9}, 1),
    (TREE, 12, {"box": 13, "polygon": 13}, 0),
]


def _read(path: Path, **options: object) -> tuple:
    ctx = ReadContext(file=path, **options)  # type: ignore[arg-type]
    return dataloop.read(path, ctx), ctx.issues


def _dl(samples: Path) -> Path:
    return samples / SAMPLES_DIR


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.samples
def test_detect_real_samples(samples: Path) -> None:
    base = _dl(samples)
    for name, *_ in REAL_FILES:
        verdict = dataloop.detect(Probe.of(base / name))
        assert verdict.confidence >= Confidence.LIKELY, (name, verdict)
    assert dataloop.detect(Probe.of(base / CAT)).confidence == Confidence.CERTAIN
    assert dataloop.detect(Probe.of(base / VIDEO_2019)).confidence == Confidence.CERTAIN
    for ontology in (
        "dtlpy-documentation_ontology-export.example-ontology.json",
        LABELS_2019,
        f"{TREE}/test_dataset-ontology.json",
    ):
        verdict = dataloop.detect(Probe.of(base / ontology))
        assert verdict.confidence == Confidence.NO
        assert "ontology" in verdict.reason


@pytest.mark.samples
def test_other_formats_samples_are_not_claimed(samples: Path) -> None:
    checked = 0
    for path in sorted(samples.rglob("*")):
        if SAMPLES_DIR in path.relative_to(samples).parts[:1]:
            continue
        if path.is_dir() or path.suffix.lower() in (".json", ".zip", ".gz", ".ndjson", ".xml"):
            verdict = dataloop.detect(Probe.of(path))
            assert verdict.confidence <= Confidence.WEAK, (path, verdict)
            checked += 1
    assert checked > 20


def test_detect_heads_and_names() -> None:
    def head(value: object, suffix: str = ".json") -> Probe:
        return Probe(Path(f"x{suffix}"), json.dumps(value).encode())

    coco = {"images": [], "annotations": [{"id": 1, "type": "x", "label": "a"}], "categories": []}
    assert dataloop.detect(head(coco)).confidence == Confidence.NO
    minimal = {"annotations": [{"type": "box", "label": "a", "coordinates": [{"x": 1, "y": 2}]}]}
    assert dataloop.detect(head(minimal)).confidence == Confidence.LIKELY
    marked = {**minimal, "annotationsCount": 1}
    assert dataloop.detect(head(marked)).confidence == Confidence.CERTAIN
    assert dataloop.detect(head({"shapes": []})).confidence == Confidence.WEAK
    assert dataloop.detect(head([1, 2], ".txt")).confidence == Confidence.NO
    gz = Probe(Path("part-0.ndjson.gz"), gzip.compress(json.dumps(marked).encode() + b"\n"))
    assert dataloop.detect(gz).confidence == Confidence.CERTAIN
    tree = Probe(Path("export"), b"", True, ["json/a.json", "json/b/c.json"])
    assert dataloop.detect(tree).confidence == Confidence.LIKELY
    labelme = Probe(Path("export"), b"", True, ["a.json", "a.jpg"])
    assert dataloop.detect(labelme).confidence == Confidence.WEAK


# --- every real file ------------------------------------------------------------------------------


@pytest.mark.samples
@pytest.mark.parametrize(("name", "items", "kinds", "classes"), REAL_FILES)
def test_real_files_read_without_errors(
    samples: Path, name: str, items: int, kinds: dict, classes: int
) -> None:
    dataset, issues = _read(_dl(samples) / name)
    assert [i for i in issues if i.level == "error"] == []
    assert len(dataset.items) == items
    assert dict(dataset.counts()["kind"]) == kinds
    assert sum(len(item.classifications) for item in dataset.items) == classes
    unexpected = [i for i in issues if "kept 1 cube, 1 note" not in i.message]
    assert unexpected == []


@pytest.mark.samples
def test_exact_coordinates_and_item_fields(samples: Path) -> None:
    base = _dl(samples)
    dataset, _ = _read(base / STATUS)
    item = dataset.items[0]
    assert (item.id, item.name, item.image) == (
        "5f4d13e5052d9514b9cb4053",
        "items/000000032817.jpg",
        "items/000000032817.jpg",
    )
    assert (item.width, item.height, item.kind) == (480, 640, "image")
    assert item.objects[0].geometry == Box(86.49, 0.0, 279.64 - 86.49, 467.75)
    assert item.objects[2].geometry.bounds() == (359.0, 59.58, 480.0, 401.93)  # ends at width
    assert item.status == "completed"  # legacy annotationStatus + system class "completed"
    assert item.labeler == "ilana@dataloop.ai"  # the manual points; the boxes are automated
    assert item.history[0].at == "2021-09-05T12:00:30.522Z"
    assert {o.source for o in item.objects[:3]} == {"model"}  # automated: true

    dataset, _ = _read(base / CAT)
    polygon = dataset.items[0].objects[0].geometry
    assert isinstance(polygon, Polygon)
    assert len(polygon.parts) == 1
    assert polygon.parts[0].outer[0].tolist() == [114.58333333333333, 173.8095238095238]
    assert len(polygon.parts[0].outer) == 22

    dataset, _ = _read(base / "dtlpy-documentation_2021_itemMetadata-format_box.apple_1.json")
    item = dataset.items[0]
    assert (item.name, item.width, item.height) == ("train/apple_1.jpg", 349, 349)
    assert item.objects[0].geometry == Box(8.0, 15.0, 323.0, 334.0)

    dataset, _ = _read(base / SYNTH_IMAGE)
    objects = {o.id[-2:]: o for o in dataset.items[0].objects}
    assert objects["02"].geometry == RotatedBox(340.0, 130.0, 80.0, 60.0, 30.0)
    assert objects["06"].geometry == Ellipse(130.0, 195.0, 20.0, 12.0, 15.0)
    road = objects["03"].geometry
    assert road.parts[0].holes[0].tolist() == [[200, 380], [260, 380], [260, 420], [200, 420]]
    pose = objects["08"].geometry
    assert isinstance(pose, Keypoints)
    assert pose.names == ("nose", "left_eye", "right_eye")
    assert pose.visibility.tolist() == [2, 2, 1]  # "not-visible" → occluded
    assert pose.points[2].tolist() == [305.0, 55.0]
    assert objects["01"].confidence == 0.87
    item = dataset.items[0]
    assert item.status == "completed"
    assert item.history[0].actor == "annotator@example.com"
    assert item.extra["tags"] == {"train": True, "validation": None, "test": None}
    assert [o["type"] for o in item.extra["other_annotations"]] == ["cube", "note"]


@pytest.mark.samples
def test_attributes_v1_and_v2(samples: Path) -> None:
    dataset, _ = _read(_dl(samples) / V1)
    assert [[(a.name, a.value) for a in o.attributes] for o in dataset.items[0].objects] == [
        [("Frontal", True)],
        [("Left", True)],
        [("Rear", True)],
        [("Rear", True)],
    ]
    dataset, _ = _read(_dl(samples) / SYNTH_IMAGE)
    car = dataset.items[0].objects[0]
    assert {a.name: a.value for a in car.attributes} == {
        "color": "red",
        "occluded": True,
        "num_wheels": 4,
        "tags": ["parked", "damaged"],
    }
    (daytime,) = dataset.items[0].classifications
    assert (daytime.name, daytime.value) == ("class", "daytime")
    assert [(a.name, a.value) for a in daytime.children] == [("weather", "sunny")]


# --- video ----------------------------------------------------------------------------------------


@pytest.mark.samples
def test_synthetic_video_holds_hides_and_ends_inclusive(samples: Path) -> None:
    dataset, _ = _read(_dl(samples) / SYNTH_VIDEO)
    item = dataset.items[0]
    assert (item.kind, item.fps, len(item.frames)) == ("video", 10.0, 12)
    track = [o for o in item.objects if o.track == "0000000000000000000b0001"]
    by_frame = {o.frame: (o.geometry.bounds(), o.attributes[0].value) for o in track}
    walking_0 = ((10.0, 20.0, 60.0, 120.0), "walking")
    walking_3 = ((40.0, 20.0, 90.0, 120.0), "walking")
    running_9 = ((85.0, 22.0, 135.0, 122.0), "running")
    assert by_frame == {
        0: walking_0,
        1: walking_0,
        2: walking_0,
        3: walking_3,
        4: walking_3,  # held
        # 5-7 hidden (objectVisible false holds until the next snapshot)
        8: ((80.0, 22.0, 130.0, 122.0), "running"),
        9: running_9,
        10: running_9,
        11: running_9,  # endFrame is inclusive
    }
    (crossing,) = item.classifications
    assert (crossing.value, crossing.frames) == ("crossing", (2, 6))


@pytest.mark.samples
def test_2019_video_tracks_hold_between_snapshots(samples: Path) -> None:
    path = _dl(samples) / VIDEO_2019
    raw = orjson.loads(path.read_bytes())
    dataset, _ = _read(path)
    item = dataset.items[0]
    assert item.kind == "video"  # a bare list has no mimetype: its snapshots say video
    tracks = {o.track for o in item.objects}
    assert len(tracks) == 16
    assert "#0" in tracks  # 2019 annotations have no id: the position names the track
    first = [o for o in item.objects if o.track == "#0"]
    frames = [o.frame for o in first]
    assert frames == list(range(550))
    snapshots = raw[0]["metadata"]["system"]["snapshots_"]
    five = snapshots[0]["data"]
    expected = (five[0]["x"], five[0]["y"], five[1]["x"], five[1]["y"])
    assert first[5].geometry.bounds() == expected
    assert first[9].geometry is first[5].geometry  # frames 6..9 hold frame 5's state
    assert first[4].geometry.bounds()[:2] == (1418.3333333333335, 203.75000000000006)
    starts = sorted({min(o.frame for o in item.objects if o.track == t) for t in tracks})
    assert starts == [0, 288]


# --- masks ----------------------------------------------------------------------------------------


def _alpha_of_data_url(url: str) -> tuple[np.ndarray, np.ndarray]:
    raw = base64.b64decode(url.split(",", 1)[1])
    rgba = np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))
    return rgba[..., 3] > 127, rgba[..., :3]


@pytest.mark.samples
@pytest.mark.parametrize(("name", "areas"), [(CAT, [6667]), (HAMSTER, [71329, 370])])
def test_binary_masks_decode_like_the_png_alpha(samples: Path, name: str, areas: list) -> None:
    """The SDK stores a binary as a full-size RGBA PNG: mask = alpha > 127, RGB = label colour.

    The samples hold no SDK render of these masks (the one MASK render is of boxes, tested
    below), so the lazily decoded mask is compared with an independent PIL decode of the data
    URL: they must agree pixel for pixel, and every set pixel carries one label colour.
    """
    path = _dl(samples) / name
    raw = orjson.loads(path.read_bytes())
    urls = [a["coordinates"] for a in raw["annotations"] if a["type"] == "binary"]
    dataset, _ = _read(path)
    masks = [o.geometry for o in dataset.items[0].objects if o.kind == "mask"]
    assert [m.area for m in masks] == areas
    for mask, url in zip(masks, urls, strict=True):
        assert isinstance(mask, Mask)
        expected, rgb = _alpha_of_data_url(url)
        decoded = mask.decode()
        assert decoded.shape == (dataset.items[0].height, dataset.items[0].width)
        assert np.array_equal(decoded, expected)
        assert len({tuple(c) for c in rgb[expected]}) == 1


@pytest.mark.samples
def test_boxes_match_the_sdk_mask_render(samples: Path) -> None:
    """The SDK's MASK render of 0162_annotations.json: 1-px box outlines in ontology colours.

    It draws cv2 rectangles on int-truncated corners, clipped to the image. Drawing our boxes the
    same way gives IoU 1.0 on the set pixels; only where two outlines cross (4 pixels) may the
    colour on top differ, because the SDK's draw order is not the file order there.
    """
    base = _dl(samples)
    dataset, issues = _read(base / MINIMAL, ontology=base / LABELS_2019)
    assert issues == []
    reference = np.asarray(Image.open(base / MASK_RENDER))
    height, width = reference.shape[:2]
    drawn = np.zeros_like(reference)
    for obj in dataset.items[0].objects:
        x0, y0, x1, y1 = (int(v) for v in obj.geometry.bounds())
        color = (*dataset.categories[obj.category].color, 255)
        xa, xb, ya, yb = max(x0, 0), min(x1, width - 1), max(y0, 0), min(y1, height - 1)
        for y in (y0, y1):
            if 0 <= y < height:
                drawn[y, xa : xb + 1] = color
        for x in (x0, x1):
            if 0 <= x < width:
                drawn[ya : yb + 1, x] = color
    ours, theirs = drawn[..., 3] > 127, reference[..., 3] > 127
    iou = (ours & theirs).sum() / (ours | theirs).sum()
    assert iou >= 0.99
    assert (drawn != reference).any(axis=2).sum() <= 4


# --- folders, zips and the other packagings -------------------------------------------------------


def _summary(dataset) -> list:
    return [
        (item.id, item.name, item.image, [(o.category, o.geometry.bounds()) for o in item.objects])
        for item in dataset.items
    ]


@pytest.mark.samples
def test_export_tree_folder_and_zip_give_the_same_dataset(samples: Path, tmp_path: Path) -> None:
    tree = _dl(samples) / TREE
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(tree).as_posix())
    from_folder = formats.read(tree)
    from_zip = formats.read(archive)
    assert from_folder.format == from_zip.format == "dataloop"
    assert _summary(from_folder) == _summary(from_zip)
    assert from_folder.issues == from_zip.issues == []
    names = [item.name for item in from_folder.items]
    assert "folder1/New Folder/ML712361.jpg" in names
    # The ontology file inside the tree gives the colour and id of "bird".
    bird = from_folder.categories["bird"]
    assert (bird.color, bird.id) == ((255, 0, 0), 1)
    item = next(i for i in from_folder.items if i.name.endswith("ML712361.jpg"))
    assert item.objects[0].extra["objectId"] == item.objects[1].extra["objectId"] == "1"
    assert item.extra["tags"] == {"validation": True}
    image_root = _dl(samples) / "images"
    for dataset in (from_folder, from_zip):
        assert images.resolve(dataset, images_dir=image_root) == 12
        for entry in dataset.items:
            assert entry.image_path == image_root / entry.name
            assert images.image_size(entry.image_path) == (entry.width, entry.height)


def test_hand_made_item_with_recipe(data: Path) -> None:
    path = data / "dataloop" / "item_all_types.json"
    dataset, issues = _read(path, ontology=data / "dataloop" / "recipe.json")
    item = dataset.items[0]
    assert (item.name, item.status, item.labeler) == (
        "shop/shelf 1/fruit (2).jpg",
        "issue",
        "ann@example.com",
    )
    assert [(e.actor, e.action) for e in item.history] == [
        ("rev@example.com", "issue"),
        ("ann@example.com", "completed"),  # the legacy system class annotation
    ]
    kinds = [o.kind for o in item.objects]
    assert kinds == ["box", "polygon", "mask", "keypoints", "point", "ellipse", "rotated_box"]
    box, polygon, mask, pose, lonely, ellipse, rotated = item.objects
    assert box.geometry == Box(1.0, 0.5, 4.5, 3.5)  # corners given bottom-right first
    # v1 tag, v2 key, and a v2 key the ontology titles.
    assert [(a.name, a.value) for a in box.attributes] == [
        ("Occluded", True),
        ("ripe", "yes"),
        ("Ripeness level", 3),
    ]
    assert len(polygon.geometry.parts) == 2  # the second ring lies outside the first: a part
    expected = np.zeros((6, 8), dtype=bool)
    expected[1:5, 1] = True
    expected[4, 1:6] = True
    assert np.array_equal(mask.geometry.decode(), expected)
    assert pose.geometry.names == ("wrist", "knuckle", "tip")  # the template's order
    assert pose.geometry.visibility.tolist() == [2, 0, 1]
    assert pose.geometry.points.tolist() == [[1.0, 5.0], [0.0, 0.0], [2.0, 2.0]]
    hand = dataset.categories["hand"]
    assert hand.skeleton.edges == ((0, 1), (1, 2))
    assert lonely.extra["parentId"] == "a99999999999999999999999"
    assert ellipse.geometry == Ellipse(4.0, 3.0, 2.0, 1.0, 90.0)
    assert rotated.geometry == RotatedBox(2.0, 1.5, 2.0, 1.0, 45.0)
    apple = dataset.categories["Fruit.apple"]
    assert (apple.id, apple.color, apple.supercategory) == (2, (3, 255, 70), "Fruit")
    (plant,) = item.classifications
    assert (plant.value, [(a.name, a.value) for a in plant.children]) == (
        "Plant",
        [("Deadly", True)],
    )
    messages = [(i.where, i.message.split(":")[0]) for i in issues]
    assert messages == [
        (
            "annotations[7].metadata.system.parentId",
            "parent annotation a99999999999999999999999 not found",
        ),
        ("annotations[2]", "segment skipped"),
        ("annotations", "kept 1 note annotation(s) in the items' extra"),
    ]


def test_bad_inputs_give_located_warnings(data: Path, tmp_path: Path) -> None:
    path = data / "dataloop" / "bad_item.json"
    dataset, issues = _read(path)
    found = {(i.where, i.object) for i in issues}
    assert ("annotations[0]", "a00000000000000000000001") in found  # image/jpeg data URL
    assert ("annotations[1]", "a00000000000000000000002") in found  # PNG cut before IEND
    assert ("annotations[2]", "a00000000000000000000003") in found  # base64 length
    assert ("annotations[3].metadata.system.snapshots_[0]", "a00000000000000000000004") in found
    assert ("annotations[3].metadata.system.snapshots_[1]", "a00000000000000000000004") in found
    text = " | ".join(i.message for i in issues)
    assert "not a PNG" in text
    assert "truncated" in text
    assert "no usable frame ('soon')" in text
    assert all(i.level == "warning" for i in issues)
    item = dataset.items[0]
    assert item.name == "etc/clip.mp4"  # '..' never reaches a writer
    car = [(o.frame, o.geometry.bounds()) for o in item.objects if o.category == "car"]
    assert car == [
        (0, (0.0, 0.0, 2.0, 2.0)),
        (1, (0.0, 0.0, 2.0, 2.0)),
        (2, (1.0, 0.0, 3.0, 2.0)),
        (3, (1.0, 0.0, 3.0, 2.0)),
        (4, (1.0, 0.0, 3.0, 2.0)),
    ]


def _mask_item(tmp_path: Path, coordinates: object) -> Path:
    """A 4×3 item file holding one binary annotation with these `coordinates`."""
    item = {
        "id": "i1",
        "filename": "/a.png",
        "metadata": {"system": {"width": 4, "height": 3, "mimetype": "image/png"}},
        "annotations": [{"id": "m1", "type": "binary", "label": "x", "coordinates": coordinates}],
    }
    path = tmp_path / "item.json"
    path.write_text(json.dumps(item))
    return path


def test_corrupt_mask_body_raises_a_clear_value_error(tmp_path: Path) -> None:
    """A header and IEND that look right but a broken body: warned lazily, as a ValueError."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((3, 4, 4), 255, dtype=np.uint8), "RGBA").save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    png[40:52] = b"\x00" * 12  # inside the IDAT chunk
    url = "data:image/png;base64," + base64.b64encode(bytes(png)).decode()
    dataset, issues = _read(_mask_item(tmp_path, url))
    assert issues == []
    mask = dataset.items[0].objects[0].geometry
    with pytest.raises(ValueError, match="binary annotation m1: cannot decode the PNG mask"):
        mask.decode()


def test_mask_of_another_size_is_warned_and_fitted(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((2, 3, 4), 255, dtype=np.uint8), "RGBA").save(buffer, "PNG")
    url = {"data": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}
    dataset, issues = _read(_mask_item(tmp_path, url))
    assert [(i.where, i.message) for i in issues] == [
        ("annotations[0].coordinates", "mask PNG is 3×2, item is 4×3: cropped/padded to the item")
    ]
    decoded = dataset.items[0].objects[0].geometry.decode()
    assert decoded.sum() == 6
    assert decoded[:2, :3].all()


def test_zip_slip_members_are_skipped(data: Path, tmp_path: Path) -> None:
    item = (data / "dataloop" / "export_array.json").read_bytes()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("json/ok.json", json.dumps(json.loads(item)[0]))
        handle.writestr("../evil.json", json.dumps(json.loads(item)[1]))
        handle.writestr("/abs.json", "{}")
        handle.writestr("C:/win.json", "{}")
    before = set(tmp_path.parent.iterdir())
    dataset, issues = _read(archive)
    assert set(tmp_path.parent.iterdir()) == before
    assert [item.id for item in dataset.items] == ["6600000000000000000000c1"]
    assert sorted(i.where for i in issues) == ["../evil.json", "/abs.json", "C:/win.json"]
    assert all("unsafe member name" in i.message for i in issues)


def test_packagings_read_the_same_items(data: Path, tmp_path: Path) -> None:
    array_path = data / "dataloop" / "export_array.json"
    items = json.loads(array_path.read_bytes())
    expected, issues = _read(array_path)
    assert issues == []
    assert [i.name for i in expected.items] == ["a.jpg", "b/a.png"]
    assert expected.items[0].objects[0].geometry == Box(1.0, 2.0, 2.0, 2.0)

    # L2 zipped as <datasetId>.json.zip
    zipped = tmp_path / "0123456789abcdef01234567.json.zip"
    with zipfile.ZipFile(zipped, "w") as handle:
        handle.write(array_path, "0123456789abcdef01234567.json")
    assert dataloop.detect(Probe.of(zipped)).confidence == Confidence.LIKELY
    # L4: gzip NDJSON partitions beside a manifest
    v3 = tmp_path / "v3"
    v3.mkdir()
    (v3 / "manifest.json").write_text(json.dumps({"manifestVersion": "1.0", "mode": "full"}))
    lines = b"".join(orjson.dumps(item) + b"\n" for item in items)
    (v3 / "part-00000.ndjson.gz").write_bytes(gzip.compress(lines))
    # L1: a per-item tree (V2 names append .json)
    tree = tmp_path / "tree"
    for item in items:
        target = tree / "json" / (item["filename"].lstrip("/") + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(item))
    for path in (zipped, v3, v3 / "part-00000.ndjson.gz", tree):
        dataset, issues = _read(path)
        assert issues == [], path
        assert _summary(dataset) == _summary(expected), path
    assert formats.detect(tree).name == "dataloop"
    assert formats.detect(v3).name == "dataloop"


def test_bare_annotation_list_and_minimal_form(tmp_path: Path) -> None:
    annotations = [
        {"type": "box", "label": "a", "coordinates": [{"x": 1, "y": 1}, {"x": 2, "y": 3}]},
        {"type": "point", "label": "b", "coordinates": {"x": 5, "y": 6}},
    ]
    bare = tmp_path / "frame.json"
    bare.write_text(json.dumps(annotations))
    minimal = tmp_path / "json" / "sub" / "frame.json"
    minimal.parent.mkdir(parents=True)
    minimal.write_text(json.dumps({"annotations": annotations}))
    for path in (bare, tmp_path / "json"):
        dataset, issues = _read(path)
        assert issues == []
        (item,) = dataset.items
        assert item.kind == "image"
        assert item.image is None  # no filename: nothing to pair with an image
        assert [o.geometry.bounds() for o in item.objects] == [(1, 1, 2, 3), (5, 6, 5, 6)]
    assert _read(tmp_path / "json")[0].items[0].name == "sub/frame"


def test_exif_orientation_swaps_the_size(tmp_path: Path) -> None:
    item = {
        "id": "i1",
        "filename": "/p.jpg",
        "metadata": {
            "system": {
                "width": 40,
                "height": 30,
                "mimetype": "image/jpeg",
                "exif": {"Orientation": 6},
            }
        },
        "annotations": [],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(item))
    (entry,) = _read(path)[0].items
    assert (entry.width, entry.height, entry.extra["exif_orientation"]) == (30, 40, 6)


@pytest.mark.samples
def test_an_ontology_is_not_an_export(samples: Path) -> None:
    path = _dl(samples) / LABELS_2019
    with pytest.raises(FormatError, match="ontology"):
        _read(path)


def test_not_json_fails_with_location(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"annotations": [')
    with pytest.raises(FormatError) as error:
        _read(path)
    assert error.value.where.startswith("line 1")


# --- conversion -----------------------------------------------------------------------------------


@pytest.mark.samples
@pytest.mark.parametrize("target", ["coco", "yolo", "voc"])
def test_convert_reports_what_each_target_drops(samples: Path, tmp_path: Path, target: str) -> None:
    if target not in formats.FORMATS:
        pytest.skip(f"the {target} writer is not registered yet")
    from labelview.convert import convert

    report = convert(_dl(samples) / SYNTH_IMAGE, tmp_path / target, target)
    assert report.format == "dataloop"
    assert report.objects == 7
    (written,) = report.targets
    assert written.files
    # The synthetic item holds a polyline, point, ellipse, rotated box and pose: no target
    # carries all of them, and each says what it dropped or approximated.
    assert sum(written.dropped.values()) >= 1, written.summary()


@pytest.mark.samples
@pytest.mark.parametrize("target", ["coco", "yolo", "voc"])
def test_convert_export_tree(samples: Path, tmp_path: Path, target: str) -> None:
    if target not in formats.FORMATS:
        pytest.skip(f"the {target} writer is not registered yet")
    from labelview.convert import convert

    report = convert(
        _dl(samples) / TREE, tmp_path / target, target, images_dir=_dl(samples) / "images"
    )
    assert (report.items, report.objects, report.issues) == (12, 26, [])
    (written,) = report.targets
    assert (written.items, written.objects) == (12, 26)
    # 13 boxes and 13 polygons: a box-only target says the polygons became boxes. Every other
    # line is a field the target cannot hold, as computed from its declared Holds.
    fmt = formats.writer(target)
    holds = holds_for(fmt.holds, writer_options(target, None))
    dataset = formats.read(_dl(samples) / TREE)
    expected = losses(dataset, holds, fmt.title)
    shape_lines = {reason for reason in written.dropped if reason.startswith("polygon")}
    assert shape_lines == {reason for reason in expected if reason.startswith("polygon")}
    for reason in shape_lines:
        assert written.dropped[reason] == 13, written.summary()
    for reason, count in written.dropped.items():
        if reason not in shape_lines:
            assert f"{fmt.title} cannot hold" in reason, written.summary()
            assert expected[reason] == count, written.summary()
    # COCO holds polygons; YOLO (detection) and VOC write them as boxes.
    assert bool(shape_lines) == (target != "coco"), written.summary()
    if target == "coco":
        (json_file,) = [p for p in written.files if p.suffix == ".json"]
        coco = json.loads(json_file.read_text())
        assert (len(coco["images"]), len(coco["annotations"])) == (12, 26)
        assert {c["name"] for c in coco["categories"]} == {"bird"}


def _box_ann(ann_id: str, x: float, **system: object) -> dict:
    return {
        "id": ann_id,
        "type": "box",
        "label": "car",
        "coordinates": [{"x": x, "y": 0}, {"x": x + 2, "y": 2}],
        "metadata": {"system": system},
    }


def test_mimetype_decides_video_and_snapshots_past_the_end_are_ignored(tmp_path: Path) -> None:
    moved = {"frame": 0, "type": "transition", "data": [{"x": 50, "y": 50}, {"x": 60, "y": 60}]}
    image_item = {
        "id": "img",
        "filename": "/a.jpg",
        "metadata": {"system": {"mimetype": "image/jpeg", "width": 9, "height": 9}},
        # Image annotations carry video-looking fields: endFrame 1 and a frame-0 snapshot.
        "annotations": [_box_ann("b1", 1, frame=0, endFrame=1, snapshots_=[moved])],
    }
    late = {"frame": 3, "data": [{"x": 7, "y": 0}, {"x": 9, "y": 2}]}
    video_item = {
        "id": "vid",
        "filename": "/v.webm",
        "metadata": {"system": {"mimetype": "video/webm", "fps": 30}},
        "annotations": [_box_ann("t1", 1, frame=1, endFrame=2, snapshots_=[late])],
    }
    hidden = {"id": "h", "hidden": True, "filename": "/h.jpg", "annotations": []}
    folder = {"id": "d", "type": "dir", "filename": "/d", "annotations": []}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([image_item, video_item, hidden, folder, dict(image_item)]))
    progress: list[tuple[int, int]] = []
    ctx = ReadContext(file=path)
    ctx.control.on_progress = lambda done, total: progress.append((done, total))
    dataset = dataloop.read(path, ctx)
    image, video = dataset.items
    assert image.kind == "image"
    assert [(o.frame, o.geometry.bounds()) for o in image.objects] == [(None, (1, 0, 3, 2))]
    assert (video.kind, video.fps) == ("video", 30.0)
    assert [(o.frame, o.geometry.bounds()) for o in video.objects] == [
        (1, (1, 0, 3, 2)),
        (2, (1, 0, 3, 2)),
    ]
    assert [(i.where, i.message) for i in ctx.issues] == [("[4]", "duplicate item id img: skipped")]
    assert progress[-1][0] == progress[-1][1]


def test_ontology_reaches_the_reader_through_convert(data: Path, tmp_path: Path) -> None:
    from labelview.convert import convert

    if "coco" not in formats.FORMATS:
        pytest.skip("the coco writer is not registered yet")
    report = convert(
        data / "dataloop" / "item_all_types.json",
        tmp_path / "out",
        "coco",
        ontology=data / "dataloop" / "recipe.json",
    )
    coco = json.loads((tmp_path / "out" / report.targets[0].files[0].name).read_text())
    names = {c["name"] for c in coco["categories"]}
    assert {"apple", "orange", "hand"} <= {name.rsplit(".", 1)[-1] for name in names}


def test_junk_values_anywhere_never_crash(data: Path, tmp_path: Path) -> None:
    """Seeded corruption of the hand-made item: only located issues or a FormatError, ever."""
    import copy
    import random

    source = json.loads((data / "dataloop" / "item_all_types.json").read_text())
    junk = [None, "x", -1, [], {}, 1e308, True, [None], {"x": None}, 10**20, [[{"x": 1}]]]

    rng = random.Random(7)
    every = json_paths(source)[1:]
    path = tmp_path / "item.json"
    for _ in range(150):
        item = copy.deepcopy(source)
        for where in rng.sample(every, 3):
            parent = item
            try:
                for key in where[:-1]:
                    parent = parent[key]
                parent[where[-1]] = rng.choice(junk)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed this path
        path.write_text(json.dumps(item))
        try:
            dataset, _ = _read(path)
        except FormatError:
            continue
        for obj in dataset.items[0].objects if dataset.items else []:
            if obj.kind == "mask":  # the one allowed failure: a clear ValueError on decode
                with contextlib.suppress(ValueError):
                    obj.geometry.decode()
            else:
                obj.geometry.bounds()
