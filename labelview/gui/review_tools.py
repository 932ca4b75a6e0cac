"""Spot-check review, statistics, comparison and conversion, wired into the main window.

Kept apart from main_window.py: the window calls `add_docks()` while it builds its docks and
`add_actions()` after its menus; everything else talks through the session's signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QScrollArea

from labelview.errors import Issue
from labelview.gui.dialogs.convert import ConvertDialog
from labelview.gui.panels.compare import ComparePanel
from labelview.gui.panels.review import ReviewPanel
from labelview.gui.panels.stats import StatsPanel
from labelview.model import ObjectLabel
from labelview.review import ReviewFilter

if TYPE_CHECKING:
    from labelview.gui.main_window import MainWindow

CONVERT_SHORTCUT = "Ctrl+Shift+E"
DROP_HINT = "Drop to open — hold Shift while dropping to convert instead"


def restrictive(flt: ReviewFilter) -> bool:
    """True when the filter hides some objects (else the canvas need not ask it)."""
    return flt.min_confidence > 0 or len(flt.sources) < 3 or flt.categories is not None


class ReviewTools(QObject):
    """The Review, Statistics and Compare docks and the Convert dialog of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.review = ReviewPanel(settings=window.settings)
        self.stats = StatsPanel()
        self.compare = ComparePanel(settings=window.settings)
        self.compare.attach(window.canvas.view)
        self.convert_dialog: ConvertDialog | None = None
        self.convert_action: QAction | None = None
        self._fit_action: QAction | None = None
        self._fit_keys: list[QKeySequence] = []

    # --- building ----------------------------------------------------------------------------

    def add_docks(self) -> None:
        """Review, Statistics and Compare as tabs beside the Items dock."""
        window = self.window
        area = Qt.DockWidgetArea.LeftDockWidgetArea
        for title, widget in (
            ("Review", self.review),
            ("Statistics", self.stats),
            ("Compare", self.compare),
        ):
            # In a scroll area: a dock's minimum size must not grow the window.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(widget)
            window._dock(title, scroll, area)
            window.tabifyDockWidget(window.docks["Items"], window.docks[title])
        window.docks["Items"].raise_()
        window.docks["Review"].visibilityChanged.connect(self._review_shown)
        window.docks["Statistics"].visibilityChanged.connect(
            lambda shown: shown and self._update_stats()
        )

        session = self.session
        session.loaded.connect(self._loaded)
        session.item_changed.connect(self._item_changed)
        session.issues_changed.connect(lambda: self.review.set_issues(session.issues))
        session.selection_changed.connect(self.review.set_selected_object)
        self.review.filter_changed.connect(self._filter_changed)
        self.review.verdicts_changed.connect(self._update_stats)
        self.review.item_requested.connect(session.set_item)
        self.compare.picture_requested.connect(session.set_item)
        self.compare.object_requested.connect(self._show_object)
        self.stats.health.finding_requested.connect(self._show_finding)
        self.compare.comparison_changed.connect(self._item_changed)

    def add_actions(self) -> None:
        """File ▸ Convert… (Ctrl+Shift+E), placed before the Images folder entry."""
        window = self.window
        action = QAction("&Convert…", window)
        action.setShortcut(QKeySequence(CONVERT_SHORTCUT))
        action.setStatusTip("Convert exports to other formats (or Shift+drop files on the window)")
        action.triggered.connect(lambda: self.show_convert())
        window.addAction(action)
        file_menu = window.menuBar().actions()[0].menu()
        entries = file_menu.actions()
        anchor = next((a for a in entries if a.text().startswith("&Images")), None)
        if anchor is not None:
            file_menu.insertAction(anchor, action)
            file_menu.insertSeparator(anchor)
        else:
            file_menu.addAction(action)
        self.convert_action = action
        # E / Shift+E: walk the Compare dock's errors (nothing happens without a comparison).
        for key, step in (("E", 1), ("Shift+E", -1)):
            walk = QAction("Next error" if step > 0 else "Previous error", window)
            walk.setShortcut(QKeySequence(key))
            walk.triggered.connect(lambda _checked=False, s=step: self.compare.step_error(s))
            window.addAction(walk)
        self._fit_action = next((a for a in window.actions() if a.text() == "&Fit to window"), None)
        self._fit_keys = self._fit_action.shortcuts() if self._fit_action else []

    # --- convert -----------------------------------------------------------------------------

    def show_convert(self, paths: Sequence[Path] = ()) -> ConvertDialog:
        """Open the Convert dialog (with `paths` as inputs; the open export when none given)."""
        session = self.session
        if self.convert_dialog is not None:
            self.convert_dialog.add_inputs(list(paths))
            self.convert_dialog.raise_()
            self.convert_dialog.activateWindow()
            return self.convert_dialog
        inputs = list(paths)
        if not inputs and session.dataset is not None and session.request is not None:
            inputs = [session.request.path]
        dialog = ConvertDialog(
            self.window,
            settings=self.window.settings,
            dataset=session.dataset,
            item_filter=self._selection_filter(),
            images_dir=session.images_dir,
            inputs=inputs,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: setattr(self, "convert_dialog", None))
        self.convert_dialog = dialog
        dialog.show()
        return dialog

    def _selection_filter(self):
        """Items both the Items panel's filters and the review filters show (None: no dataset)."""
        dataset = self.session.dataset
        if dataset is None:
            return None
        listed = set(self.window.items_panel.visible_rows()) & set(self.review.visible_rows())
        kept = {id(dataset.items[row]) for row in listed}
        return lambda item: id(item) in kept

    # --- following the session ---------------------------------------------------------------

    def _loaded(self) -> None:
        session = self.session
        source = session.request.path if session.request is not None else None
        if source is None and session.dataset is not None:
            source = session.dataset.source
        self.review.set_dataset(session.dataset, source, issues=session.issues)
        self.compare.set_reference(session.dataset)
        self._update_stats()

    def _item_changed(self) -> None:
        self.review.set_current(self.session.item_index)
        self.compare.show_item(self.session.item_index, self.session.frame)

    def _filter_changed(self, flt: ReviewFilter) -> None:
        self.session.set_object_filter(flt.object_visible if restrictive(flt) else None)
        self.compare.set_score(flt.min_confidence)
        self._update_stats()

    def _update_stats(self) -> None:
        dock = self.window.docks.get("Statistics")
        if dock is not None and dock.isVisible() and not dock.visibleRegion().isEmpty():
            self.stats.update_from(self.review)

    def _show_finding(self, finding) -> None:
        """Show the item (and select the object) a health finding is about."""
        if finding.item is not None:
            self.session.jump_to(
                Issue("", "", finding.message, item=finding.item, object=finding.object)
            )

    def _show_object(self, obj: ObjectLabel) -> None:
        """Select a compared object (when it is the open export's) and zoom to it."""
        session = self.session
        item = session.item
        if item is not None and obj in item.objects:
            session.select(obj)
        if obj.geometry is None:
            return
        x0, y0, x1, y1 = obj.geometry.bounds()
        margin = max(x1 - x0, y1 - y0, 20.0)  # the object and as much around it
        view = self.window.canvas.view
        view.setRange(QRectF(x0 - margin, y0 - margin, x1 - x0 + 2 * margin, y1 - y0 + 2 * margin))

    def _review_shown(self, shown: bool) -> None:
        # F means "needs fix" while the Review dock is on screen, "fit to window" otherwise.
        if self._fit_action is not None:
            keys = self._fit_keys
            if shown:
                keys = [key for key in keys if key != QKeySequence("F")]
            self._fit_action.setShortcuts(keys)
