"""Reading a Segments.ai release: labelset choice, the generation's categories, the samples, and
the checks made once every sample is read (bitmap ids, missing files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labelview.formats._reading import (
    BAD_VALUE,
    Skip,
    at,
    describe,
    integer,
    take,
    text,
)
from labelview.formats.base import ReadContext, load_json
from labelview.formats.segments.bitmaps import BitmapError
from labelview.formats.segments.read_labels import LabelReader
from labelview.formats.segments.read_objects import category_key
from labelview.model import Dataset, ObjectLabel

# Reading decodes every located bitmap to check its ids when their pixels add up to no more than
# this (small releases are fully validated; big ones decode lazily, on demand).
AUTO_CHECK_PIXELS = 64_000_000


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a Segments.ai release JSON into a Dataset (one labelset; see the package docstring)."""
    data = load_json(path, ctx)
    if not isinstance(data, dict) or not isinstance(data.get("dataset"), dict):
        raise ctx.fail("", "not a Segments.ai release: expected an object with a 'dataset' block")
    block = data["dataset"]
    samples = block.get("samples")
    if not isinstance(samples, list):
        raise ctx.fail("dataset.samples", "not a Segments.ai release: 'samples' is not a list")
    names = labelset_names(block, samples)
    labelset = choose_labelset(block, names, ctx)
    dataset = Dataset()
    reader = LabelReader(ctx, dataset, labelset)
    categories, image_attributes, task_type, generation = schema(block, labelset, ctx)
    where_categories = "dataset.task_attributes.categories"
    if generation != "task_attributes":
        where_categories = at("dataset", generation, labelset or "", "attributes.categories")
    add_categories(reader, categories, where_categories)
    dataset.meta = {
        "release": data.get("name"),
        "release_created_at": data.get("created_at"),
        "dataset": block.get("name"),
        "owner": block.get("owner"),
        "task_type": task_type,
        "labelset": labelset,
        "labelsets": names,
        "generation": generation,
        "image_attributes": image_attributes,
    }
    total = len(samples)
    for index, sample in enumerate(samples):
        ctx.check_cancelled()
        if index % 200 == 0:
            ctx.progress(index, total)
        if not isinstance(sample, dict):
            ctx.error(at("dataset.samples", index), "sample is not an object; skipped")
            continue
        try:
            dataset.items.append(reader.sample(index, sample))
        except BAD_VALUE as error:
            ctx.error(at("dataset.samples", index), f"sample skipped: {describe(error)}")
    ctx.progress(total, total)
    _say_which_labelset(samples, names, labelset, ctx)
    _report_missing(
        ctx,
        "image",
        reader.images_found,
        reader.missing_images,
        "the SDK's download name, the sample or frame name, the URL file name",
    )
    _report_missing(
        ctx,
        "label bitmap",
        reader.bitmaps_found,
        reader.missing_bitmaps,
        f"<sample stem>_label_{labelset}.png, the URL file name",
    )
    check_bitmaps(reader)
    for what, count in reader.no_geometry.items():
        ctx.warn(
            reader.no_geometry_at[what],
            f"{count} {what} annotation(s) have no 2D image geometry; kept without a shape",
        )
    return dataset


# --- the release's labelsets and categories -------------------------------------------------------


def labelset_names(block: dict, samples: list) -> list[str]:
    """Every labelset the release declares or its samples carry, declared ones first."""
    names: list[str] = []
    for source in (block.get("labelsets"), block.get("tasks")):
        if isinstance(source, dict):
            names += [str(key) for key in source]
        elif isinstance(source, list):
            # A name that is not text names no labelset a sample can carry.
            names += [
                e["name"] for e in source if isinstance(e, dict) and isinstance(e.get("name"), str)
            ]
        if names:
            break
    for sample in samples:
        labels = sample.get("labels") if isinstance(sample, dict) else None
        if isinstance(labels, dict):
            names += [str(key) for key in labels if str(key) not in names]
    return list(dict.fromkeys(names))


def choose_labelset(block: dict, names: list[str], ctx: ReadContext) -> str | None:
    """The reader option `labelset`, else the one marked ground truth, else the first."""
    asked = ctx.options.get("labelset")
    if asked:
        if str(asked) not in names:
            raise ctx.fail(
                "dataset.labelsets",
                f"no labelset {asked!r} in this release (it has: {', '.join(names) or 'none'})",
            )
        return str(asked)
    declared = block.get("labelsets")
    if isinstance(declared, list):
        for entry in declared:
            if isinstance(entry, dict) and entry.get("is_groundtruth"):
                if isinstance(entry.get("name"), str):
                    return entry["name"]
                ctx.warn("dataset.labelsets", "the ground-truth labelset's name is not text")
    if "ground-truth" in names:
        return "ground-truth"
    return names[0] if names else None


def schema(
    block: dict, labelset: str | None, ctx: ReadContext
) -> tuple[list, list, str | None, str]:
    """(categories, image attribute defs, task type, generation) from whichever era wrote it:
    `task_attributes` (2022 on), a `labelsets` dict (2021) or a `tasks` dict / list (2020).
    """
    task_attributes = block.get("task_attributes")
    if isinstance(task_attributes, dict):
        return (
            task_attributes.get("categories") or [],
            task_attributes.get("image_attributes") or [],
            block.get("task_type"),
            "task_attributes",
        )
    for key in ("labelsets", "tasks"):
        holder = block.get(key)
        entry = None
        if isinstance(holder, dict):
            entry = holder.get(labelset) if labelset else None
        elif isinstance(holder, list) and key == "tasks":
            entry = next(
                (e for e in holder if isinstance(e, dict) and str(e.get("name")) == labelset),
                None,
            )
        if isinstance(entry, dict):
            attributes = entry.get("attributes") or {}
            return (
                attributes.get("categories") or [],
                attributes.get("image_attributes") or [],
                entry.get("task_type") or block.get("task_type"),
                key,
            )
    ctx.warn("dataset", "no categories in the release (task_attributes missing)")
    return [], [], block.get("task_type"), "unknown"


def _rgb(color: Any) -> tuple[tuple[int, int, int] | None, int | None]:
    """(RGB, alpha) of a category colour [r, g, b] or [r, g, b, a]; (None, None) otherwise."""
    if isinstance(color, (list, tuple)) and len(color) in (3, 4):
        try:
            values = [integer(v, "colour", low=0, high=255) for v in color]
        except Skip:
            return None, None
        return (values[0], values[1], values[2]), (values[3] if len(values) == 4 else None)
    return None, None


def add_categories(reader: LabelReader, categories: Any, where: str) -> None:
    dataset = reader.dataset
    if not isinstance(categories, list):
        reader.ctx.warn(where, "categories is not a list")
        return
    for index, category in enumerate(categories):
        loc = at(where, index)
        try:
            cid = take(category, "id")
            if not isinstance(cid, str):
                cid = integer(cid, "id")
            name = text(take(category, "name"), "name")
        except BAD_VALUE as error:
            reader.ctx.warn(loc, f"category skipped: {describe(error)}")
            continue
        if category_key(cid) in reader.categories:
            reader.ctx.warn(loc, f"duplicate category id {cid}: {name!r} ignored")
            continue
        if name in dataset.categories:
            reader.ctx.warn(loc, f"category name {name!r} repeats; this one is {name} ({cid})")
            name = f"{name} ({cid})"
        color, alpha = _rgb(category.get("color"))
        extra = {k: v for k, v in category.items() if k not in ("id", "name", "color")}
        if alpha is not None:
            extra["alpha"] = alpha
        dataset.category(name, id=cid, color=color, extra=extra)
        reader.categories[category_key(cid)] = name


# --- after the pass -------------------------------------------------------------------------------


def _say_which_labelset(
    samples: list, names: list[str], labelset: str | None, ctx: ReadContext
) -> None:
    labelled = [
        name
        for name in names
        if any(
            isinstance(s, dict) and isinstance(s.get("labels"), dict) and s["labels"].get(name)
            for s in samples
        )
    ]
    if len(labelled) > 1:
        ctx.warn(
            "dataset.labelsets",
            f"{len(labelled)} labelsets carry labels ({', '.join(labelled)}): showing "
            f"{labelset!r}; read again with the reader option labelset=NAME for another",
        )


def _report_missing(
    ctx: ReadContext, kind: str, found: int, missing: list[tuple[str, str, str]], looked: str
) -> None:
    """One warning when nothing was found (the usual lone release file), else one per miss."""
    if not missing:
        return
    if found == 0 and len(missing) > 1:
        ctx.warn(
            "dataset.samples",
            f"none of the {len(missing)} {kind}s was found locally (looked for {looked}, "
            "beside the release and in its subfolders); pass --images DIR or --url-map FILE",
        )
        return
    for loc, item_id, message in missing:
        ctx.warn(loc, message, item=item_id)


def check_bitmaps(reader: LabelReader) -> None:
    """Decode located bitmaps: warn on pixel ids without an annotation and empty annotations.

    Reader option `check_bitmaps`: True always, False never, unset when the bitmaps add up to
    no more than AUTO_CHECK_PIXELS.
    """
    ctx = reader.ctx
    option = ctx.options.get("check_bitmaps")
    total = sum(bitmap.width * bitmap.height for _, _, bitmap, _, _ in reader.checks)
    if option is False or (option is None and total > AUTO_CHECK_PIXELS):
        return
    for done, (loc, item, bitmap, objects, frame) in enumerate(reader.checks):
        ctx.check_cancelled()
        ctx.progress(done, len(reader.checks))
        try:
            ids = bitmap.ids()
        except BitmapError as error:
            ctx.warn(loc, f"{error}; masks not shown", item=item.id)
            for obj, _ in objects:
                obj.geometry = None
            continue
        present, counts = np.unique(ids, return_counts=True)
        pixels = dict(zip(present.tolist(), counts.tolist(), strict=True))
        listed = set()
        for obj, ident in objects:
            listed.add(ident)
            if obj.geometry is not None and not pixels.get(ident):
                obj.geometry = None
                obj.extra = {**(obj.extra or {}), "no_pixels": True}
                ctx.warn(
                    loc,
                    f"annotation id {ident} has no pixels in {bitmap.path.name}",
                    item=item.id,
                    obj=str(ident),
                )
        for ident in sorted(set(pixels) - listed - {0}):
            ctx.warn(
                loc,
                f"{pixels[ident]} pixels of id {ident} in {bitmap.path.name} have no "
                "annotation (shown as category 'unknown')",
                item=item.id,
                obj=str(ident),
            )
            reader.dataset.category("unknown", extra={"undeclared": True})
            item.objects.append(
                ObjectLabel(
                    category="unknown",
                    geometry=bitmap.mask(ident),
                    id=str(ident),
                    frame=frame,
                    extra={"unlisted": True},
                )
            )
