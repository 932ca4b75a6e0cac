"""The Convert dialog: drop exports, pick target formats and their options, convert in the
background with the same `labelview.convert.convert()` the CLI uses, then show what was written
and what was dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelview import formats
from labelview.convert import ItemFilter
from labelview.errors import FormatError
from labelview.gui.dialogs.convert_parts import (
    CategoriesTable,
    DropArea,
    InputsTable,
    Job,
    Outcome,
    ReportView,
)
from labelview.gui.dialogs.options_form import OptionsForm
from labelview.gui.tasks import Task
from labelview.model import Dataset


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
