"""The bundled demo export: reads cleanly, has every shape kind, labels sit on the drawing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from labelview import demo, formats, images
from labelview.model.classifications import walk
from labelview.model.geometry import SHAPE_KINDS


def read_demo():
    dataset = formats.read(demo.path())
    images.resolve(dataset)
    return dataset


def test_demo_reads_without_issues_and_has_every_shape_kind():
    dataset = read_demo()
    assert dataset.format == "encord"
    assert dataset.issues == []
    kinds = set(dataset.counts()["kind"])
    assert kinds == set(SHAPE_KINDS) - {"ellipse"}  # Encord has no ellipse tool


def test_demo_covers_the_tricky_parts():
    dataset = read_demo()
    street, drive = dataset.items
    shapes = {o.category: o.geometry for o in street.objects}
    assert shapes["Pond"].has_holes
    assert len(shapes["Bushes"].parts) == 2
    assert sorted(shapes["Person"].visibility.tolist()) == [0, 1, 2, 2, 2, 2, 2]
    assert shapes["Sign"].angle == 20
    # Three levels of nested classification answers.
    paths = {path for path, _ in walk(street.classifications)}
    assert "Scene/Weather/Sky" in paths
    # Model and manual labels, with confidences.
    sources = {(o.category, o.source, o.confidence) for o in street.objects}
    assert ("Car mask", "model", 0.82) in sources
    assert ("Car", "manual", 1.0) in sources
    # A video whose boxes move, with a dynamic attribute per frame.
    assert drive.kind == "video"
    assert [f.index for f in drive.frames] == [0, 1, 2]
    cars = sorted((o for o in drive.objects if o.category == "Car"), key=lambda o: o.frame)
    assert [o.geometry.x for o in cars] == sorted(o.geometry.x for o in cars)
    assert len({o.geometry.x for o in cars}) == 3
    motion = [next(a.value for a in o.attributes if a.name == "Motion") for o in cars]
    assert motion == ["Parked", "Driving", "Driving"]
    # Status and history.
    assert street.status == "REVIEWED"
    assert [e.action for e in street.history].count("exported") == 1
    assert dataset.categories["Person"].skeleton.edges


def test_demo_images_are_found_and_labels_sit_on_the_drawing():
    dataset = read_demo()
    street, drive = dataset.items
    assert street.image_path is not None
    assert all(frame.image_path is not None for frame in drive.frames)
    pixels = np.asarray(Image.open(street.image_path).convert("RGB")).astype(int)
    mask = next(o for o in street.objects if o.category == "Car mask").geometry.decode()
    # Every mask pixel is the car's red body or a black wheel.
    colours = {tuple(c) for c in pixels[mask]}
    assert colours == {(200, 30, 30), (25, 25, 25)}
    car = next(o for o in street.objects if o.category == "Car").geometry
    x0, y0, x1, y1 = (round(v) for v in car.bounds())
    assert mask.sum() == mask[y0:y1, x0:x1].sum()
    assert mask[y0:y1, x0].any()  # the box is tight: the mask touches its left and right edges
    assert mask[y0:y1, x1 - 1].any()
    sun = next(o for o in street.objects if o.category == "Sun").geometry
    assert tuple(pixels[int(sun.y), int(sun.x)]) == (252, 210, 40)
    total = sum(p.stat().st_size for p in demo.path().parent.rglob("*") if p.is_file())
    assert total < 1_000_000


def test_info_command_on_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "labelview", "info", str(demo.path())],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Encord" in result.stdout
    assert "issues: 0" in result.stdout
