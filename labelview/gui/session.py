"""The one stateful bridge between the core and the window: dataset, current item, selection.

Panels and the canvas are views on a Session: they read from it and call its methods; it emits
signals and they redraw. No panel reaches into another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from labelview import formats, images
from labelview.errors import Issue
from labelview.formats.base import Confidence, Detection, Format, ReadContext, TaskControl
from labelview.gui.tasks import Task
from labelview.model import Dataset, Item, ObjectLabel


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """What to open and how (kept so a retry with a chosen format keeps the same options)."""

    path: Path
    format: str | None = None
    images_dir: Path | None = None
    ontology: Path | None = None
    url_map: Path | None = None


@dataclass(frozen=True, slots=True)
class FormatNeeded:
    """The worker's answer when no format clearly claims the input: every verdict."""

    verdicts: list[tuple[Format, Detection]]


def read_dataset(request: OpenRequest, control: TaskControl) -> Dataset | FormatNeeded:
    """Detect (unless the format is given), read and resolve images (runs on the worker)."""
    if request.format is None:
        # Detection walks folders (a dropped image tree can be big): off the window's thread too.
        control.stage(f"Detecting the format of {request.path.name}")
        ranked = formats.verdicts(request.path)
        fmt = chosen_format(ranked)
        if fmt is None:
            return FormatNeeded(ranked)
        request = dataclasses.replace(request, format=fmt.name)
    control.stage(f"Reading {request.path.name}")
    ctx = ReadContext(
        file=request.path,
        images_dir=request.images_dir,
        ontology=request.ontology,
        url_map=request.url_map,
        control=control,
    )
    dataset = formats.read(request.path, format=request.format, ctx=ctx)
    control.stage("Finding images")
    images.resolve(dataset, images_dir=request.images_dir, cancel=control)
    return dataset


def chosen_format(ranked: list[tuple[Format, Detection]]) -> Format | None:
    """The one format that clearly claims the input, or None when it is ambiguous or unknown."""
    if not ranked:
        return None
    best = ranked[0][1].confidence
    top = [fmt for fmt, verdict in ranked if verdict.confidence == best]
    if best <= Confidence.WEAK or len(top) > 1:
        return None
    return top[0]


class Session(QObject):
    """Holds the open dataset and what the user looks at; every change goes out as a signal."""

    loading = Signal(object)  # OpenRequest: a read started
    progress = Signal(int, int)
    stage = Signal(str)
    loaded = Signal()  # a new dataset is in place
    load_failed = Signal(str)
    load_cancelled = Signal()
    format_needed = Signal(object, object)  # OpenRequest, [(Format, Detection)]
    item_changed = Signal()  # the current item or frame changed
    selection_changed = Signal(object)  # ObjectLabel | None
    visibility_changed = Signal()  # category visibility
    objects_filtered = Signal()  # the review filter changed which objects are shown
    issues_changed = Signal()
    images_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.request: OpenRequest | None = None
        self.item_index = -1
        self.frame: int | None = None
        self.selected: ObjectLabel | None = None
        self.hidden: set[str] = set()
        self.object_filter: Callable[[ObjectLabel], bool] | None = None  # review: shown if True
        self.issues: list[Issue] = []
        self.task: Task | None = None
        self.images_dir: Path | None = None
        self._noted: set[str] = set()

    # --- opening ---------------------------------------------------------------------------------

    def open(
        self,
        path: Path | str,
        *,
        format: str | None = None,
        images_dir: Path | None = None,
        ontology: Path | None = None,
        url_map: Path | None = None,
        wait: bool = False,
    ) -> bool:
        """Start reading `path` on a worker (or here, with wait=True); False if it cannot start.

        When no format clearly claims the input, `format_needed` (after the worker's detection)
        asks the window to let the user choose, and the window calls open again with `format`.
        """
        request = OpenRequest(Path(path), format, images_dir, ontology, url_map)
        if not request.path.exists():
            self._fail(request, "no such file or folder")
            return False
        self.cancel()
        task = Task(lambda control: read_dataset(request, control), self)
        task.request = request  # type: ignore[attr-defined]
        # Bound methods of this QObject: Qt queues the calls into the window's thread.
        task.progress.connect(self.progress)
        task.stage.connect(self.stage)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        self.task = task
        self.loading.emit(request)
        task.start(wait=wait)
        return True

    def cancel(self) -> None:
        """Cancel the running read, if any (its result is ignored from now on)."""
        if self.task is not None:
            self.task.cancel()

    @property
    def busy(self) -> bool:
        return self.task is not None

    def _on_finished(self, result: Dataset | FormatNeeded) -> None:
        task = self.sender()
        task.deleteLater()
        if task is not self.task:
            return  # a read the user replaced or cancelled
        self.task = None
        if isinstance(result, FormatNeeded):
            self.format_needed.emit(task.request, result.verdicts)
            return
        dataset = result
        self.request = task.request
        self.images_dir = task.request.images_dir
        self.set_dataset(dataset)

    def _on_failed(self, message: str) -> None:
        task = self.sender()
        task.deleteLater()
        if task is not self.task:
            return
        self.task = None
        self._fail(task.request, message)

    def _on_cancelled(self) -> None:
        task = self.sender()
        task.deleteLater()
        if task is not self.task:
            return
        self.task = None
        self.load_cancelled.emit()

    def _fail(self, request: OpenRequest, message: str) -> None:
        name = request.path.name or str(request.path)
        # FormatError messages already start with the file name.
        text = message if message.startswith(f"{name}:") else f"{name}: {message}"
        self.issues.append(Issue(name, "", text.removeprefix(f"{name}: "), "error"))
        self.issues_changed.emit()
        self.load_failed.emit(text)

    def set_dataset(self, dataset: Dataset) -> None:
        """Show `dataset` (replacing the open one) from its first item."""
        self.dataset = dataset
        self.hidden = set()
        self.issues = list(dataset.issues)
        self._noted = set()
        self.selected = None
        self.item_index = -1
        self.loaded.emit()
        self.issues_changed.emit()
        self.visibility_changed.emit()
        self.set_item(0 if dataset.items else -1)

    def set_images_dir(self, folder: Path) -> int:
        """Look for every image again, in `folder` first; returns how many were found."""
        self.images_dir = folder
        if self.dataset is None:
            return 0
        found = images.resolve(self.dataset, images_dir=folder)
        self.images_changed.emit()
        return found

    def note_problem(self, message: str) -> None:
        """A problem found while showing (an undecodable mask): one Issues entry per message."""
        if message in self._noted:
            return
        self._noted.add(message)
        item = self.item
        name = self.dataset.source.name if self.dataset and self.dataset.source else ""
        self.issues.append(Issue(name, "", message, "warning", item.id if item else None))
        self.issues_changed.emit()

    # --- navigation ------------------------------------------------------------------------------

    @property
    def item(self) -> Item | None:
        if self.dataset is None or not 0 <= self.item_index < len(self.dataset.items):
            return None
        return self.dataset.items[self.item_index]

    def set_item(self, index: int, frame: int | None = None) -> None:
        """Show item `index` (clamped), at `frame` or its first frame."""
        if self.dataset is None or not self.dataset.items:
            self.item_index = -1
            self.frame = None
            self.selected = None
            self.item_changed.emit()
            self.selection_changed.emit(None)
            return
        index = max(0, min(index, len(self.dataset.items) - 1))
        item = self.dataset.items[index]
        frames = item.frame_indices()
        if frame is None or frame not in frames:
            frame = frames[0] if frames else None
        if index == self.item_index and frame == self.frame:
            return
        self.item_index = index
        self.frame = frame
        had_selection = self.selected is not None
        self.selected = None
        self.item_changed.emit()
        if had_selection:
            self.selection_changed.emit(None)

    def step_item(self, step: int) -> None:
        """Next (+1) or previous (-1) item."""
        if self.dataset is not None and self.dataset.items:
            self.set_item(self.item_index + step)

    def set_frame(self, frame: int) -> None:
        """Show `frame` of the current item (ignored when the item has no such frame)."""
        item = self.item
        if item is None or frame == self.frame or frame not in item.frame_indices():
            return
        self.frame = frame
        if self.selected is not None and self.selected.frame not in (None, frame):
            self.selected = None
            self.item_changed.emit()
            self.selection_changed.emit(None)
            return
        self.item_changed.emit()

    def step_frame(self, step: int) -> None:
        """Next (+1) or previous (-1) frame of the current item."""
        item = self.item
        if item is None:
            return
        frames = item.frame_indices()
        if not frames:
            return
        position = frames.index(self.frame) if self.frame in frames else 0
        self.set_frame(frames[max(0, min(position + step, len(frames) - 1))])

    def shown_objects(self) -> list[ObjectLabel]:
        """Objects of the current item on the current frame that the review filter lets through."""
        item = self.item
        if item is None:
            return []
        objects = item.objects_on(self.frame)
        keep = self.object_filter
        return objects if keep is None else [obj for obj in objects if keep(obj)]

    def set_object_filter(self, keep: Callable[[ObjectLabel], bool] | None) -> None:
        """Show only objects for which `keep` is true (None shows all), on the canvas and panels."""
        self.object_filter = keep
        if self.selected is not None and keep is not None and not keep(self.selected):
            self.select(None)
        self.objects_filtered.emit()

    def image_path(self, item: Item, frame: int | None) -> Path | None:
        """The local image of an item or of one of its frames."""
        if frame is not None and item.frames:
            for candidate in item.frames:
                if candidate.index == frame:
                    return candidate.image_path
            return None
        return item.image_path

    def image_reference(self, item: Item, frame: int | None) -> str | None:
        """The image reference as the export wrote it (for the placeholder's caption)."""
        if frame is not None and item.frames:
            for candidate in item.frames:
                if candidate.index == frame:
                    return candidate.image or candidate.name
            return None
        return item.image or item.name

    # --- selection and visibility ----------------------------------------------------------------

    def select(self, obj: ObjectLabel | None) -> None:
        """Select an object of the current item (None clears)."""
        if obj is self.selected:
            return
        self.selected = obj
        self.selection_changed.emit(obj)

    def jump_to(self, issue: Issue) -> None:
        """Show the item (and select the object) an issue is about."""
        if self.dataset is None or issue.item is None:
            return
        for index, item in enumerate(self.dataset.items):
            if item.id == issue.item:
                target = None
                if issue.object is not None:
                    target = next((o for o in item.objects if o.id == issue.object), None)
                self.set_item(index, target.frame if target is not None else None)
                if target is not None:
                    self.select(target)
                return

    def set_category_visible(self, name: str, visible: bool) -> None:
        if visible == (name not in self.hidden):
            return
        if visible:
            self.hidden.discard(name)
        else:
            self.hidden.add(name)
            if self.selected is not None and self.selected.category == name:
                self.select(None)
        self.visibility_changed.emit()

    def toggle_category(self, position: int) -> None:
        """Show/hide the category at `position` (0-based) in the legend's order."""
        if self.dataset is None:
            return
        names = list(self.dataset.categories)
        if 0 <= position < len(names):
            name = names[position]
            self.set_category_visible(name, name in self.hidden)

    def info(self) -> dict[str, Any]:
        """A summary of what is open (for the title and the status bar)."""
        if self.dataset is None:
            return {}
        return {
            "items": len(self.dataset.items),
            "objects": self.dataset.object_count,
            "issues": len(self.issues),
        }
