"""The writing toolkit: the naming rule, image placement and losses computed from Holds."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from labelview.formats._writing import EXACT, Holds, ImagePlacer, losses, pictures
from labelview.formats.base import WriteReport
from labelview.model import Answer, Box, Dataset, Frame, Item, ObjectLabel
from labelview.output import OutputDir


def test_an_image_found_is_named_relative_to_the_folder_it_was_found_in(tmp_path) -> None:
    image = tmp_path / "photos" / "sub" / "a.jpg"
    item = Item(id="1", name="a.jpg", image="https://s3/bucket/a.jpg?sig=1", image_path=image)
    [picture] = pictures(item, [tmp_path / "photos"])
    assert picture.name == "sub/a.jpg"


def test_a_missing_url_image_takes_the_platforms_download_name() -> None:
    item = Item(id="1", name="scans/a.png", image="https://host/x/y/opaque-id?sig=2")
    assert [p.name for p in pictures(item)] == ["scans/a.png"]


def test_video_frames_follow_one_scheme_with_one_suffix(tmp_path) -> None:
    found = tmp_path / "clip" / "00001.png"
    item = Item(id="v", name="videos/clip.mp4", image="videos/clip.mp4", kind="video")
    item.frames = [Frame(index=1, image_path=found), Frame(index=2)]
    item.objects = [ObjectLabel("a", Box(0, 0, 1, 1), frame=3)]
    names = [p.name for p in pictures(item, [tmp_path])]
    assert names == ["videos/clip/000001.png", "videos/clip/000002.png", "videos/clip/000003.png"]


def test_group_frames_keep_their_own_images() -> None:
    item = Item(id="g", name="group", kind="group")
    item.frames = [
        Frame(index=0, image="a/1.jpg"),
        Frame(index=1, image="https://h/p.jpg", name="p.jpg"),
    ]
    assert [p.name for p in pictures(item)] == ["a/1.jpg", "p.jpg"]


@given(
    reference=st.one_of(
        st.text(min_size=1, max_size=30),
        st.builds(lambda s: f"https://host/{s}?x=1#frag", st.text(max_size=20)),
    ),
    frame=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_a_written_name_is_never_a_url_and_never_escapes(reference: str, frame: int | None) -> None:
    item = Item(id="i", name=reference, image=reference)
    if frame is not None:
        item.kind = "video"
        item.objects = [ObjectLabel("a", Box(0, 0, 1, 1), frame=frame)]
    for picture in pictures(item):
        assert "://" not in picture.name
        assert not picture.name.startswith("/")
        assert ".." not in picture.name.split("/")


def test_images_are_linked_beside_the_labels_and_the_report_says_how(tmp_path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(b"jpeg")
    out = OutputDir(tmp_path / "out")
    report = WriteReport(format="x")
    placer = ImagePlacer(out, "link", report)
    placer.place(source, "images/a.jpg")
    placer.place(source, "images/a.jpg")  # once per name
    placer.place(tmp_path / "gone.jpg", "images/gone.jpg")
    placer.finish()
    assert not (tmp_path / "out/images/a.jpg").exists()  # staged until the commit
    out.commit()
    assert (tmp_path / "out/images/a.jpg").read_bytes() == b"jpeg"
    assert report.notes == ["images: 1 hard-linked"]
    assert report.dropped == {"images not found on disk (not placed beside the labels)": 1}


def test_losses_name_each_field_and_shape_a_target_cannot_hold() -> None:
    item = Item(id="1", name="a.jpg", status="done")
    item.objects = [
        ObjectLabel("a", Box(0, 0, 1, 1), "7", confidence=0.5, attributes=[Answer("q", 1)]),
        ObjectLabel("a", None),
    ]
    holds = Holds(shapes={"box": "written as its corners"}, fields=frozenset({"object id"}))
    lost = losses(Dataset(items=[item]), holds, "T")
    assert lost == {
        "T cannot hold confidence scores": 1,
        "T cannot hold attribute values": 1,
        "T cannot hold item statuses": 1,
        "box written as its corners": 1,
        "objects without a shape": 1,
    }
    assert (
        losses(Dataset(items=[item]), Holds({"box": EXACT}, frozenset()), "T")[
            "T cannot hold object ids"
        ]
        == 1
    )


def test_placing_nothing_is_an_option(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "out")
    report = WriteReport(format="x")
    placer = ImagePlacer(out, "none", report)
    placer.place(tmp_path / "gone.jpg", "images/gone.jpg")
    placer.finish()
    assert (report.notes, report.dropped) == ([], {})
