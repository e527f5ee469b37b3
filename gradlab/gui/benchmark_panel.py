"""The benchmark panel: custom Function vs autograd of forward vs built-ins, measured in its own engine."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QTextOption
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGraphicsTextItem,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyleOptionButton,
    QStylePainter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradlab.gui.log_axis import log_axes
from gradlab.gui.placeholder import Placeholder
from gradlab.gui.style import COMPARE_COLORS, HAND_WRITTEN_COLOR, REFERENCE_COLORS
from gradlab.gui.svg_export import install as install_svg_export
from gradlab.gui.widgets import int_spin, named, scrollable
from gradlab.model.baseline import (
    FASTER,
    SLOWER,
    CellChange,
    cell_key,
    compare,
    environment_differences,
    percent_text,
    read_baseline,
    summary,
)
from gradlab.model.bench_table import compare_tables, format_time, method_line, spread_mark, spread_text
from gradlab.model.bench_warnings import shape_warning, shape_warnings
from gradlab.model.cost_model import why_lines
from gradlab.model.json_text import json_text
from gradlab.model.options import BenchOptions
from gradlab.model.results import BenchmarkReport, BenchmarkRow, BenchmarkWhy, FunctionInfo
from gradlab.model.text_args import parse_sizes, shape_label
from gradlab.model.words import counted

install_svg_export()  # pyqtgraph's own SVG exporter fails with this PySide6

CUSTOM = "custom Function"
AUTOGRAD = "autograd of forward"
DEFAULT_SIZES = ", ".join(str(s) if isinstance(s, int) else "x".join(map(str, s)) for s in BenchOptions().sizes)  # one default, shared with `gradlab bench`
#: Width of a legend entry besides its name: the line sample, the gaps, the frame.
LEGEND_SAMPLE_WIDTH = 44
#: Height below which the table, plots and "why" scroll with the tab rather than shrink.
RESULTS_MIN_HEIGHT = 300
#: Rows of other Functions' check boxes shown before their list scrolls.
OTHER_ROWS = 3
BEST = QColor("#c8f0c8")
SLOWER_TEXT, FASTER_TEXT = QColor("#c62828"), QColor("#2e7d32")
#: How much slower (or faster), beyond the noise too, a cell must be to be coloured against a loaded baseline.
BASELINE_THRESHOLD = 0.05
#: Characters of a long check box's name still shown at its narrowest (then "…").
ELIDED_CHARS = 12
#: A run of this many characters without a space may be broken inside: a Function's or a file's name.
LONG_WORD = 16
ZERO_WIDTH_SPACE = "\u200b"


def implementation_color(name: str, index: int) -> str:
    if name == CUSTOM:
        return HAND_WRITTEN_COLOR
    return REFERENCE_COLORS.get(name, COMPARE_COLORS[index % len(COMPARE_COLORS)])


def breakable(text: str) -> str:
    """``text`` with zero-width spaces where a long name may wrap: after ``_ . / -``, between camelCase words, every 16 characters else.

    A word-wrapped label is at least as wide as its longest word; a Function's or
    a file's name of 90 characters would make the whole tab scroll sideways.
    """

    def split(match: re.Match) -> str:
        word = re.sub(r"([_./\\-])(?=.)", "\\1" + ZERO_WIDTH_SPACE, match.group(0))
        word = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", ZERO_WIDTH_SPACE, word)
        parts = word.split(ZERO_WIDTH_SPACE)
        return ZERO_WIDTH_SPACE.join(
            ZERO_WIDTH_SPACE.join(part[i : i + LONG_WORD] for i in range(0, len(part), LONG_WORD)) for part in parts
        )

    return re.sub(rf"\S{{{LONG_WORD + 1},}}", split, text)


class WrapLabel(QLabel):
    """A word-wrapped label whose long names wrap too, so its minimum width never depends on them.

    :meth:`text` is the text as set, without the zero-width spaces :func:`breakable` adds.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setWordWrap(True)
        self._text = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._text = text
        super().setText(breakable(text))

    def text(self) -> str:
        return self._text


class ElidedCheckBox(QCheckBox):
    """A check box whose text is cut short in the middle ("…") when its row is narrower than it; the whole text on hover.

    Its minimum width is :data:`ELIDED_CHARS` characters' and its preferred width
    the whole text's, so a long name never makes its panel wider than its viewport.
    :meth:`text` stays the whole name.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._note = ""
        self.shown_text = text

    def _text_room(self, width: int) -> int:
        """Pixels the text has in a box ``width`` wide (the indicator and gaps take the rest)."""
        return width - (self.sizeHint().width() - self.fontMetrics().horizontalAdvance(self.text()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = self.sizeHint()
        text = self.text()
        if len(text) <= ELIDED_CHARS:
            return hint
        metrics = self.fontMetrics()
        short = metrics.horizontalAdvance(text[:ELIDED_CHARS] + "\u2026")
        return QSize(hint.width() - metrics.horizontalAdvance(text) + short, hint.height())

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt override
        """What the box is; the whole name comes before it while the name is cut short."""
        self._note = text
        self._refresh()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        text = self.text()
        self.shown_text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, max(self._text_room(self.width()), 0))
        if self.width() >= self.sizeHint().width():
            self.shown_text = text
        elided = self.shown_text != text
        super().setToolTip("\n".join(t for t in (text if elided else "", self._note) if t))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.shown_text == self.text():
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = self.shown_text
        painter.drawControl(QStyle.ControlElement.CE_CheckBox, option)


class PlotMessage(QGraphicsTextItem):
    """Words over a plot's view, on its background colour so grid lines never run through them."""

    def __init__(self, parent, background: QColor) -> None:
        super().__init__(parent)
        self.background = QColor(background)
        self.background.setAlpha(230)

    def paint(self, painter, option, widget=None) -> None:
        painter.fillRect(self.boundingRect(), self.background)
        super().paint(painter, option, widget)


class FlowLayout(QLayout):
    """Widgets left to right, wrapping onto as many rows as the width needs (Qt's flow layout example).

    Its minimum width is its widest widget's minimum, and a widget wider than
    the row gets the row's width: an :class:`ElidedCheckBox` with a long name
    then cuts it short, so a row of long check boxes never makes a panel wider
    than its viewport.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 10) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)  # between neighbours; half of it between rows
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        size = QSize(0, 0)
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    def row_gap(self) -> int:
        return self.spacing() // 2

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the items in rows within ``rect`` (when ``move``); the height that takes."""
        x, y, row_height = rect.x(), rect.y(), 0
        for item in self._items:
            if item.isEmpty():  # a hidden widget
                continue
            hint = item.sizeHint()
            if hint.width() > rect.width():  # a long name: as wide as the row, cut short there
                hint = QSize(max(rect.width(), item.minimumSize().width()), hint.height())
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, row_height = rect.x(), y + row_height + self.row_gap(), 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self.spacing()
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()


class CheckList(QScrollArea):
    """Check boxes in wrapping rows; past ``rows`` rows they scroll, vertically only."""

    def __init__(self, rows: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.flow = FlowLayout(inner)
        self.setWidget(inner)
        inner.installEventFilter(self)  # a box shown (a new one is shown only later) or hidden: new rows

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # else the panel keeps the height it asked of this list before
        return super().eventFilter(watched, event)

    def add(self, widget: QWidget) -> None:
        self.flow.addWidget(widget)
        self.updateGeometry()

    def _row_height(self) -> int:
        return max((self.flow.itemAt(i).sizeHint().height() for i in range(self.flow.count())), default=0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        """All rows at ``width``, up to :attr:`rows` of them (then a scroll bar takes a little of the width)."""
        needed = self.flow.heightForWidth(width)
        most = self.rows * (self._row_height() + self.flow.row_gap())
        if needed <= most:
            return needed
        return min(self.flow.heightForWidth(width - self.verticalScrollBar().sizeHint().width()), most)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.flow.minimumSize().width(), self.heightForWidth(self.flow.minimumSize().width()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.flow.minimumSize().width() + self.verticalScrollBar().sizeHint().width(), self._row_height())


class BenchmarkPanel(QWidget):
    """Controls, a Compare-shaped table, time-vs-size and speed-up plots, and the "why".

    Signals
    -------
    run_requested(dict)
        Keyword arguments of a benchmark request.
    cancel_requested()
    """

    run_requested = Signal(object)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("benchmarkPanel")
        self.rows: list[BenchmarkRow] = []
        self.why: list[BenchmarkWhy] = []
        self.report: BenchmarkReport | None = None
        self.baseline_report: BenchmarkReport | None = None  # a file loaded to compare with, not the speed-up baseline
        self.baseline_path = ""
        self._started = 0.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_controls())
        splitter = QSplitter(Qt.Orientation.Vertical)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        self.table_caption = named(WrapLabel(""), "benchmarkTableCaption")
        self.table_caption.setVisible(False)
        self.table = named(QTableWidget(0, 0), "benchmarkTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)  # three sizes fit a small window
        table_layout.addWidget(self.table_caption)
        table_layout.addWidget(self.table, 1)
        self.table_box = table_box
        splitter.addWidget(table_box)
        splitter.addWidget(self._build_plots())
        self.why_label = named(QLabel(" "), "benchmarkWhy")
        self.why_label.setWordWrap(True)
        self.why_label.setTextFormat(Qt.TextFormat.RichText)
        self.why_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.why_pane = scrollable(self.why_label)  # a long "why" scrolls in its pane, never squeezes the plots
        splitter.addWidget(self.why_pane)
        splitter.setSizes([200, 300, 70])
        # the results take the height left under the controls: their own size hint (a long table or
        # "why") would make the tab scroll and push the plots out of view
        splitter.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        splitter.setMinimumHeight(RESULTS_MIN_HEIGHT)
        layout.addWidget(splitter, 1)
        self._show_planned_cells()

    # -- construction ----------------------------------------------------
    def _build_plots(self) -> QStackedWidget:
        """Time and speed-up plots under one legend, behind a message until there is something to plot."""
        plots = pg.GraphicsLayoutWidget()
        plots.setMinimumWidth(200)
        self.legend = pg.LegendItem()  # in a row above the plots, never on the curves
        plots.addItem(self.legend, row=0, col=0, colspan=2)
        self._legend_names: list[str] = []
        self._legend_labels: list[str] = []
        self._legend_font = QFont(self.font())
        self._legend_font.setPointSize(8)
        # what each plot shows is its y axis's label: a title row would take height a small window lacks
        self.time_plot = plots.addPlot(row=1, col=0, axisItems=log_axes(time=True))
        self.speedup_plot = plots.addPlot(row=1, col=1, axisItems=log_axes())
        self.time_plot.legend = self.legend
        for plot in (self.time_plot, self.speedup_plot):
            plot.setLogMode(True, True)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "elements")
            for side in ("bottom", "left"):
                plot.getAxis(side).enableAutoSIPrefix(False)
        self.time_plot.setLabel("left", "time per call")
        self.speedup_plot.setLabel("left", "speed-up vs baseline")
        self.speedup_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)))
        # why the speed-up plot is empty while the time plot is not (the baseline was not timed): centred in its view
        self.speedup_message = PlotMessage(self.speedup_plot.vb, plots.backgroundBrush().color())
        self.speedup_message.setDefaultTextColor(self.speedup_plot.getAxis("left").textPen().color())
        self.speedup_message.setFont(self.font())
        option = self.speedup_message.document().defaultTextOption()
        option.setAlignment(Qt.AlignmentFlag.AlignCenter)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # a long name wraps too
        self.speedup_message.document().setDefaultTextOption(option)
        self.speedup_message.setZValue(100)
        self.speedup_message.hide()
        self.speedup_plot.vb.sigResized.connect(self._place_speedup_message)
        self.plots_widget = plots
        plots.installEventFilter(self)  # a resize refits the legend's columns
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.plot_stack = Placeholder(plots, "", "benchmarkPlaceholder", label=WrapLabel(""))  # names in it wrap
        self.placeholder = self.plot_stack.message
        return self.plot_stack

    def _build_controls(self) -> QVBoxLayout:
        self.device = named(QComboBox(), "deviceCombo")
        self.device.addItem("cpu")
        self.mode = named(QComboBox(), "modeCombo")
        self.mode.addItems(["both", "forward", "backward", "double"])
        self.mode.setToolTip("both: forward + backward (the tutorial's measure); backward: graph built outside the timed region")
        self.dtype = named(QComboBox(), "benchDtypeCombo")
        self.dtype.addItems(["float32", "float64", "float16", "bfloat16"])
        self.sizes = named(QLineEdit(DEFAULT_SIZES), "sizesEdit")
        self.sizes.setToolTip("element counts of a 1-D input, or shapes such as 100x100 (the tutorial's input)")
        self.threads = int_spin("threadsSpin", BenchOptions().threads, 0, 256)
        self.threads.setSpecialValueText("torch's default")
        self.baseline = named(QComboBox(), "baselineCombo")
        self.baseline.setToolTip("the implementation the speed-up plot divides by")
        self.baseline.currentTextChanged.connect(self._redraw)
        for combo in (self.device, self.baseline):  # long names (another file's Function) must not widen the panel
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        self.run_button = named(QPushButton("Run benchmark"), "runBenchmark")
        self.run_button.setDefault(True)
        self.cancel_button = named(QPushButton("Cancel"), "cancelBenchmark")
        self.cancel_button.setEnabled(False)
        self.progress = named(QProgressBar(), "benchmarkProgress")
        self.progress.setMinimumWidth(80)
        self.status = named(WrapLabel(" "), "benchmarkStatus")  # it names the file and the Function
        self.export_button = named(QPushButton("Export\u2026"), "exportBenchmark")
        self.open_button = named(QPushButton("Open report\u2026"), "openBenchmark")
        self.load_baseline_button = named(QPushButton("Load baseline\u2026"), "benchmarkLoadBaseline")
        self.load_baseline_button.setToolTip("compare each cell with a baseline saved by `gradlab bench --save-baseline` (or any saved report)")
        self.clear_baseline_button = named(QPushButton("Clear baseline"), "benchmarkClearBaseline")
        self.clear_baseline_button.setEnabled(False)
        self.baseline_label = named(WrapLabel(" "), "benchmarkBaselineFile")
        self.warnings_label = named(WrapLabel(""), "benchmarkWarnings")
        self.warnings_label.setVisible(False)
        self.load_baseline_button.clicked.connect(self._on_load_baseline)
        self.clear_baseline_button.clicked.connect(self.clear_baseline)
        self.run_button.clicked.connect(self._on_run)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.export_button.clicked.connect(self._on_export)
        self.open_button.clicked.connect(self._on_open)
        self.sizes.textChanged.connect(self._on_plan_changed)
        self.mode.currentTextChanged.connect(self._on_plan_changed)
        buttons = QHBoxLayout()  # first, so a long list of implementations never pushes Run out of view
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        grid = QGridLayout()  # two label + input pairs a row: fits a narrow tab
        cells = [("device", self.device), ("mode", self.mode), ("dtype", self.dtype), ("threads", self.threads)]
        for index, (label, widget) in enumerate(cells):
            row, column = divmod(index, 2)
            grid.addWidget(QLabel(label), row, 2 * column)
            grid.addWidget(widget, row, 2 * column + 1)
        grid.addWidget(QLabel("sizes"), 2, 0)
        grid.addWidget(self.sizes, 2, 1)
        grid.addWidget(QLabel("baseline"), 2, 2)
        grid.addWidget(self.baseline, 2, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.own_list = named(CheckList(OTHER_ROWS * 2), "benchmarkImplementations")
        self.own_list.add(self._flow_label("time:"))
        self.others_list = named(CheckList(OTHER_ROWS), "benchmarkOtherFunctions")
        others = self._flow_label("against:")
        others.setToolTip("other Functions with the same arguments, in this file or another open one")
        self.others_list.add(others)
        self.implementation_boxes: dict[str, QCheckBox] = {}
        files = FlowLayout()
        for widget in (self.export_button, self.open_button, self.load_baseline_button, self.clear_baseline_button):
            files.addWidget(widget)
        layout = QVBoxLayout()
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(grid)
        layout.addWidget(self.own_list)
        layout.addWidget(self.others_list)
        layout.addLayout(files)
        layout.addWidget(self.baseline_label)
        layout.addWidget(self.warnings_label)
        self.baseline_label.setVisible(False)
        self.others_list.setVisible(False)
        return layout

    @staticmethod
    def _flow_label(text: str) -> QLabel:
        """A label that lines up with the check boxes after it in a :class:`CheckList`."""
        label = QLabel(text)
        label.setFixedHeight(QCheckBox(text).sizeHint().height())
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return label

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.plots_widget and event.type() == QEvent.Type.Resize:
            self._fit_legend()
        return super().eventFilter(watched, event)

    # -- configuration -----------------------------------------------------
    def set_devices(self, available: list[str], unavailable: dict[str, str]) -> None:
        """List usable devices, and the others disabled with the reason in their tooltip."""
        current = self.device.currentText()
        self.device.clear()
        for name in available:
            self.device.addItem(name)
        model = self.device.model()
        for name, reason in unavailable.items():
            self.device.addItem(f"{name} (unavailable)")
            item = model.item(self.device.count() - 1)
            item.setEnabled(False)
            item.setToolTip(reason)
        if current in available:
            self.device.setCurrentText(current)

    def set_function(self, info: FunctionInfo, others: list[str] | None = None) -> None:
        """One check box per implementation of ``info``: the custom Function, autograd of forward, each compare.

        ``others`` are other Functions with the same arguments (another version in
        this file or another open one); their boxes start unchecked.
        """
        others = others or []
        names = [CUSTOM, AUTOGRAD, *info.compare, *others]
        if list(self.implementation_boxes) == names:
            return
        for box in self.implementation_boxes.values():
            box.hide()  # out of the rows now; deleted later
            box.deleteLater()
        self.implementation_boxes = {}
        for name in names:
            box = named(ElidedCheckBox(name), f"implementation:{name}")  # a long name is cut short, whole on hover
            box.setChecked(name not in others)
            if name in others:
                box.setToolTip("another Function with the same arguments: timed on the same inputs, its results checked against this one's")
            box.toggled.connect(self._on_plan_changed)
            (self.others_list if name in others else self.own_list).add(box)
            self.implementation_boxes[name] = box
        self.others_list.setVisible(bool(others))
        self._on_plan_changed()
        self.baseline.blockSignals(True)
        self.baseline.clear()
        self.baseline.addItems(names)
        self.baseline.setCurrentText(AUTOGRAD)
        self.baseline.blockSignals(False)

    def options(self) -> BenchOptions:
        """The benchmark's options, as the controls say (ValueError for sizes that do not parse)."""
        return BenchOptions(**{
            "sizes": parse_sizes(self.sizes.text()),
            "modes": (self.mode.currentText(),),
            "implementations": tuple(n for n, b in self.implementation_boxes.items() if b.isChecked()) or None,
            "dtype": self.dtype.currentText(),
            "device": self.device.currentText(),
            "threads": self.threads.value() or None,
        })

    def planned_cells(self) -> int | None:
        """Cells a run with the current controls measures: sizes × modes × checked implementations.

        None while the sizes do not parse.
        """
        try:
            options = self.options()
        except ValueError:
            return None
        return options.cell_count(sum(box.isChecked() for box in self.implementation_boxes.values()))

    def _on_plan_changed(self, *_args) -> None:
        if not self.cancel_button.isEnabled():  # a running count is the run's, not the controls'
            self._show_planned_cells()

    def _show_planned_cells(self) -> None:
        cells = self.planned_cells()
        if cells is not None:  # sizes being typed: keep the last count
            self._show_cells(0, cells)
        self._show_placeholder()

    def _show_placeholder(self) -> None:
        """Until there is a time to plot, say what to do instead of showing bare axes."""
        timed = any(r.median_s for r in self.rows)
        self.table_box.setVisible(bool(self.rows))  # no empty table above the message
        if timed:
            self.plot_stack.show_content()
        else:
            self.plot_stack.show_message()
        self._show_speedup_message(self.speedup_missing() if timed else "")
        if timed:
            return
        if self.cancel_button.isEnabled():
            self.placeholder.setText("Timing\u2026 each implementation's time per call and speed-up appear here as they are measured.")
            return
        checked = [n for n, b in self.implementation_boxes.items() if b.isChecked()]
        if self.implementation_boxes and not checked:
            self.placeholder.setText("Check an implementation above, then press Run benchmark to time it.")
            return
        what = ", ".join(checked[:-1]) + f" and {checked[-1]}" if len(checked) > 1 else (checked[0] if checked else "this Function")
        try:
            sizes = [shape_label(s if isinstance(s, tuple) else (s,)) for s in parse_sizes(self.sizes.text())]
            where = f" at {counted(len(sizes), 'size')}: " + " \u00b7 ".join(sizes)
        except ValueError:
            where = ""
        self.placeholder.setText(
            f"Press Run benchmark to time {what}{where}.\n\n"
            "The time per call against size, and the speed-up over the baseline, are plotted here."
        )

    def _show_cells(self, done: int, total: int) -> None:
        """"done / total cells" on the progress bar (a zero total too, which Qt would draw as busy)."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} / {counted(total, 'cell')}")

    # -- running ---------------------------------------------------------
    def _on_run(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        if self.implementation_boxes and not options.implementations:
            self.status.setText("choose at least one implementation to time")
            return
        self.rows, self.why, self.report = [], [], None
        self._started = time.monotonic()
        self.set_running(True, "starting the benchmark engine\u2026")
        self._redraw()
        self.run_requested.emit(options)

    def set_running(self, running: bool, text: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)
        self.status.setText(text)
        self._show_placeholder()

    def show_progress(self, done: int, total: int) -> None:
        """done/total cells and an estimate of the time left."""
        self._show_cells(done, total)
        elapsed = time.monotonic() - self._started
        if 0 < done < total:
            self.status.setText(f"{done}/{total} done, about {elapsed / done * (total - done):.0f} s left")

    def add_item(self, item) -> None:
        """A row or an explanation, as the engine measures it."""
        if isinstance(item, BenchmarkRow):
            self.rows.append(item)
            self._redraw()
        elif isinstance(item, BenchmarkWhy):
            self.why.append(item)
            self._show_why()

    def show_report(self, report: BenchmarkReport) -> None:
        """The finished (or opened) report: everything redrawn from it."""
        self.report = report
        self.rows, self.why = list(report.rows), list(report.why)
        env = report.environment
        notes = "".join(f"\nnote: {note}" for note in report.notes)
        self.set_running(False, f"done: {report.function} on {env.get('device_name', '?')} ({env.get('device')}), {env.get('threads')} thread{'' if env.get('threads') == 1 else 's'}, torch {env.get('torch')}{notes}")
        self._show_cells(len(self.rows), len(self.rows))  # one row per cell, timed or refused
        names = list(dict.fromkeys(r.implementation for r in self.rows))
        if names and self.baseline.findText(AUTOGRAD) < 0:
            self.baseline.blockSignals(True)
            self.baseline.clear()
            self.baseline.addItems(names)
            self.baseline.blockSignals(False)
        self._redraw()
        self._show_why()

    def show_failure(self, text: str) -> None:
        """Stopped or failed: the count stays where the run got to, or shows the plan if no cell was reached."""
        self.set_running(False, text)
        if self.progress.maximum() == 0:  # still busy: no cell counted
            self._show_planned_cells()

    # -- drawing -----------------------------------------------------------
    def _redraw(self) -> None:
        tables = compare_tables(self.rows)
        table = tables[0] if tables else None
        changes = self._baseline_changes()
        self.table.clear()
        if table is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
        else:
            self.table.setColumnCount(len(table.implementations))
            self.table.setRowCount(len(table.sizes))
            self.table.setHorizontalHeaderLabels([name.replace(" (", "\n(") for name in table.implementations])  # file names on a second line
            self.table.setVerticalHeaderLabels([shape_label(s) for s in table.sizes])
            self.table.setToolTip(f"{table.mode}: median time per call in {table.unit}; its spread in each cell's tooltip")
            for r, size in enumerate(table.sizes):
                best = table.best(size)
                for c, name in enumerate(table.implementations):
                    row = table.cells.get((size, name))
                    item = QTableWidgetItem(table.text(name, size))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if row is not None:
                        if not row.error:  # "12.3 µs", and "±40%" after an unsettled one
                            mark = spread_mark(row)
                            item.setText(f"{format_time(row.median_s, table.scale)} {table.unit}" + (f" {mark}" if mark else ""))
                        item.setToolTip(row.error or spread_text(row, table.unit, table.scale))
                        self._mark_change(item, changes.get(cell_key(row)), table.unit, table.scale)
                        if warning := shape_warning(row):
                            item.setToolTip(f"{item.toolTip()}\n{warning}")
                            self.table.verticalHeaderItem(r).setToolTip(warning)
                    if name == best:
                        item.setBackground(QBrush(BEST))
                    self.table.setItem(r, c, item)
        unsettled = any(r.noisy and r.median_s for r in self.rows)
        self.table_caption.setText(
            f"{table.mode}: median time per call" + ("; \u00b1N% marks an unsettled time: hover it for its spread" if unsettled else "")
            if table is not None else ""
        )
        self.table_caption.setToolTip(method_line(self.rows))
        self.table_caption.setVisible(bool(self.table_caption.text()))
        warnings = shape_warnings(self.rows)
        self.warnings_label.setText("\n".join(f"warning: {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))
        self._show_baseline(changes)
        self._draw_plots()

    def _draw_plots(self) -> None:
        names = list(dict.fromkeys(r.implementation for r in self.rows))
        baseline = {r.dims: r.median_s for r in self.rows if r.implementation == self.baseline.currentText() and r.median_s}
        for index, name in enumerate(names):
            timed = sorted((r.size, r.dims, r.median_s) for r in self.rows if r.implementation == name and r.median_s)
            sizes = np.array([s for s, _, _ in timed], dtype=float)
            times = np.array([t for _, _, t in timed], dtype=float)
            speedups = np.array([baseline[d] / t if d in baseline else np.nan for _, d, t in timed], dtype=float)
            color = implementation_color(name, index)
            for plot, key, ys in ((self.time_plot, "time", times), (self.speedup_plot, "speedup", speedups)):
                curve = self._curves.get((key, name))
                if curve is None:
                    curve = plot.plot(pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5, symbolBrush=color)
                    self._curves[(key, name)] = curve
                finite = np.isfinite(ys)
                curve.setData(sizes[finite], ys[finite])
        for key, name in [k for k in self._curves if k[1] not in names]:
            (self.time_plot if key == "time" else self.speedup_plot).removeItem(self._curves.pop((key, name)))
        self._show_legend([n for n in names if self.curve_data(n) is not None])
        self._show_placeholder()

    def speedup_missing(self) -> str:
        """Why the speed-up plot has no curve while the time plot has one; ``""`` when it has a curve (or nothing is timed)."""
        names = list(dict.fromkeys(r.implementation for r in self.rows))
        if not any(self.curve_data(n) is not None for n in names) or any(self.curve_data(n, "speedup") is not None for n in names):
            return ""
        baseline = self.baseline.currentText()
        if not baseline:
            return "no speed-up: choose a baseline to divide by"
        rows = [r for r in self.rows if r.implementation == baseline]
        if not rows:
            if self.cancel_button.isEnabled():
                return f"no speed-up yet: the baseline {baseline} has not been timed yet"
            notes = self.report.notes if self.report is not None else []
            why = next((n.split(" not timed: ", 1)[1] for n in notes if n.startswith(f"{baseline} not timed: ")), "")
            return f"no speed-up: the baseline {baseline} was not timed" + (f": {why}" if why else " in this run") + "; choose another baseline above"
        reasons = list(dict.fromkeys(r.error for r in rows if r.error))
        why = "; ".join(reasons) if reasons else "it has no time at the sizes the others have"
        return f"no speed-up: the baseline {baseline} was not timed: {why}; choose another baseline above"

    def _show_speedup_message(self, text: str) -> None:
        self.speedup_message.setPlainText(text)
        self.speedup_message.setVisible(bool(text))
        self._place_speedup_message()

    def _place_speedup_message(self, *_args) -> None:
        """Centred in the speed-up plot's view, wrapped to its width."""
        view = self.speedup_plot.vb.rect()
        self.speedup_message.setTextWidth(max(view.width() - 16, 40))
        height = self.speedup_message.boundingRect().height()
        self.speedup_message.setPos(view.left() + 8, view.top() + max((view.height() - height) / 2, 0))

    def _show_legend(self, names: list[str]) -> None:
        """One legend for both plots, in a row above them: the implementations with a time to show."""
        if names != self._legend_names:
            self._legend_names = names
            self._fit_legend(force=True)

    def _fit_legend(self, force: bool = False) -> None:
        """As many legend columns as the plots' width holds, so entries wrap instead of running off the side."""
        names = self._legend_names
        metrics = QFontMetrics(self._legend_font)
        room = self.plots_widget.width() - 20
        widest = max((metrics.horizontalAdvance(name) for name in names), default=0) + LEGEND_SAMPLE_WIDTH
        columns = max(1, min(len(names), int(room // widest)))
        # a name wider than the plots is cut short in the middle, its file name still in view
        labels = [metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, max(room - LEGEND_SAMPLE_WIDTH, 80)) for name in names]
        if not force and (columns, labels) == (self.legend.columnCount, self._legend_labels):
            return
        self._legend_labels = labels
        self.plots_widget.removeItem(self.legend)  # a new one: LegendItem re-lays out removed entries badly
        self.legend = pg.LegendItem(labelTextSize=f"{self._legend_font.pointSize()}pt", colCount=columns)
        self.plots_widget.addItem(self.legend, row=0, col=0, colspan=2)
        self.time_plot.legend = self.legend  # where pyqtgraph keeps a plot's legend; curves are added here by name, never by it
        for name, label in zip(names, labels):
            self.legend.addItem(self._curves[("time", name)], label)

    def clear(self, text: str = " ") -> None:
        """Forget the shown rows, report and explanations: they belonged to another file."""
        self.rows, self.why, self.report = [], [], None
        self._redraw()
        self._show_why()
        self.set_running(False, text)
        self._show_planned_cells()

    def curve_data(self, name: str, plot: str = "time") -> tuple[np.ndarray, np.ndarray] | None:
        """(sizes, values) plotted for implementation ``name``."""
        curve = self._curves.get((plot, name))
        if curve is None:
            return None
        x, y = curve.getOriginalDataset()  # getData() would be log10 of it on these log axes
        return None if x is None or len(x) == 0 else (x, y)

    def _show_why(self) -> None:
        self.why_pane.setVisible(bool(self.why))
        if not self.why:
            self.why_label.setText(" ")
            return
        report = self.report or BenchmarkReport("", list(self.rows), list(self.why), {})
        names = sorted({r.implementation for r in report.rows} | {w.implementation for w in self.why}, key=len, reverse=True)
        lines = []
        for line in why_lines(report):
            text = html.escape(line)
            name = next((n for n in names if line.startswith(f"{n}: ")), None)
            lines.append(f"<b>{html.escape(name)}</b>{text[len(html.escape(name)):]}" if name else text)
        heading = "Why: time = per-call overhead + elements × per-element cost, fitted over the sizes measured"
        self.why_label.setText(f"<p>{heading}</p>" + "<br>".join(lines))

    # -- files -------------------------------------------------------------
    def current_report(self) -> BenchmarkReport | None:
        if self.report is not None:
            return self.report
        if not self.rows:
            return None
        return BenchmarkReport("", list(self.rows), list(self.why), {})

    def export(self, path: str) -> None:
        """Write the rows as CSV, or the whole report (with its environment) as JSON, by extension."""
        report = self.current_report()
        if report is None:
            return
        if path.lower().endswith(".csv"):
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["implementation", "size", "mode", "device", "dtype", "median_s", "iqr_s", "runs", "noisy", "error", "shape"] + list(report.environment))
                for r in report.rows:
                    writer.writerow(
                        [r.implementation, r.size, r.mode, r.device, r.dtype, r.median_s, r.iqr_s, r.runs, r.noisy, r.error, "x".join(map(str, r.dims))]
                        + list(report.environment.values())
                    )
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(json_text(report.to_json()))  # strict: a NaN time is null

    def open_report(self, path: str) -> None:
        """Show a report saved by ``gradlab bench --out`` or by Export."""
        try:
            with open(path, encoding="utf-8") as handle:
                report = BenchmarkReport.from_json(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.status.setText(f"{path}: not a gradlab benchmark report ({exc})")
            return
        self.show_report(report)

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export benchmark", "benchmark.json", "JSON report (*.json);;CSV (*.csv)")
        if path:
            self.export(path)

    def _on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open benchmark report", "", "JSON report (*.json)")
        if path:
            self.open_report(path)

    # -- a baseline file to compare with -----------------------------------
    def load_baseline(self, path: str) -> bool:
        """Compare every cell with the baseline in ``path`` (``gradlab bench --save-baseline``, or a saved report).

        Returns False, saying why in the status line, when it cannot be read;
        the baseline shown before stays.
        """
        try:
            baseline = read_baseline(path)
        except ValueError as exc:
            self.status.setText(str(exc))
            return False
        self.baseline_report, self.baseline_path = baseline, path
        self.clear_baseline_button.setEnabled(True)
        self._redraw()
        return True

    def clear_baseline(self) -> None:
        """Stop comparing with the loaded baseline."""
        self.baseline_report, self.baseline_path = None, ""
        self.clear_baseline_button.setEnabled(False)
        self._redraw()

    def _on_load_baseline(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load benchmark baseline", "", "JSON baseline or report (*.json)")
        if path:
            self.load_baseline(path)

    def _baseline_changes(self) -> dict[tuple, CellChange]:
        """The shown rows' changes against the loaded baseline, by :func:`~gradlab.model.baseline.cell_key`."""
        if self.baseline_report is None:
            return {}
        changes = compare(BenchmarkReport("", self.rows, [], {}), self.baseline_report, BASELINE_THRESHOLD)
        return {c.key: c for c in changes}

    def _mark_change(self, item: QTableWidgetItem, change: CellChange | None, unit: str, scale: float) -> None:
        """``"137.6 µs (+12 %)"``, both medians in the tooltip, red when slower and green when faster beyond the noise."""
        if change is None or change.change is None:
            return
        percent = percent_text(change.change)
        item.setText(f"{item.text()} ({percent})")
        item.setToolTip(
            f"{item.toolTip()}\nbaseline median {format_time(change.old_s, scale)} {unit} ({os.path.basename(self.baseline_path)}),"
            f" now {format_time(change.new_s, scale)} {unit}: {percent}, noise \u00b1{100 * change.noise:.0f} %"
        )
        if change.status in (SLOWER, FASTER):
            item.setForeground(QBrush(SLOWER_TEXT if change.status == SLOWER else FASTER_TEXT))

    def _show_baseline(self, changes: dict[tuple, CellChange]) -> None:
        """Which file the baseline came from, how it was measured, and what changed."""
        baseline = self.baseline_report
        self.baseline_label.setVisible(baseline is not None)
        if baseline is None:
            self.baseline_label.setText(" ")
            self.baseline_label.setToolTip("")
            return
        env = baseline.environment
        threads = counted(env["threads"], "thread") if isinstance(env.get("threads"), int) else f"{env.get('threads', '?')} threads"
        text = (
            f"baseline: {os.path.basename(self.baseline_path)} \u2014 {baseline.function or '?'}, torch {env.get('torch', '?')},"
            f" {env.get('device_name', '?')}, {threads}, {env.get('dtype', '?')}"
        )
        if self.rows:
            text += f"\n{summary(list(changes.values()), BASELINE_THRESHOLD)} (red: slower, green: faster)"
        if self.report is not None:
            text += "".join(f"\nwarning: measured elsewhere \u2014 {line}" for line in environment_differences(env, self.report.environment))
        self.baseline_label.setText(text)
        self.baseline_label.setToolTip(self.baseline_path)


