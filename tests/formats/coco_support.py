"""Helpers the COCO reader, writer and sample tests share."""

from __future__ import annotations

import json
from pathlib import Path

from labelview import formats
from labelview.formats import coco
from labelview.formats.base import WriteContext
from labelview.model import (
    Dataset,
    ObjectLabel,
)
from labelview.output import OutputDir

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "coco"


def _read(path: Path) -> Dataset:
    return formats.read(path, format="coco")


def _write(dataset: Dataset, folder: Path, **options: object) -> tuple[dict, object]:
    out = OutputDir(folder)
    options.setdefault("images", "none")
    report = coco.write(dataset, out, coco.CocoOptions(**options), WriteContext())
    out.commit()
    return json.loads((folder / "annotations.json").read_text()), report


def _objects(dataset: Dataset, name: str) -> dict[str, list[ObjectLabel]]:
    item = next(item for item in dataset.items if item.name == name)
    found: dict[str, list[ObjectLabel]] = {}
    for obj in item.objects:
        found.setdefault(obj.id, []).append(obj)
    return found
