"""Finding each item's image: relative paths, bare names, case, URL-encoding, --images, frames."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from labelview import images
from labelview.model import Dataset, Frame, Item


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_reference_parts() -> None:
    assert images.reference_parts("https://host/a/b%20c.jpg?x=1").as_posix() == "a/b c.jpg"
    assert images.reference_parts("dir\\sub\\x.png").as_posix() == "dir/sub/x.png"
    assert images.reference_parts("/abs/x.png").as_posix() == "abs/x.png"


def test_relative_path_and_bare_name(tmp_path: Path) -> None:
    nested = _touch(tmp_path / "train" / "a.jpg")
    finder = images.ImageFinder([tmp_path])
    assert finder.find("train/a.jpg") == nested
    assert finder.find("a.jpg") == nested  # found through the index of nested folders
    assert finder.find("elsewhere/a.jpg") == nested  # only the name matches: still unique
    assert finder.find("missing.jpg") is None
    assert finder.find(None) is None
    assert finder.find("") is None


def test_case_insensitive_and_url_encoded(tmp_path: Path) -> None:
    upper = _touch(tmp_path / "IMG 01.JPG")
    finder = images.ImageFinder([tmp_path])
    assert finder.find("img 01.jpg") == upper
    assert finder.find("img%2001.jpg") == upper
    assert finder.find("https://bucket.example/data/IMG%2001.JPG") == upper


def test_same_name_in_two_folders_prefers_the_matching_tail(tmp_path: Path) -> None:
    _touch(tmp_path / "train" / "x.png")
    val = _touch(tmp_path / "val" / "x.png")
    finder = images.ImageFinder([tmp_path])
    assert finder.find("s3://b/VAL/x.png") == val


def test_images_dir_comes_first_and_frames_resolve(tmp_path: Path) -> None:
    export = tmp_path / "export" / "labels.json"
    _touch(export)
    beside = _touch(tmp_path / "export" / "a.jpg")
    chosen = _touch(tmp_path / "pictures" / "a.jpg")
    frame = _touch(tmp_path / "export" / "images" / "f1.png")
    dataset = Dataset(source=export)
    dataset.items = [
        Item(id="1", name="a.jpg"),
        Item(id="2", name="clip", kind="group", frames=[Frame(index=0, image="f1.png")]),
        Item(id="3", name="nowhere.jpg"),
    ]
    assert images.resolve(dataset) == 2
    assert dataset.items[0].image_path == beside
    assert dataset.items[1].frames[0].image_path == frame
    assert dataset.items[2].image_path is None
    # A path already resolved (by the reader or an earlier call) is kept.
    assert images.resolve(dataset, images_dir=tmp_path / "pictures") == 2
    assert dataset.items[0].image_path == beside
    fresh = Dataset(source=export, items=[Item(id="1", name="a.jpg")])
    assert images.resolve(fresh, images_dir=tmp_path / "pictures") == 1
    assert fresh.items[0].image_path == chosen


def test_image_size_reads_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (7, 3)).save(path)
    assert images.image_size(path) == (7, 3)
    assert images.image_size(_touch(tmp_path / "broken.png")) is None
    assert images.image_size(tmp_path / "missing.png") is None


def test_dotdot_reference_never_reaches_outside_the_roots(tmp_path: Path) -> None:
    _touch(tmp_path / "secret.jpg")  # outside the searched folder
    root = tmp_path / "export"
    root.mkdir()
    finder = images.ImageFinder([root])
    assert finder.find("../secret.jpg") is None
    inside = _touch(root / "secret.jpg")
    finder = images.ImageFinder([root])  # a finder indexes its folders once
    assert finder.find("../../secret.jpg") == inside  # the name alone, inside the root


def test_cocos_dataset_layout_finds_images_of_every_subset(tmp_path) -> None:
    from labelview.images import ImageFinder, default_roots

    (tmp_path / "annotations").mkdir()
    image = tmp_path / "images" / "val" / "5.jpg"
    image.parent.mkdir(parents=True)
    image.write_bytes(b"x")
    roots = default_roots(tmp_path / "annotations" / "instances_val.json", None)
    assert ImageFinder(roots).find("5.jpg") == image
