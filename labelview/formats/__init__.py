"""The format registry: every format module, listed explicitly (no folder scanning).

A new format is one module defining `FORMAT = Format(...)`, imported and listed in `_MODULES` below.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from labelview.errors import FormatError
from labelview.formats import (
    ango,
    coco,
    coco_panoptic,
    cvat,
    datagym,
    dataloop,
    encord,
    label_studio,
    labelbox,
    labelme,
    masks,
    segments,
    voc,
    yolo,
)
from labelview.formats._screen import screen
from labelview.formats._writing import holds_for, losses
from labelview.formats.base import (
    Confidence,
    Detection,
    Format,
    Probe,
    ReadContext,
    TaskControl,
    WriteContext,
    WriteReport,
    gc_paused,
)
from labelview.model import Dataset

if TYPE_CHECKING:
    from pydantic import BaseModel

    from labelview.output import OutputDir

# Listed explicitly (static imports, so bundlers see them). The order is the one `labelview formats`
# prints and breaks ties between equally confident detections.
_MODULES = (
    encord,
    ango,
    dataloop,
    segments,
    datagym,
    coco_panoptic,
    coco,
    yolo,
    voc,
    labelme,
    cvat,
    masks,
    label_studio,
    labelbox,
)
FORMATS: dict[str, Format] = {module.FORMAT.name: module.FORMAT for module in _MODULES}


def readers() -> list[Format]:
    return [fmt for fmt in FORMATS.values() if fmt.readable]


def writers() -> list[Format]:
    return [fmt for fmt in FORMATS.values() if fmt.writable]


def open_filter() -> str:
    """The file-dialog filter of every readable format's suffixes: `Exports (*.json …);;All (*)`."""
    suffixes = sorted({suffix for fmt in readers() for suffix in fmt.suffixes})
    return f"Exports ({' '.join('*' + suffix for suffix in suffixes)});;All (*)"


def get(name: str) -> Format:
    """The format called `name`; a LabelviewError listing the known names otherwise."""
    try:
        return FORMATS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise FormatError("", "", f"unknown format {name!r} (known: {known})") from None


def writer(name: str) -> Format:
    fmt = get(name)
    if not fmt.writable:
        names = ", ".join(f.name for f in writers())
        raise FormatError("", "", f"{fmt.title} cannot be written (writable: {names})")
    return fmt


def write(
    name: str,
    dataset: Dataset,
    out: OutputDir,
    options: BaseModel,
    ctx: WriteContext,
) -> WriteReport:
    """Write `dataset` as format `name`; the report's losses come from the writer's declared
    `holds`, so no writer can drop a field without it being reported.
    """
    fmt = writer(name)
    if not ctx.image_roots:
        ctx.image_roots = default_image_roots(dataset.source, None)
    report = fmt.write(dataset, out, options, ctx)
    holds = holds_for(fmt.holds, options)
    if holds is not None:
        report.dropped.update(losses(dataset, holds, fmt.title, cancel=ctx))
    return report


def default_image_roots(source: Path | None, images_dir: Path | None) -> list[Path]:
    """Folders written image names are relative to: the images folder, then the export's folder."""
    roots = [Path(images_dir)] if images_dir is not None else []
    if source is not None:
        base = source if source.is_dir() else source.parent
        # An export's own images/ folder is where its names start (street.png, not
        # images/street.png, which COCO would place as images/images/street.png).
        roots += [folder for folder in (base / "images",) if folder.is_dir()]
        roots.append(base)
    return roots


def verdicts(path: Path | str) -> list[tuple[Format, Detection]]:
    """Every readable format's verdict on `path`, most confident first."""
    probe = Probe.of(path)
    results = []
    for fmt in readers():
        try:
            verdict = fmt.detect(probe)
        except Exception as error:  # a detector must never take the others down
            verdict = Detection(Confidence.NO, f"detector failed: {error}")
        results.append((fmt, verdict))
    results.sort(key=lambda pair: -pair[1].confidence)
    return results


def detect(path: Path | str) -> Format:
    """The one format claiming `path`; FormatError (with every verdict) when none or several tie."""
    path = Path(path)
    if not path.exists():
        raise FormatError(path.name, "", "no such file or folder")
    ranked = verdicts(path)
    best = ranked[0][1].confidence if ranked else Confidence.NO
    top = [fmt for fmt, verdict in ranked if verdict.confidence == best]
    if best <= Confidence.WEAK or len(top) > 1:
        lines = "; ".join(f"{fmt.name}: {verdict.reason}" for fmt, verdict in ranked)
        what = "ambiguous" if best > Confidence.WEAK else "unrecognised"
        raise FormatError(path.name, "", f"{what} format, pass --from ({lines})")
    return top[0]


def read(
    path: Path | str,
    *,
    format: str | None = None,
    ctx: ReadContext | None = None,
    control: TaskControl | None = None,
    **options: object,
) -> Dataset:
    """Read `path` (detecting its format unless given) into a Dataset; issues land in
    dataset.issues.
    """
    path = Path(path)
    fmt = get(format) if format else detect(path)
    if not fmt.readable:
        raise FormatError(path.name, "", f"{fmt.title} can be written but not read")
    if ctx is None:
        ctx = ReadContext(file=path, **options)  # type: ignore[arg-type]
    if control is not None:
        ctx.control = control
    with gc_paused():
        dataset = fmt.read(path, ctx)
        # Otherwise the first collection after a big read walks every object just built (0.3 s
        # on a 70 MB export, seconds on 400 MB), and every later full collection does it again.
        gc.freeze()
    dataset.format = fmt.name
    dataset.source = path
    # The boundary's last check: no NaN, infinite or absurd geometry reaches a writer.
    screen(dataset, ctx)
    # Every reader honours --url-map: what a reader did not resolve itself is looked up here.
    if ctx.url_map is not None:
        from labelview import images

        images.resolve(dataset, images_dir=ctx.images_dir, url_map=ctx.images.url_map, cancel=ctx)
    # Readers report through ctx.warn/ctx.error only; the dataset carries them from here on.
    dataset.issues = list(ctx.issues)
    return dataset
