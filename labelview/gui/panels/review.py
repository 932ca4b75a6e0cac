"""Review dock: filter what is shown (confidence, source, category, labeler, status, stage,
verdict), draw a seeded sample, and record verdicts (Y / N / F) in the sidecar beside the export.

The panel works on a dataset handed to it (`set_dataset`) and talks back through signals
(`filter_changed`, `item_requested`), so it needs no window around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labelview import review
from labelview.errors import LabelviewError
from labelview.gui.panels import review_files
from labelview.gui.panels.choice_filter import ChoiceFilter
from labelview.gui.panels.tables import RowsModel, row_table, select_quietly
from labelview.model import Dataset, Item, ObjectLabel
from labelview.review import ReviewFilter, ReviewLog

SOURCES = {
    "both": frozenset({"manual", "model", "unknown"}),
    # Exports that do not say where a label came from are human work as far as we know.
    "manual": frozenset({"manual", "unknown"}),
    "model": frozenset({"model"}),
}
VERDICT_KEYS = {"accept": "Y", "reject": "N", "needs-fix": "F"}
VERDICT_COLORS = {
    "accept": QColor(39, 150, 70),
    "reject": QColor(200, 55, 45),
    "needs-fix": QColor(210, 140, 0),
}
# Above this many objects the item list follows the slider on release, not on every step.
LIVE_LIMIT = 200_000


class ReviewItemsModel(RowsModel):
    """The items a reviewer is going through: filtered (and sampled), with their verdict."""

    HEADERS = ("Item", "Objects", "Verdict")

    def __init__(self, panel: ReviewPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.rows: list[int] = []  # dataset item indices
        self.shown: list[tuple[int, int]] = []

    def set_rows(self, rows: list[int], shown: list[tuple[int, int]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.shown = shown
        self.endResetModel()

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.panel.dataset is None:
            return None
        item = self.panel.dataset.items[self.rows[index.row()]]
        column = index.column()
        verdict = self.panel.log.verdict_of(item) if self.panel.log else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return item.name
            if column == 1:
                shown, total = self.shown[index.row()]
                return f"{shown}/{total}"
            return verdict or ""
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and verdict:
            return VERDICT_COLORS[verdict]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and self.panel.log:
            found = self.panel.log.items.get(item.id)
            if found is not None:
                return f"{found.verdict} by {found.reviewer or '?'} at {found.at}\n{found.note}"
        return None

    def refresh_verdicts(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self.rows) - 1, 2))


class ReviewPanel(QWidget):
    """Filters, sampling and verdicts for spot-checking an export."""

    filter_changed = Signal(object)  # ReviewFilter: what the canvas and the lists should show
    item_requested = Signal(int)  # show this dataset item index
    verdicts_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.dataset: Dataset | None = None
        self.source: Path | None = None
        self.log: ReviewLog | None = None
        self.current = -1  # the dataset index the window shows
        self.sampled: list[int] | None = None  # dataset indices of the drawn sample
        self._issues: dict[str, list] = {}
        self.log_problem = ""
        self.selected_object: ObjectLabel | None = None

        # Filters.
        self.confidence = QSlider(Qt.Orientation.Horizontal)
        self.confidence.setRange(0, 100)
        self.confidence.setToolTip(
            "Hide objects whose confidence is below this (objects without one stay visible)"
        )
        self.confidence_label = QLabel("≥ 0.00")
        self.confidence_label.setMinimumWidth(44)
        self.confidence.valueChanged.connect(self._confidence_moved)
        self.confidence.sliderReleased.connect(self._refresh_items)
        self.source_box = QComboBox()
        self.source_box.addItem("Manual and model", "both")
        self.source_box.addItem("Manual only", "manual")
        self.source_box.addItem("Model only", "model")
        self.source_box.setToolTip("Where labels came from: people, a model (pre-labels), or both")
        self.source_box.currentIndexChanged.connect(self._changed)
        self.choices = {
            "categories": ChoiceFilter("Category"),
            "labelers": ChoiceFilter("Labeler"),
            "statuses": ChoiceFilter("Status"),
            "stages": ChoiceFilter("Stage"),
            "verdicts": ChoiceFilter("Verdict"),
        }
        for choice in self.choices.values():
            choice.changed.connect(self._changed)
        self.issues_only = QCheckBox("Only items with issues")
        self.issues_only.toggled.connect(self._changed)

        filters = QGroupBox("Show")
        form = QFormLayout(filters)
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.confidence, 1)
        slider_row.addWidget(self.confidence_label)
        form.addRow("Confidence", slider_row)
        form.addRow("Source", self.source_box)
        grid = QHBoxLayout()
        for key in ("categories", "labelers", "statuses"):
            grid.addWidget(self.choices[key])
        grid2 = QHBoxLayout()
        for key in ("stages", "verdicts"):
            grid2.addWidget(self.choices[key])
        grid2.addWidget(self.issues_only)
        form.addRow(grid)
        form.addRow(grid2)

        # Sampling.
        self.sample_size = QSpinBox()
        self.sample_size.setRange(1, 1_000_000)
        self.sample_size.setValue(50)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setMaximumWidth(110)
        self.seed.setToolTip("The same seed draws the same items again (for a reproducible audit)")
        self.stratify = QComboBox()
        self.stratify.addItem("no strata", None)
        self.stratify.addItem("by category", "category")
        self.stratify.addItem("by labeler", "labeler")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Draw N of the items the filters show")
        self.sample_button.clicked.connect(self.draw_sample)
        self.unsample_button = QPushButton("All items")
        self.unsample_button.clicked.connect(self.clear_sample)
        sampling = QGroupBox("Sample")
        sample_rows = QVBoxLayout(sampling)
        sample_row = QHBoxLayout()
        sample_row.addWidget(QLabel("N"))
        sample_row.addWidget(self.sample_size)
        sample_row.addWidget(QLabel("seed"))
        sample_row.addWidget(self.seed)
        sample_row.addWidget(self.stratify)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.sample_button)
        button_row.addWidget(self.unsample_button)
        sample_rows.addLayout(sample_row)
        sample_rows.addLayout(button_row)

        # Items.
        self.model = ReviewItemsModel(self)
        self.table = row_table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.count_label = QLabel()

        # Verdicts.
        self.verdict_buttons: dict[str, QPushButton] = {}
        verdict_row = QHBoxLayout()
        for verdict, title in (
            ("accept", "Accept"),
            ("reject", "Reject"),
            ("needs-fix", "Needs fix"),
        ):
            key = VERDICT_KEYS[verdict]
            button = QPushButton(f"{title} ({key})")
            button.setToolTip(f"{title} the shown item and go to the next one (key {key})")
            color = VERDICT_COLORS[verdict].name()
            button.setStyleSheet(
                f"QPushButton {{ border-left: 4px solid {color}; padding: 3px 8px; }}"
            )
            button.clicked.connect(lambda _=False, v=verdict: self.set_verdict(v))
            verdict_row.addWidget(button)
            self.verdict_buttons[verdict] = button
            action = QAction(title, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, v=verdict: self.set_verdict(v))
            self.addAction(action)
        clear = QPushButton("Clear")
        clear.setToolTip("Remove the verdict of the shown item")
        clear.clicked.connect(lambda: self.set_verdict(None))
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note for the verdict (optional)")
        self.reviewer = QLineEdit(
            str(settings.value("review/reviewer", "") or "") if settings else ""
        )
        self.reviewer.setPlaceholderText("Reviewer")
        self.reviewer.setMaximumWidth(110)
        self.advance = QCheckBox("Next item after a verdict")
        self.advance.setChecked(True)
        self.on_object = QCheckBox("On the selected object")
        self.on_object.setToolTip(
            "Judge the object selected on the canvas instead of the whole item (Y/N/F too)"
        )
        self.on_object.setEnabled(False)
        self.on_object.toggled.connect(lambda _on: self._show_verdict())
        self.verdict_label = QLabel()
        self.summary_label = QLabel()
        # May be clipped in a narrow dock rather than widen it (no word wrap: see _summarise).
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        export_button = QToolButton()
        export_button.setText("Export verdicts")
        export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(export_button)
        export_menu.addAction("As CSV…", lambda: review_files.choose_export(self, "csv"))
        export_menu.addAction("As JSON…", lambda: review_files.choose_export(self, "json"))
        export_menu.addSeparator()
        export_menu.addAction("Audit report…", lambda: review_files.choose_audit(self))
        export_button.setMenu(export_menu)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.reviewer)
        note_row.addWidget(clear)
        options_row = QHBoxLayout()
        options_row.addWidget(self.advance)
        options_row.addWidget(self.on_object)
        options_row.addStretch(1)
        export_row = QHBoxLayout()
        export_row.addWidget(self.summary_label, 1)
        export_row.addWidget(export_button)
        verdicts = self.verdict_box = QGroupBox("Verdict on the shown item")
        verdict_layout = QVBoxLayout(verdicts)
        verdict_layout.addWidget(self.verdict_label)
        verdict_layout.addLayout(verdict_row)
        verdict_layout.addLayout(note_row)
        verdict_layout.addLayout(options_row)
        verdict_layout.addLayout(export_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(filters)
        layout.addWidget(sampling)
        layout.addWidget(self.count_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(verdicts)
        self.setEnabled(False)

    # --- data ----------------------------------------------------------------------------------

    def set_dataset(
        self, dataset: Dataset | None, source: Path | None = None, *, issues: Sequence = ()
    ) -> None:
        """Review `dataset`, read from `source` (its verdicts live beside it)."""
        self.dataset = dataset
        self.source = Path(source) if source is not None else None
        self.sampled = None
        self.current = -1
        self.log = None
        self._issues = review.issues_by_item(issues)
        self.log_problem = ""
        if dataset is not None and self.source is not None:
            try:
                self.log = ReviewLog.load(self.source)
            except LabelviewError as error:
                # Never overwrite a verdicts file we cannot read: verdicts are off until fixed.
                self.log_problem = f"⚠ {error}"
        elif dataset is not None:
            self.log_problem = "Verdicts need an export opened from a file"
        self.setEnabled(dataset is not None)
        self.verdict_box.setEnabled(self.log is not None)
        items = dataset.items if dataset is not None else []
        categories = list(dataset.categories) if dataset is not None else []
        self.choices["categories"].set_values(categories)
        self.choices["labelers"].set_values(sorted({i.labeler or "" for i in items}))
        self.choices["statuses"].set_values(sorted({i.status or "" for i in items}))
        stages = sorted({event.stage or "" for i in items for event in i.history})
        self.choices["stages"].set_values(stages)
        self.choices["verdicts"].set_values(
            ["none", *review.VERDICTS], {"none": "not reviewed yet"}
        )
        has_model = any(obj.source == "model" for _, obj in dataset.objects()) if dataset else False
        self.source_box.setToolTip(
            "Where labels came from: people, a model (pre-labels), or both"
            + ("" if has_model else "\n(this export marks no label as a model's)")
        )
        self._refresh_items()
        self._show_verdict()
        self.filter_changed.emit(self.filter())

    def set_issues(self, issues: Sequence) -> None:
        self._issues = review.issues_by_item(issues)
        if self.issues_only.isChecked():
            self._refresh_items()

    def filter(self) -> ReviewFilter:
        """The filter the controls describe."""
        return ReviewFilter(
            min_confidence=self.confidence.value() / 100,
            sources=SOURCES[self.source_box.currentData()],
            categories=self.choices["categories"].chosen(),
            labelers=self.choices["labelers"].chosen(),
            statuses=self.choices["statuses"].chosen(),
            stages=self.choices["stages"].chosen(),
            verdicts=self.choices["verdicts"].chosen(),
            only_with_issues=self.issues_only.isChecked(),
        )

    def item_filter(self):
        """A predicate for the items the filters show (for "convert only the current selection")."""
        if self.dataset is None:
            return None
        rows = set(map(id, (self.dataset.items[i] for i in self.visible_rows())))
        return lambda item: id(item) in rows

    def set_min_confidence(self, value: float) -> None:
        self.confidence.setValue(round(value * 100))

    def set_source(self, which: str) -> None:
        self.source_box.setCurrentIndex(self.source_box.findData(which))

    def shown_objects(
        self, item: Item | None = None, frame: int | None = None
    ) -> list[ObjectLabel]:
        """The objects of `item` (default: the shown one) the filter lets through."""
        if item is None:
            item = self.current_item()
        if item is None:
            return []
        objects = item.objects if frame is None else item.objects_on(frame)
        return self.filter().objects(objects)

    def current_item(self) -> Item | None:
        if self.dataset is None or not 0 <= self.current < len(self.dataset.items):
            return None
        return self.dataset.items[self.current]

    def visible_rows(self) -> list[int]:
        """Dataset indices of the items listed (filtered, then sampled)."""
        return list(self.model.rows)

    def _candidates(self) -> tuple[list[int], list[tuple[int, int]]]:
        if self.dataset is None:
            return [], []
        flt = self.filter()
        log = self.log
        rows, shown = [], []
        indices = self.sampled if self.sampled is not None else range(len(self.dataset.items))
        for index in indices:
            item = self.dataset.items[index]
            verdict = log.verdict_of(item) if log else None
            issues = self._issues.get(item.id, ())
            if flt.item_visible(item, issues=issues, verdict=verdict):
                rows.append(index)
                shown.append((len(flt.objects(item.objects)), len(item.objects)))
        return rows, shown

    def _refresh_items(self) -> None:
        rows, shown = self._candidates()
        self.model.set_rows(rows, shown)
        total = len(self.dataset.items) if self.dataset else 0
        what = f"{len(rows):,} of {total:,} items"
        if self.sampled is not None:
            what += f" (sample of {len(self.sampled):,}, seed {self.seed.value()})"
        self.count_label.setText(what)
        self._follow_current()
        self._summarise()

    def _changed(self) -> None:
        self._refresh_items()
        self.filter_changed.emit(self.filter())

    def _confidence_moved(self, value: int) -> None:
        self.confidence_label.setText(f"≥ {value / 100:.2f}")
        big = self.dataset is not None and self.dataset.object_count > LIVE_LIMIT
        if not (big and self.confidence.isSliderDown()):
            self._refresh_items()
        self.filter_changed.emit(self.filter())

    # --- sampling ------------------------------------------------------------------------------

    def draw_sample(self) -> list[int]:
        """Keep N of the items the filters show, drawn with the seed (same seed, same items)."""
        if self.dataset is None:
            return []
        self.sampled = None
        rows, _ = self._candidates()
        items = [self.dataset.items[i] for i in rows]
        picked = review.sample(
            items,
            self.sample_size.value(),
            seed=self.seed.value(),
            stratify=self.stratify.currentData(),
        )
        self.sampled = [rows[i] for i in picked]
        self._refresh_items()
        if self.sampled:
            self.item_requested.emit(self.sampled[0])
        return list(self.sampled)

    def clear_sample(self) -> None:
        self.sampled = None
        self._refresh_items()

    # --- navigation ----------------------------------------------------------------------------

    def set_current(self, index: int) -> None:
        """The window shows dataset item `index` now."""
        self.current = index
        item = self.current_item()
        if self.selected_object is not None and (
            item is None or not any(o is self.selected_object for o in item.objects)
        ):
            self.selected_object = None
            self.on_object.setEnabled(False)
        self._follow_current()
        self._show_verdict()

    def _follow_current(self) -> None:
        try:
            row = self.model.rows.index(self.current)
        except ValueError:
            row = -1
        select_quietly(self.table, self.model.index(row, 0))

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            index = self.model.rows[current.row()]
            self.set_current(index)
            self.item_requested.emit(index)

    def step(self, step: int = 1) -> None:
        """Go to the next (or previous) listed item."""
        rows = self.model.rows
        if not rows:
            return
        try:
            position = rows.index(self.current) + step
        except ValueError:
            position = 0
        if 0 <= position < len(rows):
            self.set_current(rows[position])
            self.item_requested.emit(rows[position])

    # --- verdicts ------------------------------------------------------------------------------

    def set_verdict(self, verdict: str | None) -> None:
        """Record a verdict on the shown item (saved at once), then move on if asked to."""
        item = self.current_item()
        if item is None or self.log is None:
            return
        reviewer = self.reviewer.text().strip()
        if self.settings is not None:
            self.settings.setValue("review/reviewer", reviewer)
        note = self.note.text().strip()
        obj = self.judged_object()
        if obj is not None:
            # An object verdict keeps the reviewer on the item: there may be more to flag.
            self.log.set_object(item, obj, verdict, note=note, reviewer=reviewer)
            self.note.clear()
            self.verdicts_changed.emit()
            self._show_verdict()
            return
        self.log.set_item(item, verdict, note=note, reviewer=reviewer)
        self.note.clear()
        self.verdicts_changed.emit()
        if self.choices["verdicts"].chosen() is not None:
            before = self.current
            self._refresh_items()  # the item may leave the list; stay on its neighbour
            self.current = before
        else:
            self.model.refresh_verdicts()
            self._summarise()
        self._show_verdict()
        if verdict is not None and self.advance.isChecked():
            self.step(1)

    def set_selected_object(self, obj: ObjectLabel | None) -> None:
        """The object selected on the canvas (a verdict can target it)."""
        item = self.current_item()
        inside = item is not None and any(o is obj for o in item.objects)
        self.selected_object = obj if inside else None
        self.on_object.setEnabled(self.selected_object is not None)
        self._show_verdict()

    def judged_object(self) -> ObjectLabel | None:
        """The object a verdict goes to now (None: the whole item)."""
        item = self.current_item()
        obj = self.selected_object
        if not self.on_object.isChecked() or item is None or obj is None:
            return None
        return obj if any(o is obj for o in item.objects) else None

    def _show_verdict(self) -> None:
        item = self.current_item()
        found = self.log.items.get(item.id) if (self.log and item) else None
        obj = self.judged_object()
        if obj is not None and self.log is not None and item is not None:
            judged = self.log.objects.get(item.id, {}).get(review.object_key(item, obj))
            what = judged.verdict if judged else "not reviewed yet"
            self.verdict_label.setText(f"{obj.category} {obj.id or ''} on {item.name}: {what}")
            return
        if self.log_problem:
            self.verdict_label.setText(self.log_problem)
        elif item is None:
            self.verdict_label.setText("No item shown")
        elif found is None:
            self.verdict_label.setText(f"{item.name}: not reviewed yet")
        else:
            note = f" — “{found.note}”" if found.note else ""
            self.verdict_label.setText(f"{item.name}: {found.verdict}{note}")
        flagged = len(self.log.objects.get(item.id, {})) if (self.log and item) else 0
        if flagged and not self.log_problem:
            self.verdict_label.setText(
                self.verdict_label.text() + f" · {flagged} object verdict{'s' * (flagged != 1)}"
            )

    def _summarise(self) -> None:
        if self.dataset is None or self.log is None:
            self.summary_label.setText("")
            return
        counts = review.summary((self.dataset.items[i] for i in self.model.rows), self.log)
        parts = [f"{counts.get(v, 0):,} {v}" for v in review.VERDICTS]
        parts.append(f"{counts.get('none', 0):,} to do")
        self.summary_label.setText("Listed: " + ", ".join(parts))

    def export(self, path: Path) -> None:
        """Save every verdict as CSV (.csv) or JSON (anything else)."""
        review_files.export_verdicts(self, path)
