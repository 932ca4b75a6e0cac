"""Ultralytics YOLO: detection, reading (box / polygon / pose / OBB), ids, writing, round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from yolo_support import _png, _read, _where, _write

from labelview import formats
from labelview.formats import yolo
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.model import (
    Box,
    Dataset,
    Item,
    Keypoints,
    ObjectLabel,
    Polygon,
    RotatedBox,
)

# --- reading ----------------------------------------------------------------------------------


def test_detects_its_fixtures(data: Path) -> None:
    root = data / "yolo" / "detect_segment"
    assert yolo.detect(Probe.of(root)).confidence == Confidence.CERTAIN
    assert yolo.detect(Probe.of(root / "data.yaml")).confidence == Confidence.CERTAIN
    assert formats.detect(root).name == "yolo"


def test_does_not_claim_other_fixtures(data: Path) -> None:
    for other in ("labelme/sample.json", "voc/Annotations/img1.xml", "voc", "labelme"):
        assert yolo.detect(Probe.of(data / other)).confidence <= Confidence.WEAK, other


def test_reads_boxes_and_polygons_in_pixels(data: Path) -> None:
    dataset, ctx = _read(data / "yolo" / "detect_segment")
    assert [item.name for item in dataset.items] == ["images/train/a.png", "images/train/b.png"]
    a, b = dataset.items
    assert (a.width, a.height) == (40, 20)  # non-square: catches swapped axes
    box, polygon = a.objects
    assert box.category == "cat"
    assert isinstance(box.geometry, Box)
    assert (box.geometry.x, box.geometry.y, box.geometry.w, box.geometry.h) == pytest.approx(
        (8.0, 13.0, 4.0, 4.0)
    )
    assert polygon.category == "dog"
    assert isinstance(polygon.geometry, Polygon)
    np.testing.assert_allclose(polygon.geometry.parts[0].outer, [[20, 2], [30, 2], [30, 10]])
    assert b.objects == []
    assert b.extra["labels"].startswith("missing")
    bad_class, bad_count = ctx.issues
    assert "labels/train/a.txt:3".endswith(_where(bad_class))  # the bad class id, by line
    assert bad_class.message == "not a YOLO label line (class id must be an integer, got 'x')"
    assert "labels/train/a.txt:4".endswith(_where(bad_count))  # 3 numbers: no line kind


def test_reads_pose_with_visibility_and_names(data: Path) -> None:
    dataset, ctx = _read(data / "yolo" / "pose")
    (obj,) = dataset.items[0].objects
    assert isinstance(obj.geometry, Keypoints)
    np.testing.assert_allclose(obj.geometry.points, [[10, 5], [30, 10], [0, 0]])
    assert obj.geometry.visibility.tolist() == [2, 1, 0]
    assert obj.geometry.names == ("nose", "left_eye", "right_eye")
    category = dataset.categories["person"]
    assert category.skeleton is not None
    assert category.skeleton.names == ("nose", "left_eye", "right_eye")
    assert category.extra["flip_idx"] == [0, 2, 1]
    assert not ctx.issues


def test_pose_line_of_the_wrong_length_is_located(tmp_path: Path) -> None:
    root = _dataset_dir(
        tmp_path,
        "0 0.5 0.5 0.5 0.5 0.25 0.25 2 0.75 0.5\n0 0.5 0.5 0.2 0.2\n",
        yaml_text="train: images/train\nkpt_shape: [3, 3]\nnames: [p]\n",
    )
    dataset, ctx = _read(root)
    assert [obj.kind for obj in dataset.items[0].objects] == ["box"]
    (issue,) = ctx.issues
    assert "labels/train/x.txt:1".endswith(_where(issue))
    assert issue.message == "9 numbers: a pose line has 13 (kpt_shape [3, 3])"


def _dataset_dir(tmp_path: Path, lines: str, *, yaml_text: str, size=(40, 20)) -> Path:
    root = tmp_path / "ds"
    _png(root / "images/train/x.png", *size)
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/x.txt").write_text(lines)
    (root / "data.yaml").write_text(yaml_text)
    return root


def test_eight_numbers_are_obb_only_when_every_one_is_a_rectangle(tmp_path: Path) -> None:
    names = "train: images/train\nnames: [a]\n"
    # A rectangle rotated in *pixels* (40x20 image): corners (10,5) (20,5) (20,15) (10,15).
    rect = "0 0.25 0.25 0.5 0.25 0.5 0.75 0.25 0.75\n"
    root = _dataset_dir(tmp_path, rect, yaml_text=names)
    dataset, _ = _read(root)
    (obj,) = dataset.items[0].objects
    assert isinstance(obj.geometry, RotatedBox)
    assert (obj.geometry.cx, obj.geometry.cy, obj.geometry.w, obj.geometry.h) == pytest.approx(
        (15, 10, 10, 10)
    )
    # Not a rectangle -> a 4-point polygon.
    (root / "labels/train/x.txt").write_text("0 0.1 0.1 0.5 0.2 0.4 0.9 0.2 0.6\n")
    dataset, _ = _read(root)
    assert isinstance(dataset.items[0].objects[0].geometry, Polygon)
    # The yaml task (or the reader option) decides over the heuristic.
    (root / "labels/train/x.txt").write_text(rect)
    dataset, _ = _read(root, task="segment")
    assert isinstance(dataset.items[0].objects[0].geometry, Polygon)


def test_dataloop_one_based_ids_are_shifted_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    _png(root / "input/p.png")
    (root / "yolo/annotations").mkdir(parents=True)
    (root / "yolo/labels.txt").write_text("person\ncar\n")
    (root / "yolo/annotations/p.txt").write_text("1 0.5 0.5 0.2 0.2\n2 0.25 0.5 0.1 0.1\n")
    dataset, ctx = _read(root)
    assert [obj.category for obj in dataset.items[0].objects] == ["person", "car"]
    assert any("1-based" in issue.message for issue in ctx.issues)
    dataset, ctx = _read(root, one_based=False)
    assert [obj.category for obj in dataset.items[0].objects] == ["car", "class_2"]
    (issue,) = ctx.issues
    assert "yolo/annotations/p.txt:2".endswith(_where(issue))
    assert issue.message == "class id 2 has no name (read as class_2)"


def test_zero_based_ids_without_id_zero_are_not_shifted(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    _png(root / "input/p.png")
    (root / "yolo/annotations").mkdir(parents=True)
    (root / "yolo/labels.txt").write_text("person\ncar\nbus\n")
    (root / "yolo/annotations/p.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    dataset, ctx = _read(root)
    assert [obj.category for obj in dataset.items[0].objects] == ["car"]
    assert not ctx.issues


def test_missing_image_keeps_item_and_warns_unless_a_size_is_given(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/x.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "data.yaml").write_text("names: [a]\n")
    dataset, ctx = _read(root)
    assert len(dataset.items) == 1
    assert dataset.items[0].objects == []
    assert "image not found" in ctx.issues[0].message
    dataset, ctx = _read(root, image_size="100x50")
    assert dataset.items[0].objects[0].geometry == Box(25.0, 12.5, 50.0, 25.0)


# --- layouts and real samples -----------------------------------------------------------------


def test_flip_index_pairs_left_and_right() -> None:
    names = ["nose", "left_eye", "right_eye", "l_ear", "r_ear", "tail"]
    assert yolo.flip_index(names) == [0, 2, 1, 4, 3, 5]


@pytest.mark.samples
def test_reads_every_yolo_sample_without_errors(samples: Path) -> None:
    expected = {
        "datumaro-cvat_ultralytics-detect_toy": {"box": 2},
        "datumaro-cvat_ultralytics-segment_toy": {"polygon": 2},
        "datumaro-cvat_ultralytics-pose_toy": {"keypoints": 1},
        "datumaro-cvat_ultralytics-obb_toy": {"rotated_box": 2},
        "datumaro_yolo1.1-darknet_toy": {"box": 2},
        "dtlpy-converters_detect-and-segment_coco-images_flat": {"box": 21, "polygon": 3},
    }
    for case, kinds in expected.items():
        path = samples / "standard" / "yolo" / case
        assert formats.detect(path).name == "yolo"
        dataset = formats.read(path)
        assert dict(dataset.counts()["kind"]) == kinds, case
        assert not [i for i in dataset.issues if i.level == "error"], case
    flat = formats.read(
        samples / "standard/yolo/dtlpy-converters_detect-and-segment_coco-images_flat"
    )
    first = next(item for item in flat.items if item.name.endswith("000000000009.jpg"))
    assert (first.width, first.height) == (640, 480)
    assert [obj.category for obj in first.objects][:3] == ["bowl", "bowl", "broccoli"]
    toy = formats.read(samples / "standard/yolo/datumaro-cvat_ultralytics-detect_toy")
    assert toy.items[0].objects[0].geometry.bounds() == pytest.approx((0, 2, 4, 4), abs=1e-4)


def test_an_image_in_several_splits_is_one_item(tmp_path: Path) -> None:
    root = _dataset_dir(
        tmp_path,
        "0 0.5 0.5 0.5 0.5\n",
        yaml_text="train: images/train\nval: images/train\nnames: [a]\n",
    )
    dataset, _ = _read(root)
    (item,) = dataset.items
    assert item.extra["split"] == "train,val"


def test_bad_reader_options_fail_with_their_name(data: Path) -> None:
    from labelview.errors import FormatError

    with pytest.raises(FormatError, match="option task"):
        _read(data / "yolo" / "detect_segment", task="boxes")
    with pytest.raises(FormatError, match="option one_based"):
        _read(data / "yolo" / "detect_segment", one_based="maybe")


def test_multi_frame_item_writes_one_label_file_per_frame(tmp_path: Path) -> None:
    item = Item(id="v", name="clip.mp4", kind="video", width=40, height=20)
    item.objects = [
        ObjectLabel("a", Box(0.0, 0.0, 4.0, 2.0), frame=0),
        ObjectLabel("a", Box(20.0, 10.0, 4.0, 2.0), frame=2),
    ]
    report = _write(Dataset(items=[item]), tmp_path / "out")
    # One scheme for a video's frames, the same for labels, images and train.txt; the video's
    # name is a prefix, not a folder (importers look one folder deep).
    folder = tmp_path / "out/labels/train"
    assert sorted(p.name for p in folder.iterdir()) == ["clip_000000.txt", "clip_000002.txt"]
    assert (folder / "clip_000002.txt").read_text() == "0 0.55 0.55 0.1 0.1\n"
    assert (tmp_path / "out/train.txt").read_text().splitlines() == [
        "./images/train/clip_000000.jpg",
        "./images/train/clip_000002.jpg",
    ]
    assert report.items == 2


def test_roboflow_layout_with_parent_relative_splits(tmp_path: Path) -> None:
    root = tmp_path / "rf"
    _png(root / "train/images/t.jpg")
    _png(root / "valid/images/v.jpg")
    (root / "train/labels").mkdir(parents=True)
    (root / "valid/labels").mkdir(parents=True)
    (root / "train/labels/t.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "valid/labels/v.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    (root / "data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\nnc: 2\nnames: ['a', 'b']\n"
    )
    assert yolo.detect(Probe.of(root)).confidence == Confidence.CERTAIN
    dataset, ctx = _read(root)
    assert [(item.name, item.extra["split"]) for item in dataset.items] == [
        ("train/images/t.jpg", "train"),
        ("valid/images/v.jpg", "val"),
    ]
    assert [item.objects[0].category for item in dataset.items] == ["a", "b"]
    assert not ctx.issues


def test_reads_a_single_label_file(data: Path) -> None:
    dataset, ctx = _read(data / "yolo/detect_segment/labels/train/a.txt")
    (item,) = dataset.items
    assert item.image_path == data / "yolo/detect_segment/images/train/a.png"
    assert [obj.category for obj in item.objects] == ["cat", "dog"]
    assert item.objects[0].geometry == Box(8.0, 13.0, 4.0, 4.0)
    assert len(ctx.issues) == 2  # the two bad lines, as when reading the whole dataset


def test_exif_rotated_jpeg_normalises_against_the_displayed_size(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    (root / "images/train").mkdir(parents=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 40x20, shown rotated a quarter turn: 20x40
    Image.new("RGB", (40, 20)).save(root / "images/train/x.jpg", exif=exif)
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/x.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "data.yaml").write_text("train: images/train\nnames: [a]\n")
    dataset, _ = _read(root)
    (item,) = dataset.items
    assert (item.width, item.height) == (20, 40)
    assert item.objects[0].geometry == Box(5.0, 10.0, 10.0, 20.0)


def test_dataloop_converter_layout_is_detected_and_read(data: Path) -> None:
    root = data / "yolo/dataloop_flat/yolo"
    verdict = yolo.detect(Probe.of(root))
    assert verdict.confidence == Confidence.CERTAIN
    assert "Dataloop" in verdict.reason
    dataset, ctx = _read(root)
    assert list(dataset.categories) == ["cat", "dog", "bird"]  # labels.txt, all of it
    assert [item.id for item in dataset.items] == ["a.png", "sub/b.png"]
    first, second = dataset.items
    assert first.image_path == data / "yolo/dataloop_flat/input/a.png"
    assert second.image_path == data / "yolo/dataloop_flat/input/sub/b.png"
    assert (first.width, first.height, second.width, second.height) == (40, 20, 100, 50)
    assert [obj.category for obj in first.objects] == ["cat", "bird"]
    assert first.objects[0].geometry == Box(10.0, 5.0, 20.0, 10.0)
    assert first.objects[1].geometry.bounds() == pytest.approx((10, 5, 30, 15))
    assert second.objects[0].category == "dog"
    assert second.objects[0].geometry.bounds() == pytest.approx((0, 0, 20, 20))
    assert not ctx.issues


def test_dataloop_annotations_folder_opened_directly(data: Path) -> None:
    root = data / "yolo/dataloop_flat/yolo/annotations"
    assert yolo.detect(Probe.of(root)).confidence == Confidence.LIKELY
    dataset, _ = _read(root)
    assert [item.id for item in dataset.items] == ["a.png", "sub/b.png"]
    assert sum(len(item.objects) for item in dataset.items) == 3


def test_images_option_is_preferred_for_bare_label_folders(data: Path, tmp_path: Path) -> None:
    _png(tmp_path / "imgs/a.png", 80, 40)
    ctx = ReadContext(file=data / "yolo/dataloop_flat/yolo", images_dir=tmp_path / "imgs")
    dataset = yolo.read(ctx.file, ctx)
    first = dataset.items[0]
    assert first.image_path == tmp_path / "imgs/a.png"
    assert first.objects[0].geometry == Box(20.0, 10.0, 40.0, 20.0)


def test_darknet_yolo_1_1_layout(data: Path) -> None:
    root = data / "yolo/darknet"
    assert yolo.detect(Probe.of(root)).confidence == Confidence.CERTAIN
    dataset, ctx = _read(root)
    assert list(dataset.categories) == ["car", "bus"]
    (item,) = dataset.items
    assert item.id == "obj_train_data/d.png"
    assert item.extra["split"] == "train"
    assert [obj.category for obj in item.objects] == ["bus", "car"]
    assert item.objects[0].geometry.bounds() == pytest.approx((12, 12, 18, 18))
    assert item.objects[1].geometry.bounds() == pytest.approx((0, 48, 6, 60))
    assert not ctx.issues


def _mp4(path: Path, width: int, height: int, *, version: int = 0) -> Path:
    """A minimal MP4 header: ftyp + moov with an audio trak (size 0) and a video trak (tkhd)."""

    def box(kind: bytes, body: bytes) -> bytes:
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    def tkhd(w: int, h: int) -> bytes:
        times = 20 if version == 0 else 32  # creation, modification, id, reserved, duration
        body = bytes([version, 0, 0, 0]) + bytes(times + 16 + 36)
        return box(b"tkhd", body + (w << 16).to_bytes(4, "big") + (h << 16).to_bytes(4, "big"))

    tracks = box(b"trak", tkhd(0, 0)) + box(b"trak", tkhd(width, height))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", tracks))
    return path


def test_mp4_size_reads_the_first_video_track(tmp_path: Path) -> None:
    assert yolo.mp4_size(_mp4(tmp_path / "v0.mp4", 1920, 1080)) == (1920, 1080)
    assert yolo.mp4_size(_mp4(tmp_path / "v1.mov", 640, 360, version=1)) == (640, 360)
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    assert yolo.mp4_size(tmp_path / "bad.mp4") is None


_VIDEO_LINES = "0 7 1 0.5 0.5 0.5 0.5\n1 7 1 0.25 0.5 0.5 0.5\n0 9 0 0.1 0.1 0.2 0.2\n"


def test_dataloop_video_lines_for_a_video_item(tmp_path: Path) -> None:
    (tmp_path / "yolo/annotations").mkdir(parents=True)
    (tmp_path / "yolo/labels.txt").write_text("person\ncar\n")
    (tmp_path / "yolo/annotations/clip.txt").write_text(_VIDEO_LINES)
    _mp4(tmp_path / "items/clip.mp4", 200, 100)
    assert yolo.mp4_size(tmp_path / "items/clip.mp4") == (200, 100)
    dataset, ctx = _read(tmp_path / "yolo")
    (item,) = dataset.items
    assert (item.kind, item.id, item.width, item.height) == ("video", "clip.mp4", 200, 100)
    assert item.image_path is None
    assert item.extra["video_path"].endswith("clip.mp4")
    got = [(o.frame, o.track, o.category, o.geometry) for o in item.objects]
    assert got == [
        (0, "7", "car", Box(50.0, 25.0, 100.0, 50.0)),
        (1, "7", "car", Box(0.0, 25.0, 100.0, 50.0)),
        (0, "9", "person", Box(0.0, 0.0, 40.0, 20.0)),
    ]
    assert not ctx.issues


def test_dataloop_video_option_without_the_video(tmp_path: Path) -> None:
    tmp_path = tmp_path / "export/yolo"  # no media beside it (the sibling search finds none)
    (tmp_path / "annotations").mkdir(parents=True)
    (tmp_path / "labels.txt").write_text("person\ncar\n")
    (tmp_path / "annotations/clip.txt").write_text(_VIDEO_LINES)
    unflagged, ctx = _read(tmp_path, image_size="200x100")
    assert {type(o.geometry) for o in unflagged.items[0].objects} == {Polygon}
    assert any("dataloop_video=true" in issue.message for issue in ctx.issues)
    no_size, ctx = _read(tmp_path, dataloop_video="true")
    assert not no_size.items[0].objects
    assert [issue.message.split(":")[0] for issue in ctx.issues] == ["image not found"]
    dataset, ctx = _read(tmp_path, image_size="200x100", dataloop_video="true")
    (item,) = dataset.items
    assert item.kind == "video"
    assert [(o.frame, o.track) for o in item.objects] == [(0, "7"), (1, "7"), (0, "9")]
    assert item.objects[1].geometry == Box(0.0, 25.0, 100.0, 50.0)
    assert not ctx.issues


def test_plain_label_txt_folders_of_other_formats_are_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "labels.txt").write_text("cat\n")
    (tmp_path / "notes.txt").write_text("some notes about the export\n")
    assert yolo.detect(Probe.of(tmp_path)).confidence == Confidence.NO
    (tmp_path / "README.txt").write_text("exported by hand\n")
    (tmp_path / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "notes.txt").unlink()
    assert yolo.detect(Probe.of(tmp_path)).confidence == Confidence.LIKELY


@pytest.mark.samples
def test_dataloop_converter_sample_yolo_folder(samples: Path) -> None:
    root = samples / "standard/yolo/dtlpy-converters_detect-and-segment_coco-images_flat/yolo"
    assert formats.detect(root).name == "yolo"
    dataset = formats.read(root)
    assert len(dataset.categories) == 80
    assert len(dataset.items) == 5
    assert dict(dataset.counts()["kind"]) == {"box": 21, "polygon": 3}
    assert not dataset.issues
    item = next(item for item in dataset.items if item.id == "sub/000000000049.jpg")
    assert (item.width, item.height) == (381, 500)
    horse = item.objects[0]
    assert horse.category == "horse"  # 0-based: id 0 occurs, so no Dataloop 1-based shift
    assert horse.geometry.bounds() == pytest.approx((162.570, 226.560, 292.980, 410.990), abs=1e-3)
    cat = next(item for item in dataset.items if item.id == "cat.jpg")
    assert [obj.category for obj in cat.objects] == ["cat", "skis", "skis"]


@pytest.mark.samples
def test_darknet_sample(samples: Path) -> None:
    root = samples / "standard/yolo/datumaro_yolo1.1-darknet_toy"
    assert formats.detect(root).name == "yolo"
    dataset = formats.read(root)
    (item,) = dataset.items
    assert (item.id, item.width, item.height) == ("obj_train_data/1.jpg", 15, 10)
    assert len(dataset.categories) == 10
    got = [(obj.category, obj.geometry.bounds()) for obj in item.objects]
    assert [name for name, _ in got] == ["label_2", "label_4"]
    assert got[0][1] == pytest.approx((0, 2, 4, 4), abs=1e-4)
    assert got[1][1] == pytest.approx((3, 3, 5, 6), abs=1e-4)


def test_single_label_file_finds_its_image_in_the_images_folder(data: Path) -> None:
    label = data / "yolo/dataloop_flat/yolo/annotations/sub/b.txt"
    ctx = ReadContext(file=label, images_dir=data / "yolo/dataloop_flat/input")
    dataset = yolo.read(label, ctx)
    (item,) = dataset.items
    assert item.image_path == data / "yolo/dataloop_flat/input/sub/b.png"
    assert [obj.category for obj in item.objects] == ["dog"]
    assert item.objects[0].geometry.bounds() == pytest.approx((0, 0, 20, 20))
