"""The main window: menus, docks, status bar. Command line, File ▸ Open, recent files and drops all
go through Session.open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labelview import formats
from labelview.gui.canvas.view import Canvas
from labelview.gui.dialogs.about import show_about
from labelview.gui.dialogs.choose_format import ChooseFormatDialog
from labelview.gui.panels.classifications import ClassificationsPanel
from labelview.gui.panels.history import HistoryPanel
from labelview.gui.panels.issues import IssuesPanel
from labelview.gui.panels.items import ItemsPanel
from labelview.gui.panels.legend import LegendPanel
from labelview.gui.panels.objects import ObjectsPanel
from labelview.gui.panels.raw import RawPanel
from labelview.gui.review_tools import DROP_HINT, ReviewTools
from labelview.gui.session import OpenRequest, Session

MAX_RECENT = 10


def app_settings() -> QSettings:
    """The user's settings (tests point QSettings at a temporary folder)."""
    return QSettings("labelview", "labelview")


def plural(count: int, word: str) -> str:
    """'1 item', '2 items', '3 categories'."""
    if count == 1:
        return f"1 {word}"
    return f"{count:,} " + (word[:-1] + "ies" if word.endswith("y") else word + "s")


def local_paths(urls: list[QUrl]) -> list[Path]:
    """Local files and folders among dropped URLs."""
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile() and url.toLocalFile()]


class FrameBar(QWidget):
    """Slider + spin box over the current item's frame indices (hidden for single images)."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.frames: list[int] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.spin = QSpinBox()
        self.spin.setKeyboardTracking(False)
        self.label = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QLabel("Frame"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._slid)
        self.spin.valueChanged.connect(self._spun)
        session.item_changed.connect(self.refresh)

    def refresh(self) -> None:
        item = self.session.item
        self.frames = item.frame_indices() if item is not None else []
        self.setVisible(len(self.frames) > 1)
        if not self.frames:
            return
        position = self.frames.index(self.session.frame) if self.session.frame in self.frames else 0
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.slider.setRange(0, len(self.frames) - 1)
        self.slider.setValue(position)
        self.spin.setRange(self.frames[0], self.frames[-1])
        self.spin.setValue(self.frames[position])
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)
        self.label.setText(f"{position + 1} / {len(self.frames)}")

    def _slid(self, position: int) -> None:
        if 0 <= position < len(self.frames):
            self.session.set_frame(self.frames[position])

    def _spun(self, value: int) -> None:
        if value in self.frames:
            self.session.set_frame(value)
        elif self.frames:
            # Indices may be sparse: jump to the nearest labelled frame.
            self.session.set_frame(min(self.frames, key=lambda frame: abs(frame - value)))
            self.refresh()


class MainWindow(QMainWindow):
    """Canvas in the middle, panels in docks, progress and issue count in the status bar."""

    def __init__(self, settings: QSettings | None = None, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else app_settings()
        self.session = Session(self)
        self.setWindowTitle("labelview")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.format_dialog: ChooseFormatDialog | None = None

        self.canvas = Canvas(self.session)
        self.frame_bar = FrameBar(self.session)
        self.frame_bar.hide()
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.frame_bar)
        self.setCentralWidget(center)

        self.items_panel = ItemsPanel(self.session)
        self.objects_panel = ObjectsPanel(self.session)
        self.legend_panel = LegendPanel(self.session)
        self.classifications_panel = ClassificationsPanel(self.session)
        self.history_panel = HistoryPanel(self.session)
        self.raw_panel = RawPanel(self.session)
        self.issues_panel = IssuesPanel(self.session)
        area = Qt.DockWidgetArea
        self.docks: dict[str, QDockWidget] = {}
        self._dock("Items", self.items_panel, area.LeftDockWidgetArea)
        self._dock("Legend", self.legend_panel, area.RightDockWidgetArea)
        self._dock("Objects", self.objects_panel, area.RightDockWidgetArea)
        self._dock("Classifications", self.classifications_panel, area.RightDockWidgetArea)
        self._dock("Issues", self.issues_panel, area.BottomDockWidgetArea)
        self._dock("History", self.history_panel, area.BottomDockWidgetArea)
        self._dock("Raw JSON", self.raw_panel, area.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["Issues"], self.docks["History"])
        self.tabifyDockWidget(self.docks["History"], self.docks["Raw JSON"])
        self.docks["Issues"].raise_()
        self.review_tools = ReviewTools(self)
        self.review_tools.add_docks()

        self._build_status_bar()
        self._build_actions()
        self.review_tools.add_actions()
        self._connect_session()
        self._restore()

    # --- construction ------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.position_label = QLabel()
        self.position_label.setMinimumWidth(120)
        self.issues_button = QToolButton()
        self.issues_button.setAutoRaise(True)
        self.issues_button.setText("no issues")
        self.issues_button.clicked.connect(self._show_issues)
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.session.cancel)
        for widget in (self.progress_bar, self.cancel_button):
            widget.hide()
        bar.addPermanentWidget(self.position_label)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.issues_button)
        self.canvas.cursor_moved.connect(
            lambda x, y: self.position_label.setText(f"x {x:.1f}  y {y:.1f}")
        )

    def _action(self, menu, text: str, slot, shortcuts=(), checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(key) for key in shortcuts])
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        self.addAction(action)  # shortcuts work whatever has the focus
        return action

    def _build_actions(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.open_action = self._action(
            file_menu, "&Open…", self.choose_file, [QKeySequence.StandardKey.Open]
        )
        self._action(file_menu, "Open &folder…", self.choose_folder)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        self._action(file_menu, "&Images folder…", self.choose_images_folder, ["Ctrl+I"])
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, [QKeySequence.StandardKey.Quit])

        view = menus.addMenu("&View")
        self._action(view, "&Fit to window", self.canvas.fit, ["F"])
        self._action(view, "Zoom &in", lambda: self.canvas.zoom(1 / 1.25), ["+", "=", "Ctrl++"])
        self._action(view, "Zoom &out", lambda: self.canvas.zoom(1.25), ["-", "Ctrl+-"])
        view.addSeparator()
        self.hide_labels_action = self._action(
            view, "&Hide labels", lambda on: self.canvas.set_labels_visible(not on), ["H"], True
        )
        self.text_action = self._action(
            view, "Label &text", self.canvas.set_show_text, ["T"], checkable=True
        )
        self.text_action.setChecked(True)
        view.addSeparator()
        for position in range(9):
            # Not in a menu (a hidden action's shortcut would not fire), listed in the legend.
            self._action(
                None,
                f"Show/hide category {position + 1}",
                lambda _=False, p=position: self.session.toggle_category(p),
                [str(position + 1)],
            )
        view.addSeparator()
        panels = view.addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())

        go = menus.addMenu("&Go")
        self._action(go, "&Next item", lambda: self.session.step_item(1), ["Right", "D"])
        self._action(go, "&Previous item", lambda: self.session.step_item(-1), ["Left", "A"])
        self._action(go, "Next &frame", lambda: self.session.step_frame(1), ["."])
        self._action(go, "Previous f&rame", lambda: self.session.step_frame(-1), [","])
        self._action(go, "Fi&lter items", self.focus_filter, [QKeySequence.StandardKey.Find])

        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "&About labelview", lambda: show_about(self), [])

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("toolbar-main")
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        toolbar.addAction(self.hide_labels_action)
        toolbar.addAction(self.text_action)
        toolbar.addWidget(QLabel(" Fill "))
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(round(self.canvas.opacity * 100))
        self.opacity_slider.setMaximumWidth(140)
        self.opacity_slider.setToolTip("Fill opacity of areas and masks")
        self.opacity_slider.valueChanged.connect(lambda v: self.canvas.set_opacity(v / 100))
        toolbar.addWidget(self.opacity_slider)
        self._refresh_recent()

    def _connect_session(self) -> None:
        session = self.session
        session.loading.connect(self._loading)
        session.progress.connect(self._progress)
        session.stage.connect(lambda text: self.statusBar().showMessage(text + "…"))
        session.loaded.connect(self._loaded)
        session.load_failed.connect(self._load_failed)
        session.load_cancelled.connect(self._load_cancelled)
        session.format_needed.connect(self._ask_format)
        session.issues_changed.connect(self._count_issues)
        session.item_changed.connect(self._update_title)

    # --- opening -----------------------------------------------------------------------------

    def open_path(self, path: Path | str, **options) -> bool:
        """Open a file or folder (the one path for menus, recent files, drops and the CLI)."""
        path = Path(path)
        self.settings.setValue("last_folder", str(path.parent if path.is_file() else path))
        return self.session.open(path, **options)

    def choose_file(self) -> None:
        start = str(self.settings.value("last_folder", "") or "")
        name, _ = QFileDialog.getOpenFileName(self, "Open an export", start, formats.open_filter())
        if name:
            self.open_path(name)

    def choose_folder(self) -> None:
        start = str(self.settings.value("last_folder", "") or "")
        name = QFileDialog.getExistingDirectory(self, "Open an export folder", start)
        if name:
            self.open_path(name)

    def choose_images_folder(self) -> None:
        start = str(self.settings.value("images_folder", "") or "")
        name = QFileDialog.getExistingDirectory(self, "Folder holding the images", start)
        if name:
            self.set_images_folder(Path(name))

    def set_images_folder(self, folder: Path) -> None:
        """Resolve every image again, looking in `folder` first."""
        self.settings.setValue("images_folder", str(folder))
        found = self.session.set_images_dir(folder)
        self.statusBar().showMessage(f"{found:,} images found", 5000)

    def focus_filter(self) -> None:
        self.docks["Items"].show()
        self.docks["Items"].raise_()
        self.items_panel.filter_box.setFocus()
        self.items_panel.filter_box.selectAll()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
            self.statusBar().showMessage(DROP_HINT, 4000)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.review_tools.show_convert(paths)  # Shift+drop converts instead of opening
            return
        self.open_path(paths[0])

    def _ask_format(self, request: OpenRequest, verdicts) -> None:
        self._idle()
        self.statusBar().showMessage(f"Which format is {request.path.name}?")
        dialog = ChooseFormatDialog(request.path.name, verdicts, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            chosen = dialog.chosen()
            if chosen:
                self.session.open(
                    request.path,
                    format=chosen,
                    images_dir=request.images_dir,
                    ontology=request.ontology,
                    url_map=request.url_map,
                )

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _result: setattr(self, "format_dialog", None))
        self.format_dialog = dialog
        dialog.open()  # window-modal but not blocking: the event loop keeps running

    def _loading(self, request: OpenRequest) -> None:
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.statusBar().showMessage(f"Reading {request.path.name}…")

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))

    def _idle(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()

    def _loaded(self) -> None:
        self._idle()
        dataset = self.session.dataset
        request = self.session.request
        if request is not None:
            self._remember(request.path)
        if dataset is not None:
            counts = (
                (len(dataset.items), "item"),
                (dataset.object_count, "object"),
                (len(dataset.categories), "category"),
            )
            self.statusBar().showMessage(", ".join(plural(n, word) for n, word in counts), 8000)
        self._update_title()

    def _load_failed(self, message: str) -> None:
        self._idle()
        self.statusBar().showMessage(f"Could not open: {message}")
        self._show_issues()

    def _load_cancelled(self) -> None:
        self._idle()
        self.statusBar().showMessage("Cancelled", 5000)

    def _show_issues(self) -> None:
        dock = self.docks["Issues"]
        dock.show()
        dock.raise_()

    def _count_issues(self) -> None:
        issues = self.session.issues
        errors = sum(1 for issue in issues if issue.level == "error")
        warnings = len(issues) - errors
        parts = []
        if errors:
            parts.append(f"{errors:,} error{'s' * (errors != 1)}")
        if warnings:
            parts.append(f"{warnings:,} warning{'s' * (warnings != 1)}")
        self.issues_button.setText("⚠ " + ", ".join(parts) if parts else "no issues")

    def _update_title(self) -> None:
        dataset = self.session.dataset
        item = self.session.item
        title = "labelview"
        if dataset is not None and dataset.source is not None:
            title = f"{dataset.source.name} — labelview"
            if item is not None:
                position = f"{self.session.item_index + 1}/{len(dataset.items)}"
                title = f"{item.name} ({position}) — {title}"
        self.setWindowTitle(title)

    # --- settings ----------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        text = str(path.resolve())
        recent = [text, *[p for p in self.recent_files() if p != text]][:MAX_RECENT]
        self.settings.setValue("recent_files", recent)
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for text in recent:
            action = self.recent_menu.addAction(text)
            action.triggered.connect(lambda _=False, p=text: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 880)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        self._first_layout = state is None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._first_layout:
            # First run: the image gets most of the room (dock sizes apply once shown).
            self._first_layout = False
            vertical, horizontal = Qt.Orientation.Vertical, Qt.Orientation.Horizontal
            self.resizeDocks([self.docks["Issues"]], [150], vertical)
            self.resizeDocks([self.docks["Items"], self.docks["Legend"]], [330, 340], horizontal)
            self.resizeDocks(
                [self.docks["Legend"], self.docks["Objects"], self.docks["Classifications"]],
                [200, 260, 240],
                vertical,
            )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.cancel()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        super().closeEvent(event)
