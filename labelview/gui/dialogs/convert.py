"""The Convert dialog: drop exports, pick target formats and their options, convert in the
background with the same `labelview.convert.convert()` the CLI uses, then show what was written
and what was dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelview import formats, review
from labelview.convert import ConversionReport, ItemFilter, convert
from labelview.errors import Cancelled, FormatError
from labelview.formats.base import Confidence, TaskControl
from labelview.gui.dialogs.options_form import OptionsForm
from labelview.gui.tasks import Task, describe
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


class ConvertDialog(QDialog):
    """Inputs, targets with their options, output folder; Convert runs on a worker thread."""

    conversion_finished = Signal(list)  # [Outcome]
    stage_changed = Signal(str)  # "Reading x.json", "Writing COCO JSON", …

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
        dataset: Dataset | None = None,
        item_filter: ItemFilter | None = None,
        images_dir: Path | None = None,
        inputs: Sequence[Path] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Convert exports")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings("labelview", "labelview")
        self.dataset = dataset
        self.item_filter = item_filter
        self.images_dir = images_dir
        self.task: Task | None = None
        self.job: Job | None = None
        self.outcomes: list[Outcome] = []

        self.drop_area = DropArea()
        self.drop_area.dropped.connect(self.add_inputs)
        self.drop_area.add_files.clicked.connect(self._choose_files)
        self.drop_area.add_folder.clicked.connect(self._choose_folder)
        self.inputs = InputsTable()
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove)

        self.target_boxes: dict[str, QCheckBox] = {}
        self.forms: dict[str, OptionsForm] = {}
        self.option_tabs = QTabWidget()
        remembered = self._remembered_targets()
        targets_box = QGroupBox("Convert to")
        grid = QGridLayout(targets_box)
        for index, fmt in enumerate(formats.writers()):
            box = QCheckBox(fmt.title)
            box.setToolTip(fmt.description or fmt.title)
            box.setChecked(fmt.name in remembered)
            box.toggled.connect(self._targets_changed)
            grid.addWidget(box, index // 2, index % 2)
            self.target_boxes[fmt.name] = box
            form = OptionsForm(fmt.options)
            form.changed.connect(self._update_buttons)
            self.forms[fmt.name] = form

        self.out_edit = QLineEdit(str(self.settings.value("convert/last_out", "") or ""))
        self.out_edit.setPlaceholderText("output folder: each input goes to <folder>/<input name>/")
        self.out_edit.textChanged.connect(self._update_buttons)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_out)

        self.categories = CategoriesTable(dataset)
        self.only_accepted = QCheckBox("Only accepted items")
        self.only_accepted.setToolTip(
            "Keep the items a reviewer accepted (verdicts saved beside each export)"
        )
        self.only_filtered = QCheckBox("Only the current filter selection")
        self.only_filtered.setEnabled(item_filter is not None)
        self.only_filtered.setToolTip(
            "Keep the items the viewer's filters show (applies to the open export)"
            if item_filter is not None
            else "Open an export and filter its items to use this"
        )
        self.overwrite = QCheckBox("Overwrite existing files")
        self.verify = QCheckBox("Verify: read the output back and list what changed")
        self.verify.setToolTip(
            "After writing, read each output back and compare every object with its source"
        )

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.stage_label = QLabel()
        self.convert_button = QPushButton("Convert")
        self.convert_button.setDefault(True)
        self.convert_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        self.back_button = QPushButton("Convert more…")
        self.back_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.report = ReportView()
        self.hint = QLabel()
        self.hint.setStyleSheet("color: #8a4b08")
        self.hint.setWordWrap(True)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._settings_page(targets_box, browse))
        self.pages.addWidget(self.report)
        self.pages.currentChanged.connect(lambda _i: self._update_buttons())
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 2)
        buttons.addWidget(self.stage_label, 2)
        buttons.addStretch(1)
        buttons.addWidget(self.report.open_button)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.convert_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)

        for path in inputs:
            self.inputs.add(Path(path))
        self._targets_changed()
        self.resize(900, 640)

    def _settings_page(self, targets_box: QGroupBox, browse: QPushButton) -> QWidget:
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.drop_area)
        column.addWidget(self.inputs, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        column.addLayout(row)
        cats = QGroupBox("Categories")
        cats_layout = QVBoxLayout(cats)
        if self.dataset is None:
            note = QLabel("Open an export to rename or leave out its categories.")
            note.setWordWrap(True)
            cats_layout.addWidget(note)
            self.categories.hide()
        cats_layout.addWidget(self.categories)
        column.addWidget(cats, 1)

        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(targets_box)
        side.addWidget(self.option_tabs, 1)
        out_row = QHBoxLayout()
        out_row.addWidget(QLabel("Output folder"))
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        side.addLayout(out_row)
        for box in (self.only_accepted, self.only_filtered, self.overwrite, self.verify):
            side.addWidget(box)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([430, 470])
        return splitter

    # --- state ---------------------------------------------------------------------------------

    def _remembered_targets(self) -> set[str]:
        value = self.settings.value("convert/targets", ["coco"])
        if isinstance(value, str):
            value = [value]
        return {str(v) for v in value or []}

    def targets(self) -> list[str]:
        return [name for name, box in self.target_boxes.items() if box.isChecked()]

    def set_targets(self, names: Sequence[str]) -> None:
        for name, box in self.target_boxes.items():
            box.setChecked(name in names)

    def _targets_changed(self) -> None:
        current = self.option_tabs.currentWidget()
        self.option_tabs.clear()
        for name in self.targets():
            self.option_tabs.addTab(self.forms[name], f"{formats.get(name).title} options")
        if current is not None:
            self.option_tabs.setCurrentWidget(current)
        self._update_buttons()

    def add_inputs(self, paths: Sequence[Path]) -> None:
        """Add dropped or chosen exports to the list (each with its detected format)."""
        for path in paths:
            self.inputs.add(Path(path))
        self.pages.setCurrentIndex(0)
        self._update_buttons()

    def _remove(self) -> None:
        self.inputs.remove_selected()
        self._update_buttons()

    def problem(self) -> str:
        """Why Convert cannot start yet ('' when it can)."""
        if not self.inputs.paths:
            return "Drop or add at least one export."
        missing = [
            p.name for row, p in enumerate(self.inputs.paths) if self.inputs.needs_format(row)
        ]
        if missing:
            return f"Choose a format for: {', '.join(missing)}"
        if not self.targets():
            return "Tick at least one target format."
        if not self.out_edit.text().strip():
            return "Choose an output folder."
        for name in self.targets():
            error = self.forms[name].error()
            if error:
                return f"{formats.get(name).title} options: {error}"
        return ""

    def _update_buttons(self) -> None:
        running = self.task is not None
        on_report = self.pages.currentIndex() == 1
        problem = "" if running or on_report else self.problem()
        self.hint.setText(problem)
        self.hint.setVisible(bool(problem))
        self.convert_button.setVisible(not on_report)
        self.convert_button.setEnabled(not running and not problem)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        self.stage_label.setVisible(running)
        self.report.open_button.setVisible(on_report)
        self.back_button.setVisible(on_report and not running)
        self.close_button.setEnabled(not running)
        self.pages.widget(0).setEnabled(not running)

    # --- choosing ------------------------------------------------------------------------------

    def _start_folder(self) -> str:
        return str(self.settings.value("convert/last_in", "") or "")

    def _choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self,
            "Exports to convert",
            self._start_folder(),
            formats.open_filter(),
        )
        if names:
            self.settings.setValue("convert/last_in", str(Path(names[0]).parent))
            self.add_inputs([Path(n) for n in names])

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(
            self, "Export folder to convert", self._start_folder()
        )
        if name:
            self.settings.setValue("convert/last_in", name)
            self.add_inputs([Path(name)])

    def _choose_out(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Output folder", self.out_edit.text())
        if name:
            self.out_edit.setText(name)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.drop_area.dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        self.drop_area.dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_area.dropEvent(event)

    # --- running -------------------------------------------------------------------------------

    def make_job(self) -> Job:
        """The job the current fields describe (ValidationError when options are invalid)."""
        targets = self.targets()
        return Job(
            inputs=self.inputs.inputs(),
            out=Path(self.out_edit.text().strip()).expanduser(),
            targets=targets,
            options={name: self.forms[name].options() for name in targets},
            overwrite=self.overwrite.isChecked(),
            only_accepted=self.only_accepted.isChecked(),
            verify=self.verify.isChecked(),
            rename=self.categories.rename(),
            exclude=self.categories.exclude(),
            dataset=self.dataset,
            item_filter=self.item_filter if self.only_filtered.isChecked() else None,
            images_dir=self.images_dir,
        )

    def start(self, *, wait: bool = False) -> bool:
        """Convert every input on a worker (here with wait=True); False when it cannot start."""
        if self.task is not None or self.problem():
            return False
        try:
            job = self.make_job()
        except (ValidationError, FormatError) as error:
            self.hint.setText(str(error))
            self.hint.show()
            return False
        self.settings.setValue("convert/last_out", str(job.out))
        self.settings.setValue("convert/targets", job.targets)
        self.job = job
        task = Task(job.run, self)
        task.progress.connect(self._progress)
        task.stage.connect(self._stage)
        task.finished.connect(self._finished)
        task.failed.connect(self._failed)
        self.task = task
        self.progress.setRange(0, 0)
        self.stage_label.setText("Starting…")
        self._update_buttons()
        task.start(wait=wait)
        return True

    def cancel(self) -> None:
        """Stop the running conversion; the interrupted input leaves no output."""
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.stage_label.setText("Cancelling…")

    def _stage(self, text: str) -> None:
        self.stage_label.setText(text)
        self.stage_changed.emit(text)

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _failed(self, message: str) -> None:
        job = self.job
        self._finished([Outcome(Path(job.inputs[0][0]) if job else Path(), Path(), error=message)])

    def _finished(self, outcomes: list[Outcome]) -> None:
        if self.sender() is not None and self.sender() is not self.task:
            return
        self.task = None
        self.cancel_button.setEnabled(True)
        self.outcomes = outcomes
        folder = self.job.out if self.job is not None else Path()
        self.report.show_outcomes(outcomes, folder)
        self.pages.setCurrentIndex(1)
        self._update_buttons()
        self.conversion_finished.emit(outcomes)

    def reject(self) -> None:
        if self.task is not None:
            self.cancel()
            return
        super().reject()
