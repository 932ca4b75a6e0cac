"""convert(): read any export, write it in one or more target formats. Shared by the CLI and the
GUI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from labelview import formats
from labelview.errors import Issue, LabelviewError
from labelview.formats.base import TaskControl, WriteContext, WriteReport
from labelview.model import Dataset, Item
from labelview.output import OutputDir

ItemFilter = Callable[[Item], bool]


@dataclass(slots=True)
class ConversionReport:
    """What one conversion read, wrote and dropped."""

    source: Path
    format: str = ""
    items: int = 0
    objects: int = 0
    issues: list[Issue] = field(default_factory=list)
    targets: list[WriteReport] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.level == "error"]

    @property
    def changed(self) -> int:
        """Objects `verify` found changed, over every target."""
        return sum(len(target.findings or ()) for target in self.targets)

    def summary(self) -> str:
        lines = [
            f"{self.source.name} ({self.format}): {self.items:,} items, "
            f"{self.objects:,} objects read, {len(self.issues):,} issues"
        ]
        for target in self.targets:
            lines.append(target.summary())
            if target.out is not None:
                lines.append(f"  → {target.out}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "format": self.format,
            "items": self.items,
            "objects": self.objects,
            "issues": [
                {"file": i.file, "where": i.where, "message": i.message, "level": i.level}
                for i in self.issues
            ],
            "targets": [
                {
                    "format": t.format,
                    "out": str(t.out) if t.out else None,
                    "files": len(t.files),
                    "items": t.items,
                    "objects": t.objects,
                    "dropped": dict(t.dropped),
                    "notes": t.notes,
                    "verified": t.findings is not None,
                    "changed": [f.to_json() for f in t.findings or ()],
                }
                for t in self.targets
            ],
        }


def writer_options(name: str, given: Mapping[str, Any] | BaseModel | None) -> BaseModel:
    """Validate options for writer `name` against its options model (LabelviewError if bad)."""
    fmt = formats.writer(name)
    if isinstance(given, fmt.options):
        return given
    values = given.model_dump() if isinstance(given, BaseModel) else dict(given or {})
    try:
        return fmt.options.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in error.errors()
        )
        raise LabelviewError(f"{fmt.name} options: {problems}") from None


def select(
    dataset: Dataset,
    *,
    item_filter: ItemFilter | None = None,
    rename: Mapping[str, str] | None = None,
    exclude: Sequence[str] = (),
) -> Dataset:
    """A shallow view of `dataset` with items filtered and categories renamed or excluded (never
    mutates).
    """
    if item_filter is None and not rename and not exclude:
        return dataset
    rename = dict(rename or {})
    excluded = set(exclude)
    categories: dict = {}
    for name, category in dataset.categories.items():
        if name in excluded:
            continue
        new_name = rename.get(name, name)
        if new_name not in categories:
            categories[new_name] = category.model_copy(update={"name": new_name})
    items = []
    for item in dataset.items:
        if item_filter is not None and not item_filter(item):
            continue
        if rename or excluded:
            objects = []
            for obj in item.objects:
                if obj.category in excluded:
                    continue
                if obj.category in rename:
                    obj = _with_category(obj, rename[obj.category])
                objects.append(obj)
            item = item.model_copy(update={"objects": objects})
        items.append(item)
    return dataset.model_copy(update={"items": items, "categories": categories})


def _with_category(obj: Any, category: str) -> Any:
    return replace(obj, category=category)


def convert(
    source: Path | str,
    out: Path | str,
    to: str | Sequence[str],
    *,
    from_format: str | None = None,
    options: Mapping[str, Mapping[str, Any] | BaseModel] | None = None,
    images_dir: Path | None = None,
    ontology: Path | None = None,
    url_map: Path | None = None,
    read_options: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    item_filter: ItemFilter | None = None,
    rename: Mapping[str, str] | None = None,
    exclude: Sequence[str] = (),
    control: TaskControl | None = None,
    dataset: Dataset | None = None,
    verify: bool = False,
) -> ConversionReport:
    """Read `source` (or use an already-read `dataset`) and write it as each format in `to`.

    One target writes straight into `out`; several write into `out/<format>/`. Every target's files
    are staged and committed only when all targets succeeded — an error or a cancel leaves no output
    behind. `verify`: read each output back and record what changed (`WriteReport.findings`).
    """
    source = Path(source)
    out = Path(out)
    # The same target twice would write one folder twice.
    targets = [to] if isinstance(to, str) else list(dict.fromkeys(to))
    if not targets:
        raise LabelviewError("no target format given")
    control = control or TaskControl()
    validated = {name: writer_options(name, (options or {}).get(name)) for name in targets}

    if dataset is None:
        control.stage(f"Reading {source.name}")
        from labelview.formats.base import ReadContext

        ctx = ReadContext(
            file=source,
            images_dir=images_dir,
            ontology=ontology,
            url_map=url_map,
            options=dict(read_options or {}),
            control=control,
        )
        dataset = formats.read(source, format=from_format, ctx=ctx)
    from labelview import images

    images.resolve(dataset, images_dir=images_dir)
    report = ConversionReport(
        source=source,
        format=dataset.format,
        items=len(dataset.items),
        objects=dataset.object_count,
        issues=list(dataset.issues),
    )
    chosen = select(dataset, item_filter=item_filter, rename=rename, exclude=exclude)

    outputs = []
    roots = formats.default_image_roots(dataset.source, images_dir)
    out_existed = out.exists()
    try:
        for name in targets:
            fmt = formats.writer(name)
            folder = out if len(targets) == 1 else out / fmt.name
            output = OutputDir(folder, overwrite=overwrite)
            outputs.append(output)
            control.stage(f"Writing {fmt.title}")
            write_ctx = WriteContext(control=control, image_roots=roots)
            target_report = formats.write(name, chosen, output, validated[name], write_ctx)
            target_report.out = folder
            report.issues.extend(write_ctx.issues)
            report.targets.append(target_report)
            control.check_cancelled()
        for output, target_report in zip(outputs, report.targets, strict=True):
            target_report.files = output.commit()
    except BaseException:  # errors, Cancelled, KeyboardInterrupt: nothing half-written stays
        for output in outputs:
            output.discard()
        # Several targets live in out/<format>/: drop the parent folder too if we made it.
        if not out_existed and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    if verify:
        for name, target_report in zip(targets, report.targets, strict=True):
            control.stage(f"Verifying {name}")
            _verify(chosen, name, validated[name], target_report, roots)
    return report


def _verify(
    dataset: Dataset, name: str, options: BaseModel, report: WriteReport, roots: list[Path]
) -> None:
    """Read what was written back and compare it with `dataset` (see labelview.verify)."""
    from labelview import verify
    from labelview.formats._writing import holds_for

    fmt = formats.get(name)
    holds = holds_for(fmt.holds, options)
    if not fmt.readable or holds is None or report.out is None:
        report.notes.append(f"not verified: {fmt.title} output cannot be read back yet")
        return
    if report.objects == 0:
        report.notes.append("not verified: no object was written")
        return
    try:
        written = formats.read(readback_path(name, report.out), format=name)
    except LabelviewError as error:
        report.notes.append(f"not verified: the output cannot be read back ({error})")
        report.findings = []
        from labelview.verify import Finding

        report.findings.append(Finding("", "", None, "unreadable", str(error)))
        return
    report.findings = verify.verify(dataset, written, holds, roots=roots, skipped=report.skipped)


def readback_path(name: str, out: Path) -> Path:
    """What to open to read an output of format `name` back: its folder, or its one JSON file."""
    single = out / "annotations.json"
    return single if name == "coco" and single.is_file() else out


def write_report(report: ConversionReport, path: Path) -> None:
    """Save a conversion report as JSON (atomically)."""
    from labelview.output import atomic_write

    atomic_write(path, json.dumps(report.to_json(), indent=2).encode("utf-8"))
