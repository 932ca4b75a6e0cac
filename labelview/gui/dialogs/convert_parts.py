"""The Convert dialog's parts: the drop area, the inputs, categories and report views, and one
conversion job (what it reads, writes and found), kept apart from the dialog itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelview import formats, review
from labelview.convert import ConversionReport, ItemFilter, convert
from labelview.errors import Cancelled
from labelview.formats.base import Confidence, TaskControl
from labelview.gui.tasks import describe
from labelview.model import Dataset, Item

ERROR_COLOR = QColor(192, 57, 43)
WARN_COLOR = QColor(183, 120, 0)
OK_COLOR = QColor(39, 120, 60)


def dropped_paths(urls: Sequence[QUrl]) -> list[Path]:
    """Local files and folders among dropped URLs."""
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile() and url.toLocalFile()]


def detect_format(path: Path) -> tuple[str | None, str]:
    """The format clearly claiming `path` (or None) and a human reason."""
    try:
        ranked = formats.verdicts(path)
    except OSError as error:
        return None, f"cannot read: {error.strerror or error}"
    if not ranked or ranked[0][1].confidence <= Confidence.WEAK:
        reasons = "; ".join(f"{fmt.name}: {v.reason}" for fmt, v in ranked[:3] if v)
        return None, "unrecognised format" + (f" ({reasons})" if reasons else "")
    best = ranked[0][1].confidence
    top = [fmt for fmt, verdict in ranked if verdict.confidence == best]
    if len(top) > 1:
        return None, "ambiguous: " + ", ".join(fmt.title for fmt in top) + " all claim it"
    return top[0].name, ranked[0][1].reason


# --- the batch job (runs on the worker) -------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """How one input of a batch went."""

    source: Path
    out: Path
    report: ConversionReport | None = None
    error: str = ""
    cancelled: bool = False


@dataclass(slots=True)
class Job:
    """Everything one press of Convert asks for."""

    inputs: list[tuple[Path, str | None]]
    out: Path
    targets: list[str]
    options: dict[str, BaseModel] = field(default_factory=dict)
    overwrite: bool = False
    only_accepted: bool = False
    verify: bool = False
    rename: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    dataset: Dataset | None = None  # the open dataset: not read again when it is an input
    item_filter: ItemFilter | None = None  # the window's current selection (open dataset only)
    images_dir: Path | None = None

    def folders(self) -> list[Path]:
        """OUT/<input stem>/ for every input (a repeated stem gets -2, -3, …)."""
        seen: Counter[str] = Counter()
        result = []
        for path, _ in self.inputs:
            stem = path.stem if path.is_file() else path.name
            seen[stem] += 1
            result.append(self.out / (stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"))
        return result

    def run(self, control: TaskControl) -> list[Outcome]:
        """Convert each input in turn; a cancel stops the batch (the current one leaves nothing)."""
        outcomes: list[Outcome] = []
        total = len(self.inputs)
        for index, ((path, fmt), folder) in enumerate(
            zip(self.inputs, self.folders(), strict=True)
        ):
            prefix = f"[{index + 1}/{total}] " if total > 1 else ""
            step = TaskControl(
                on_progress=control.on_progress,
                cancel_event=control.cancel_event,
                on_stage=lambda text, p=prefix: control.stage(p + text),
            )
            outcome = Outcome(path, folder)
            outcomes.append(outcome)
            try:
                control.check_cancelled()
                outcome.report = convert(
                    path, folder, self.targets, control=step, **self._args(path, fmt)
                )
            except Cancelled:
                outcome.cancelled = True
                break
            except Exception as error:  # one bad input never stops the batch
                outcome.error = describe(error)
        return outcomes

    def _args(self, path: Path, fmt: str | None) -> dict[str, Any]:
        filters: list[Callable[[Item], bool]] = []
        if self.only_accepted:
            filters.append(review.accepted_filter(path))
        dataset = self.dataset if _same(self.dataset, path) else None
        if dataset is not None and self.item_filter is not None:
            filters.append(self.item_filter)
        item_filter = None
        if filters:
            item_filter = lambda item: all(keep(item) for keep in filters)  # noqa: E731
        return {
            "from_format": fmt,
            "options": self.options,
            "overwrite": self.overwrite,
            "item_filter": item_filter,
            "rename": self.rename,
            "exclude": self.exclude,
            "dataset": dataset,
            "images_dir": self.images_dir,
            "verify": self.verify,
        }


def _same(dataset: Dataset | None, path: Path) -> bool:
    if dataset is None or dataset.source is None:
        return False
    try:
        return Path(dataset.source).resolve() == path.resolve()
    except OSError:
        return False


# --- widgets ----------------------------------------------------------------------------------


class DropArea(QFrame):
    """A visible target for dropped exports, with buttons for those who prefer dialogs."""

    dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setObjectName("drop-area")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(70)
        self._style(False)
        self.label = QLabel("Drop exports here to convert\n(files or folders, several at once)")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_files = QPushButton("Add files…")
        self.add_folder = QPushButton("Add folder…")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_files)
        row.addWidget(self.add_folder)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addLayout(row)

    def _style(self, active: bool) -> None:
        border = "#2d7dd2" if active else "#9aa5b1"
        fill = "rgba(45,125,210,40)" if active else "transparent"
        self.setStyleSheet(
            f"#drop-area {{ border: 2px dashed {border}; border-radius: 8px; background: {fill}; }}"
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and dropped_paths(event.mimeData().urls()):
            self._style(True)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._style(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._style(False)
        paths = dropped_paths(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.dropped.emit(paths)


class InputsTable(QTableWidget):
    """The inputs with their detected (or chosen) format; undetectable ones are red."""

    HEADERS = ("Input", "Format", "Detection")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setColumnWidth(0, 170)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.paths: list[Path] = []

    def add(self, path: Path) -> bool:
        """Add `path` (False when it is listed already)."""
        if path in self.paths:
            return False
        self.paths.append(path)
        row = self.rowCount()
        self.insertRow(row)
        name = QTableWidgetItem(path.name or str(path))
        name.setToolTip(str(path))
        self.setItem(row, 0, name)
        combo = QComboBox()
        combo.addItem("choose a format…", None)
        for fmt in formats.readers():
            combo.addItem(fmt.title, fmt.name)
        detected, reason = detect_format(path)
        if detected is not None:
            combo.setCurrentIndex(combo.findData(detected))
        self.setCellWidget(row, 1, combo)
        why = QTableWidgetItem(reason if detected else f"⚠ {reason}")
        why.setToolTip(reason)
        self.setItem(row, 2, why)
        combo.currentIndexChanged.connect(lambda _i, r=row: self._paint(r))
        self._paint(row)
        return True

    def format_of(self, row: int) -> str | None:
        combo = self.cellWidget(row, 1)
        return combo.currentData() if isinstance(combo, QComboBox) else None

    def set_format(self, row: int, name: str) -> None:
        combo = self.cellWidget(row, 1)
        if isinstance(combo, QComboBox):
            combo.setCurrentIndex(combo.findData(name))

    def needs_format(self, row: int) -> bool:
        return self.format_of(row) is None

    def _paint(self, row: int) -> None:
        brush = QBrush(ERROR_COLOR) if self.needs_format(row) else QBrush()
        for column in (0, 2):
            cell = self.item(row, column)
            if cell is not None:
                cell.setForeground(brush)

    def remove_selected(self) -> None:
        for row in sorted({index.row() for index in self.selectedIndexes()}, reverse=True):
            self.removeRow(row)
            del self.paths[row]
        # Rows moved: re-bind the colour updates to the new row numbers.
        for row in range(self.rowCount()):
            combo = self.cellWidget(row, 1)
            combo.currentIndexChanged.disconnect()
            combo.currentIndexChanged.connect(lambda _i, r=row: self._paint(r))

    def inputs(self) -> list[tuple[Path, str | None]]:
        return [(path, self.format_of(row)) for row, path in enumerate(self.paths)]


class CategoriesTable(QTableWidget):
    """Keep / rename each category of the open dataset."""

    HEADERS = ("Keep", "Category", "Objects", "Rename to")

    def __init__(self, dataset: Dataset | None, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.names: list[str] = []
        if dataset is None:
            return
        counts = dataset.counts()["category"]
        for name in dataset.categories:
            row = self.rowCount()
            self.insertRow(row)
            keep = QTableWidgetItem()
            keep.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            keep.setCheckState(Qt.CheckState.Checked)
            self.setItem(row, 0, keep)
            for column, text in ((1, name), (2, f"{counts.get(name, 0):,}")):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.setItem(row, column, cell)
            self.setItem(row, 3, QTableWidgetItem(""))
            self.names.append(name)
        self.resizeColumnsToContents()

    def exclude(self) -> list[str]:
        return [
            name
            for row, name in enumerate(self.names)
            if self.item(row, 0).checkState() != Qt.CheckState.Checked
        ]

    def rename(self) -> dict[str, str]:
        result = {}
        for row, name in enumerate(self.names):
            new = self.item(row, 3).text().strip()
            if new and new != name:
                result[name] = new
        return result

    def set_keep(self, name: str, keep: bool) -> None:
        state = Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked
        self.item(self.names.index(name), 0).setCheckState(state)

    def set_rename(self, name: str, new: str) -> None:
        self.item(self.names.index(name), 3).setText(new)


class ReportView(QWidget):
    """What a batch wrote, per input and target; dropped-and-why grouped; issues; where it went."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.headline.setFont(font)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["What", "Count"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self.open_folder)
        self.folder: Path | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.tree, 1)
        self.outcomes: list[Outcome] = []

    def show_outcomes(self, outcomes: list[Outcome], folder: Path) -> None:
        self.outcomes = outcomes
        self.folder = folder
        self.tree.clear()
        done = [o for o in outcomes if o.report is not None]
        failed = [o for o in outcomes if o.error]
        cancelled = any(o.cancelled for o in outcomes)
        parts = [f"{len(done)} of {len(outcomes)} converted"]
        if failed:
            parts.append(f"{len(failed)} failed")
        if cancelled:
            parts.append("cancelled (nothing of the interrupted input was written)")
        self.headline.setText(", ".join(parts) + f" → {folder}")
        for outcome in outcomes:
            self._add(outcome)
        self.tree.expandToDepth(1)
        for index in range(self.tree.topLevelItemCount()):
            self._expand_dropped(self.tree.topLevelItem(index))
        self.open_button.setEnabled(folder.is_dir())

    def _add(self, outcome: Outcome) -> None:
        report = outcome.report
        top = QTreeWidgetItem(self.tree)
        name = outcome.source.name
        if report is None:
            top.setText(0, f"{name}: {'cancelled' if outcome.cancelled else outcome.error}")
            top.setForeground(0, QBrush(ERROR_COLOR if outcome.error else WARN_COLOR))
            top.setToolTip(0, outcome.error or "cancelled: no output was left behind")
            return
        top.setText(
            0, f"{name} ({report.format}): {report.items:,} items, {report.objects:,} objects read"
        )
        top.setForeground(0, QBrush(ERROR_COLOR if report.errors else OK_COLOR))
        for target in report.targets:
            node = QTreeWidgetItem(top)
            node.setText(0, f"{formats.get(target.format).title} → {self._short(target.out)}")
            node.setText(1, f"{target.items:,} items, {target.objects:,} objects")
            node.setToolTip(0, str(target.out))
            if target.dropped:
                dropped = QTreeWidgetItem(node)
                dropped.setText(0, "Dropped (the target cannot hold these)")
                dropped.setText(1, f"{sum(target.dropped.values()):,}")
                dropped.setForeground(0, QBrush(WARN_COLOR))
                for reason, count in target.dropped.most_common():
                    line = QTreeWidgetItem(dropped)
                    line.setText(0, reason)
                    line.setText(1, f"{count:,}")
                    line.setToolTip(0, reason)
            for note in target.notes:
                QTreeWidgetItem(node).setText(0, f"Note: {note}")
            if target.findings is not None:
                self._add_findings(node, target.findings)
            files = QTreeWidgetItem(node)
            files.setText(0, "Files written")
            files.setText(1, f"{len(target.files):,}")
            for path in target.files[:200]:
                QTreeWidgetItem(files).setText(0, str(path))
        if report.issues:
            issues = QTreeWidgetItem(top)
            issues.setText(0, "Issues while reading/writing")
            issues.setText(1, f"{len(report.issues):,}")
            issues.setForeground(0, QBrush(ERROR_COLOR if report.errors else WARN_COLOR))
            grouped: Counter[str] = Counter(f"{i.level}: {i.message}" for i in report.issues)
            for message, count in grouped.most_common(200):
                line = QTreeWidgetItem(issues)
                line.setText(0, message)
                line.setText(1, f"{count:,}")
                line.setToolTip(0, message)

    def _add_findings(self, node: QTreeWidgetItem, findings: list) -> None:
        verified = QTreeWidgetItem(node)
        if not findings:
            verified.setText(0, "Verified: every object read back as written")
            verified.setForeground(0, QBrush(OK_COLOR))
            return
        verified.setText(0, "Verify: objects changed")
        verified.setText(1, f"{len(findings):,}")
        verified.setForeground(0, QBrush(ERROR_COLOR))
        for finding in findings[:200]:
            line = QTreeWidgetItem(verified)
            line.setText(0, str(finding))
            line.setToolTip(0, str(finding))

    def _short(self, path: Path | None) -> str:
        """`path` relative to the batch folder (the headline names the folder)."""
        if path is None or self.folder is None:
            return str(path or "")
        try:
            return path.relative_to(self.folder).as_posix() + "/"
        except ValueError:
            return str(path)

    def _expand_dropped(self, node: QTreeWidgetItem) -> None:
        # What was lost is the point of the report: show every reason without a click.
        for index in range(node.childCount()):
            child = node.child(index)
            if child.text(0).startswith("Dropped"):
                child.setExpanded(True)
            self._expand_dropped(child)

    def open_folder(self) -> None:
        """Show the output folder in the file manager."""
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
