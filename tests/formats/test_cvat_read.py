"""CVAT for images / for video 1.1 reader: real public files (counted independently with plain
ElementTree), CVAT's track interpolation, masks, cuboids, skeletons, tags, located errors, the
zipped export, and read → write → read identity on what CVAT holds (tracks and outside too).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from labelview import formats
from labelview.cli import main
from labelview.convert import convert
from labelview.formats.base import WriteContext
from labelview.formats.cvat import CvatOptions
from labelview.formats.cvat.read_meta import CUBOID_NODES
from labelview.formats.cvat.tracks import TrackShape, angle_step, blend_curves, expand
from labelview.model import Box, Dataset, Ellipse, Frame, Item, Keypoints, ObjectLabel, RotatedBox
from labelview.output import OutputDir

DATA = Path(__file__).parent.parent / "data" / "cvat"
SHAPE_TAGS = ("box", "polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton")
KIND = {"box": "box", "polygon": "polygon", "polyline": "polyline", "skeleton": "keypoints"}


def _xml(tmp_path: Path, body: str, meta: str = "", name: str = "annotations.xml") -> Path:
    path = tmp_path / name
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n<annotations><version>1.1</version>"
        f"<meta><task>{meta}<labels/></task></meta>{body}</annotations>"
    )
    return path


# --- real files -----------------------------------------------------------------------------------


def _image_counts(path: Path) -> list[tuple[str, Counter]]:
    """Per <image>: its name and its shape elements by tag (a plain ElementTree count)."""
    root = ET.parse(path).getroot()
    return [
        (image.get("name"), Counter(child.tag for child in image if child.tag in SHAPE_TAGS))
        for image in root.iter("image")
    ]


def test_project_export_reads_every_shape_of_every_image() -> None:
    path = DATA / "datumaro_export_project.xml"
    dataset = formats.read(path)
    expected = _image_counts(path)
    assert len(dataset.items) == len(expected) == 6
    for item, (name, tags) in zip(dataset.items, expected, strict=True):
        assert item.name == name
        assert sum(tags.values()) == len(item.objects)
    # Subsets keep three images called img0.jpg apart.
    assert {item.extra["subset"] for item in dataset.items} == {"Test", "Train", "Validation"}
    box = dataset.items[0].objects[0]
    assert isinstance(box.geometry, Box)
    assert box.geometry.bounds() == (0.0, 2.0, 4.0, 4.0)
    values = {a.name: a.value for a in box.attributes}
    # Typed by the label spec: checkbox → bool, number → float, text stays text ("0003").
    assert values == {"occluded": True, "a1": True, "a2": "v3", "a3": "0003", "a4": 2.4}
    assert box.z_order == 1
    spec = dataset.categories["label1"].extra["cvat_attributes"]
    assert [(a["name"], a["input_type"]) for a in spec][:2] == [("a1", "checkbox"), ("a2", "radio")]


def test_keyframes_only_video_is_expanded_as_cvat_shows_it() -> None:
    path = DATA / "datumaro_for_video.xml"
    root = ET.parse(path).getroot()
    dataset = formats.read(path)
    assert [str(issue) for issue in dataset.issues] == []
    (video,) = dataset.items
    # <frame_filter>step=3</frame_filter> from 10 to 19: four frames.
    assert [frame.index for frame in video.frames] == [10, 13, 16, 19]
    assert video.size_of() == (25, 20)
    # Independently: every shape element not outside, plus the frames after a track's last
    # shape when that one is not outside (CVAT holds it to the task's last frame).
    expected = Counter()
    for track in root.findall("track"):
        shapes = [child for child in track if child.tag in SHAPE_TAGS]
        for shape in shapes:
            if shape.get("outside") != "1":
                expected[track.get("id")] += 1
        if shapes[-1].get("outside") != "1":
            expected[track.get("id")] += sum(
                1 for f in (13, 16, 19) if f > int(shapes[-1].get("frame"))
            )
    assert Counter(obj.track for obj in video.objects) == expected
    skeletons = sorted((o for o in video.objects if o.track == "3"), key=lambda o: o.frame)
    # Node 3 goes outside at frame 13 (and stays: it has no later keyframe).
    assert [list(o.geometry.visibility) for o in skeletons] == [[2, 2, 2, 2]] + [[2, 2, 0, 2]] * 3
    assert dataset.categories["skeleton"].skeleton.edges == ((2, 1), (0, 3))


def test_video_with_every_frame_given_keeps_them_and_their_flags() -> None:
    path = DATA / "dagshub_sample_video.xml"
    root = ET.parse(path).getroot()
    visible = [
        (int(track.get("id")), int(box.get("frame")), box.get("occluded") == "1")
        for track in root.findall("track")
        for box in track.findall("box")
        if box.get("outside") != "1"
    ]
    (video,) = formats.read(path).items
    read = [
        (int(o.track), o.frame, next(a.value for a in o.attributes if a.name == "occluded"))
        for o in video.objects
    ]
    assert sorted(read) == sorted(visible)
    car = [o for o in video.objects if o.track == "1"]
    assert [o.frame for o in car] == [0, 1, 2, 4]  # outside at 3, back at 4


def test_the_shared_skeleton_sample(samples: Path) -> None:
    folder = samples / "standard/cvat/datumaro-cvat_for-images-1.1_task-skeleton_toy"
    expected = _image_counts(folder / "train.xml")
    dataset = formats.read(folder)
    assert [(item.name, len(item.objects)) for item in dataset.items] == [
        (name, sum(tags.values())) for name, tags in expected
    ]
    assert all(item.image_path is not None for item in dataset.items)
    skeleton = dataset.items[0].objects[2].geometry
    assert isinstance(skeleton, Keypoints)
    assert list(skeleton.visibility) == [0, 2, 2, 2]


# --- interpolation --------------------------------------------------------------------------------


def _shape(position, kind, points, **flags) -> TrackShape:
    return TrackShape(position, kind, np.asarray(points, dtype=float), **flags)


def test_boxes_move_linearly_and_turn_along_the_shorter_arc() -> None:
    a = _shape(0, "box", [0, 0, 10, 10], rotation=350.0)
    b = _shape(4, "box", [4, 8, 14, 18], rotation=10.0)
    shapes = expand([a, b], 5)
    assert [s.position for s in shapes] == [0, 1, 2, 3, 4]
    assert np.allclose(shapes[2].points, [2, 4, 12, 14])
    assert shapes[1].rotation == pytest.approx(355.0)
    assert shapes[3].rotation == pytest.approx(5.0)
    assert [s.keyframe for s in shapes] == [True, False, False, False, True]
    # CVAT's own rule for exactly half a turn: 1 degree.
    assert angle_step(180.0, 0.0) == 1


def test_outside_ends_a_segment_and_a_visible_last_shape_is_held() -> None:
    shapes = expand(
        [
            _shape(0, "box", [0, 0, 1, 1]),
            _shape(2, "box", [5, 5, 6, 6], outside=True),
            _shape(5, "box", [9, 9, 10, 10]),
        ],
        8,
    )
    assert [s.position for s in shapes] == [0, 1, 5, 6, 7]
    assert np.allclose(shapes[1].points, [2.5, 2.5, 3.5, 3.5])  # towards the outside keyframe


def test_points_move_only_when_both_keyframes_hold_one_point() -> None:
    one = expand([_shape(0, "points", [0, 0]), _shape(2, "points", [2, 4])], 3)
    assert np.allclose(one[1].points, [1, 2])
    many = expand([_shape(0, "points", [0, 0, 1, 1]), _shape(2, "points", [4, 4, 5, 5])], 3)
    assert np.allclose(many[1].points, [0, 0, 1, 1])  # held, as CVAT does


def test_polygons_blend_by_arc_length() -> None:
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], float)
    # The same curve blends into itself; a moved copy blends halfway.
    assert np.allclose(blend_curves(square, square, 0.5), square)
    assert np.allclose(
        blend_curves(square, square + np.array([4, 2]), 0.5), square + np.array([2, 1])
    )
    shapes = expand(
        [
            _shape(0, "polygon", [0, 0, 10, 0, 10, 10, 0, 10]),
            _shape(2, "polygon", [4, 2, 14, 2, 14, 12, 4, 12]),
        ],
        3,
    )
    assert np.allclose(shapes[1].points.reshape(-1, 2), [[2, 1], [12, 1], [12, 11], [2, 11]])


def test_attributes_change_per_frame_on_a_track(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        '<track id="0" label="car">'
        '<box frame="0" keyframe="1" outside="0" xtl="0" ytl="0" xbr="2" ybr="2">'
        '<attribute name="state">parked</attribute></box>'
        '<box frame="2" keyframe="1" outside="0" xtl="4" ytl="0" xbr="6" ybr="2">'
        '<attribute name="state">moving</attribute></box></track>',
        meta="<size>3</size>",
    )
    (video,) = formats.read(path).items
    states = [(o.frame, o.attributes[0].value) for o in video.objects]
    assert states == [(0, "parked"), (1, "parked"), (2, "moving")]
    assert video.objects[1].geometry.bounds() == (2.0, 0.0, 4.0, 2.0)


# --- shapes ---------------------------------------------------------------------------------------


def test_mask_rle_is_row_major_inside_its_box_starting_with_background(tmp_path: Path) -> None:
    # 3×3 box at (2, 1) holding 111 / 100 / 100: runs 0, 4, 2, 1, 2.
    path = _xml(
        tmp_path,
        '<image id="0" name="a.png" width="6" height="5">'
        '<mask label="m" rle="0, 4, 2, 1, 2" left="2" top="1" width="3" height="3" z_order="0"/>'
        "</image>",
    )
    (item,) = formats.read(path).items
    pixels = item.objects[0].geometry.decode()
    expected = np.zeros((5, 6), bool)
    expected[1, 2:5] = True
    expected[2:4, 2] = True
    assert pixels.shape == (5, 6)
    assert (pixels == expected).all()
    assert item.objects[0].geometry.area == 5


def test_rotated_boxes_ellipses_and_cuboids(tmp_path: Path) -> None:
    corners = 'xtl1="1" ytl1="1" xbl1="1" ybl1="5" xtr1="5" ytr1="1" xbr1="5" ybr1="5" '
    corners += 'xtl2="3" ytl2="0" xbl2="3" ybl2="4" xtr2="7" ytr2="0" xbr2="7" ybr2="4"'
    path = _xml(
        tmp_path,
        '<image id="0" name="a.png" width="20" height="20">'
        '<box label="b" xtl="2" ytl="2" xbr="6" ybr="4" rotation="30"/>'
        '<ellipse label="e" cx="10" cy="10" rx="4" ry="2" rotation="15"/>'
        f'<cuboid label="c" {corners}/></image>',
    )
    dataset = formats.read(path)
    box, ellipse, cuboid = (o.geometry for o in dataset.items[0].objects)
    assert box == RotatedBox(4.0, 3.0, 4.0, 2.0, 30.0)
    assert ellipse == Ellipse(10.0, 10.0, 4.0, 2.0, 15.0)
    assert isinstance(cuboid, Keypoints)
    assert cuboid.names == CUBOID_NODES
    # Drawn as its outline: the category gets the cuboid's twelve edges.
    assert len(dataset.categories["c"].skeleton.edges) == 12
    out = OutputDir(tmp_path / "out")
    formats.write("cvat", dataset, out, CvatOptions(images="none"), WriteContext())
    out.commit()
    written = ET.parse(tmp_path / "out" / "annotations.xml").getroot().find("image/cuboid")
    assert (written.get("xtl2"), written.get("ybr1")) == ("3.00", "5.00")


def test_tags_become_classifications(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        '<image id="0" name="a.png"><tag label="weather" source="manual">'
        '<attribute name="weather">rain</attribute>'
        '<attribute name="weather/strength">3</attribute></tag>'
        '<tag label="night"/></image>',
    )
    (item,) = formats.read(path).items
    weather, night = item.classifications
    assert (weather.name, weather.value, weather.children[0].name) == (
        "weather",
        "rain",
        "strength",
    )
    assert (night.name, night.value) == ("night", None)


# --- bad input ------------------------------------------------------------------------------------


def test_a_bad_shape_is_skipped_with_its_place_and_the_rest_loads(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        '<image id="0" name="a.png"><box label="a" xtl="0" ytl="0" xbr="1" ybr="1"/>'
        '<box label="a" xtl="zero" ytl="0" xbr="1" ybr="1"/>'
        '<polygon label="a" points="0,0;1,1"/>'
        '<mask label="a" rle="1, 2" left="0" top="0" width="2" height="2"/></image>',
    )
    dataset = formats.read(path)
    assert len(dataset.items[0].objects) == 1
    where = [issue.where for issue in dataset.issues]
    assert where == ["image[0].box[1]", "image[0].polygon[0]", "image[0].mask[0]"]
    text = [str(issue) for issue in dataset.issues]
    assert "annotations.xml" in text[0]
    assert "'zero'" in text[0]
    assert "2 points" in text[1]
    assert "sum to 3" in text[2]


def test_xml_that_is_not_well_formed_names_its_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text("<annotations><version>1.1</version>\n<image id='0'>\n</annotations>\n")
    assert main(["info", str(path)]) != 0
    err = capsys.readouterr().err
    assert "annotations.xml:3" in err
    assert "Traceback" not in err


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]>'
        "<annotations><version>1.1</version>&x;</annotations>"
    )
    with pytest.raises(Exception, match=r"refused|DTD|entit"):
        formats.read(path, format="cvat")


# --- the zipped export ----------------------------------------------------------------------------


def test_the_zipped_export_with_its_images(tmp_path: Path) -> None:
    archive = tmp_path / "task.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(DATA / "datumaro_export_project.xml", "annotations.xml")
        z.writestr("images/Test/img0.jpg", b"not really a jpeg")
    assert formats.detect(archive).name == "cvat"
    dataset = formats.read(archive)
    assert (len(dataset.items), dataset.object_count) == (6, 12)


# --- read → write → read --------------------------------------------------------------------


def _per_frame(dataset: Dataset) -> list[tuple]:
    rows = []
    for item in dataset.items:
        for obj in item.objects:
            rows.append(
                (
                    obj.frame,
                    obj.category,
                    obj.kind,
                    tuple(round(v, 3) for v in obj.geometry.bounds()),
                    tuple(sorted((a.name, str(a.value)) for a in obj.attributes)),
                    obj.track is not None,
                )
            )
    return sorted(rows)


@pytest.mark.parametrize(
    "fixture", ["datumaro_for_video.xml", "dagshub_sample_video.xml", "datumaro_export_project.xml"]
)
def test_read_write_read_is_identity(fixture: str, tmp_path: Path) -> None:
    first = formats.read(DATA / fixture)
    convert(DATA / fixture, tmp_path / "out", "cvat")
    second = formats.read(tmp_path / "out")
    assert _per_frame(second) == _per_frame(first)
    # Tracks stay tracks: the same objects grouped the same way, outside where they were.
    for a, b in zip(first.items, second.items, strict=True):
        tracks_a = Counter(o.track for o in a.objects if o.track is not None)
        tracks_b = Counter(o.track for o in b.objects if o.track is not None)
        assert sorted(tracks_a.values()) == sorted(tracks_b.values())
        frames_a = {t: sorted(o.frame for o in a.objects if o.track == t) for t in tracks_a}
        frames_b = {t: sorted(o.frame for o in b.objects if o.track == t) for t in tracks_b}
        assert sorted(frames_a.values()) == sorted(frames_b.values())
        assert [f.index for f in a.frames] == [f.index for f in b.frames]


def test_the_video_writer_marks_keyframes_and_where_objects_leave(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("car")
    boxes = [Box(0, 0, 2, 2), Box(0, 0, 2, 2), Box(1, 0, 2, 2), None, Box(5, 5, 1, 1)]
    objects = [
        ObjectLabel("car", box, frame=frame, track="t")
        for frame, box in enumerate(boxes)
        if box is not None
    ]
    item = Item(id="v", name="clip.mp4", kind="video", width=10, height=10, objects=objects)
    item.frames = [Frame(index=i) for i in range(6)]
    dataset.items.append(item)
    out = OutputDir(tmp_path / "out")
    report = formats.write("cvat", dataset, out, CvatOptions(images="none"), WriteContext())
    out.commit()
    root = ET.parse(tmp_path / "out" / "annotations.xml").getroot()
    (track,) = root.findall("track")
    flags = [(b.get("frame"), b.get("keyframe"), b.get("outside")) for b in track]
    assert flags == [
        ("0", "1", "0"),
        ("1", "0", "0"),  # the same box again: not a keyframe
        ("2", "1", "0"),
        ("3", "1", "1"),  # leaves
        ("4", "1", "0"),
        ("5", "1", "1"),  # leaves before the last frame
    ]
    assert root.findtext("meta/task/size") == "6"
    assert not any("track" in reason for reason in report.dropped)


def test_mutable_attributes_are_declared_mutable(tmp_path: Path) -> None:
    convert(DATA / "datumaro_for_video.xml", tmp_path / "out", "cvat")
    root = ET.parse(tmp_path / "out" / "annotations.xml").getroot()
    specs = {
        a.findtext("name"): a.findtext("mutable")
        for a in root.iter("attribute")
        if a.find("name") is not None
    }
    assert specs["hgl"] == "True"


def test_images_mode_can_be_forced(tmp_path: Path) -> None:
    report = convert(
        DATA / "dagshub_sample_video.xml",
        tmp_path / "out",
        "cvat",
        options={"cvat": {"mode": "images"}},
    )
    root = ET.parse(tmp_path / "out" / "annotations.xml").getroot()
    assert len(root.findall("image")) == 5
    assert not root.findall("track")
    assert report.targets[0].dropped["CVAT XML 1.1 cannot hold track ids"] == 9


def test_an_encord_video_keeps_its_tracks(samples: Path, tmp_path: Path) -> None:
    source = samples / "encord/hafnia_midwest-vehicle-detection_video_bbox-polygon.json"
    given = formats.read(source)
    report = convert(source, tmp_path / "out", "cvat", verify=True)
    target = report.targets[0]
    assert target.findings == []
    assert not any("track" in reason for reason in target.dropped)
    root = ET.parse(tmp_path / "out" / "annotations.xml").getroot()
    tracks = {o.track for o in given.items[0].objects}
    assert len(root.findall("track")) == len(tracks) == 50
    back = formats.read(tmp_path / "out")
    assert len({o.track for o in back.items[0].objects}) == 50
    assert back.object_count == given.object_count == 1015


# --- where formats are listed ---------------------------------------------------------------------


def test_formats_and_info_why_list_cvat(capsys) -> None:
    assert main(["formats"]) == 0
    listed = capsys.readouterr().out
    assert "cvat" in listed
    assert "CVAT XML 1.1" in listed
    assert main(["info", "--why", str(DATA / "dagshub_sample_video.xml")]) == 0
    assert "cvat" in capsys.readouterr().out


def test_a_claimed_billion_frames_is_bounded(tmp_path: Path, monkeypatch) -> None:
    from labelview import limits

    monkeypatch.setattr(limits, "MAX_FRAMES", 1000)
    path = _xml(
        tmp_path,
        '<track id="0" label="car">'
        '<box frame="0" keyframe="1" outside="0" xtl="0" ytl="0" xbr="2" ybr="2"/>'
        '<box frame="7" keyframe="1" outside="0" xtl="4" ytl="0" xbr="6" ybr="2"/></track>'
        '<track id="1" label="car">'
        '<box frame="5" keyframe="1" outside="0" xtl="0" ytl="0" xbr="2" ybr="2"/></track>',
        meta="<size>1000000000</size>",
    )
    dataset = formats.read(path)
    (video,) = dataset.items
    messages = [issue.message for issue in dataset.issues]
    assert any("claims 1,000,000,000 frames" in m for m in messages)
    assert any("over the limit" in m for m in messages)
    # The task is read as its first 1,000 frames; track 0 fills them (998 made), which leaves
    # too little of the 1,000 frames interpolation may make for track 1: its given shape only.
    frames = Counter(o.track for o in video.objects)
    assert frames == {"0": 1000, "1": 1}
    assert len(video.frames) == 1000  # the capped count (over 20,000 none would be listed)


def test_a_shape_on_a_frame_the_task_does_not_have_is_skipped(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        '<track id="0" label="car">'
        '<box frame="3" keyframe="1" outside="0" xtl="0" ytl="0" xbr="2" ybr="2"/>'
        '<box frame="4" keyframe="1" outside="1" xtl="0" ytl="0" xbr="2" ybr="2"/></track>',
        meta="<size>3</size><start_frame>0</start_frame><frame_filter>step=2</frame_filter>",
    )
    dataset = formats.read(path)
    assert [issue.where for issue in dataset.issues] == ["track[0].box[0]", "track[0]"]
    assert "not a frame of the task" in dataset.issues[0].message
    assert [o.frame for o in dataset.items[0].objects] == []


def test_a_track_in_a_file_of_images_lands_on_its_images(tmp_path: Path) -> None:
    images = "".join(f'<image id="{i}" name="f{i}.jpg" width="10" height="10"/>' for i in range(3))
    path = _xml(
        tmp_path,
        images + '<track id="4" label="car">'
        '<polygon frame="0" keyframe="1" outside="0" points="0,0;2,0;2,2"/>'
        '<polygon frame="2" keyframe="1" outside="0" points="4,0;6,0;6,2"/></track>',
    )
    dataset = formats.read(path)
    assert [len(item.objects) for item in dataset.items] == [1, 1, 1]
    middle = dataset.items[1].objects[0]
    assert middle.track == "4"
    assert middle.frame is None
    assert np.allclose(middle.geometry.parts[0].outer, [[2, 0], [4, 0], [4, 2]])
