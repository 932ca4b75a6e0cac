"""Helpers the YOLO reader and writer tests share."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from labelview import formats
from labelview.formats import yolo
from labelview.formats.base import ReadContext, WriteContext
from labelview.model import (
    Dataset,
)
from labelview.output import OutputDir


def _read(path: Path, **options: object) -> tuple[Dataset, ReadContext]:
    ctx = ReadContext(file=path, options=dict(options))
    return yolo.read(path, ctx), ctx


def _png(path: Path, width: int = 40, height: int = 20) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)
    return path


def _write(dataset: Dataset, out: Path, **options: object):
    output = OutputDir(out)
    # Through the registry, so the report holds what `holds` leaves out too.
    report = formats.write("yolo", dataset, output, yolo.YoloOptions(**options), WriteContext())
    output.commit()
    return report


def _where(issue) -> str:
    """`file:line` of an issue (the file may be given as its name only)."""
    return f"{issue.file}:{issue.where}"
