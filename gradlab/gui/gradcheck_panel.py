"""The gradcheck panel: options, verdicts explained, Jacobian heatmaps, and the eps sweep."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradlab.model.options import FLOAT_DTYPES, CheckOptions, SweepOptions
from gradlab.model.results import CheckResult, EpsSweep, FunctionChecks, Jacobians, LintFinding, TaylorCheck
from gradlab.model.text_args import parse_shape

CHECK_HELP = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(CheckOptions)}
from gradlab.gui.heatmaps import JacobianHeatmaps, tolerance_text
from gradlab.gui.log_axis import log_axes
from gradlab.gui.log_spin import LogSpinBox
from gradlab.gui.placeholder import Placeholder
from gradlab.gui.svg_export import install as install_svg_export
from gradlab.gui.widgets import int_spin, named
from gradlab.model.transforms import TRANSFORMS

install_svg_export()  # pyqtgraph's own SVG exporter fails with this PySide6

VERDICT = {True: "pass", False: "FAIL", None: "not supported"}
VERDICT_COLOR = {True: "#1b7f2a", False: "#b00020", None: "#8a6d00"}
DTYPE_COLORS = {"float64": "#1f77b4", "float32": "#ff7f0e"}
TRANSFORM_COLOR = {"pass": "#1b7f2a", "fail": "#b00020", "unsupported": "#8a6d00", "error": "#b00020"}
SELECTED_ROW = "#d6e6fb"
TABLE_ROWS = 6  # rows shown before the table scrolls
TRANSFORMS_HINT = "tick \"transforms\" and run the checks: vmap, jvp, jacrev, jacfwd, hessian and torch.compile, each against autograd of the forward (compile adds about a second)"
RESULT_COLUMNS = ("check", "verdict", "max abs error", "max rel error", "where", "message")
WHERE, MESSAGE = RESULT_COLUMNS.index("where"), RESULT_COLUMNS.index("message")
JACOBIANS_EMPTY = "Run gradcheck to see the Jacobians: numerical, analytical (your backward) and their difference"
JACOBIANS_NONE = "The Jacobians are too large to show (or nothing requires grad)."
SWEEP_EMPTY = "Click \u201cSweep eps\u201d to plot gradcheck's largest error against eps, in float64 and float32"
SWEEP_INFO = "max |numerical \u2212 analytical| against eps: click the plot to use an eps"
TAYLOR_EMPTY = "Run gradcheck to see the Taylor test: the remainder against the step h, which needs no eps"
TAYLOR_INFO = "run the checks: the remainder |f(x+hv) \u2212 f(x) \u2212 h\u27e8\u2207f, v\u27e9| falls like h\u00b2 for a right gradient"


def _usable_eps(eps: float | None) -> bool:
    """Whether a sweep's best eps is one to offer: finite and positive (None: there is none)."""
    return eps is not None and bool(np.isfinite(eps)) and eps > 0


def _row_message(result: CheckResult) -> tuple[str, str]:
    """The message cell of a check row (first line, and the worst entry's numbers when it failed) and its tooltip."""
    numbers = result.worst.text() if result.passed is False and result.worst is not None else ""
    first = result.message.splitlines()[0] if result.message else ""
    cell = f"{first} {numbers}".strip()
    tooltip = "\n".join(part for part in (result.message, numbers, f"hint: {result.hint}" if result.hint else "") if part)
    return cell, tooltip


def _details(result: CheckResult) -> str:
    """One check explained as rich text: its verdict and message, its numbers at the worst entry, and what to do."""
    first = (result.message.splitlines()[0] if result.message else "").rstrip(",:; ")
    name, verdict, message = html.escape(result.name), VERDICT[result.passed], html.escape(first, quote=False)
    if first.lower().startswith(verdict.lower()):  # "not supported: …" says its verdict itself
        lines = [f"<b>{name}:</b> {message}"]
    else:
        lines = [f"<b>{name}: {verdict}</b> \u2014 {message}"]
    if result.passed is False and result.worst is not None:
        lines.append(html.escape(f"{result.name}: {result.worst.text()}", quote=False))
    elif result.worst_element:
        lines.append(html.escape(f"largest error at {result.worst_element}", quote=False))
    if result.hint:
        lines.append(f"<b>What to do:</b> {html.escape(result.hint, quote=False)}")
    return "<br>".join(lines)


def _taylor_line(taylor: TaylorCheck) -> str:
    """The Taylor test's verdict in one short line; its tab says the rest."""
    if taylor.passed is None:
        return taylor.summary()
    slope = f"remainder slope {taylor.slope:.2f}, 2 for a right gradient" if taylor.slope == taylor.slope else "remainder at round-off"
    return f"Taylor test: {'pass' if taylor.passed else 'FAIL'} ({slope}) \u2014 see its tab"


class _KeepColours(QStyledItemDelegate):
    """Draws a selected row's text in its own colour (a red FAIL stays red) on a light highlight."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        option.palette.setBrush(QPalette.ColorRole.HighlightedText, option.palette.brush(QPalette.ColorRole.Text))


def _first_to_explain(rows: list[CheckResult]) -> int | None:
    """The row to explain first: the first failure, else the first check that could not run, else none."""
    for wanted in (False, None):
        for index, result in enumerate(rows):
            if result.passed is wanted:
                return index
    return None


class GradcheckPanel(QWidget):
    """Controls and results of PyTorch's checks for the current Function.

    Signals
    -------
    run_requested(dict)
        Keyword arguments for a check request (eps, atol, rtol, dtype, shape, ...).
    sweep_requested(dict)
        Keyword arguments for an eps sweep (shape, seed).
    cancel_requested()
    line_requested(int)
        The user clicked a lint finding.
    """

    run_requested = Signal(object)
    sweep_requested = Signal(object)
    cancel_requested = Signal()
    line_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradcheckPanel")
        self.checks: FunctionChecks | None = None
        self.sweep: EpsSweep | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_controls())
        self.capabilities = named(QLabel(" "), "gradcheckCapabilities")
        self.capabilities.setWordWrap(True)
        layout.addWidget(self.capabilities)
        self.lint = named(QListWidget(), "gradcheckLint")
        self.lint.setMaximumHeight(70)
        self.lint.itemActivated.connect(self._on_lint_clicked)
        self.lint.itemClicked.connect(self._on_lint_clicked)
        layout.addWidget(self.lint)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_results())
        self.views = named(QTabWidget(), "gradcheckViews")
        self.views.addTab(self._build_jacobians(), "Jacobians")
        self.views.addTab(self._build_sweep(), "eps sweep")
        self.views.addTab(self._build_taylor(), "Taylor test")
        self.views.addTab(self._build_transforms(), "Transforms")
        self.splitter.addWidget(self.views)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        """Ask no more than the minimum: in the window's scroll area the panel then fits, and its plots take the rest."""
        return self.layout().totalMinimumHeightForWidth(width)

    # -- construction ----------------------------------------------------
    def _build_results(self) -> QWidget:
        """The verdict table, one short row per check, and the selected check's message and what to do under it, wrapped."""
        table = self.result = named(QTableWidget(0, len(RESULT_COLUMNS)), "gradcheckResult")
        table.setHorizontalHeaderLabels(RESULT_COLUMNS)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHERE, QHeaderView.ResizeMode.Stretch)
        table.setColumnHidden(MESSAGE, True)  # too long for a cell: shown whole in the details, for the selected row
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setWordWrap(True)
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setItemDelegate(_KeepColours(table))
        palette = table.palette()
        palette.setColor(QPalette.ColorRole.Highlight, QColor(SELECTED_ROW))
        table.setPalette(palette)
        table.setToolTip("click a check to read its message and what to do under the table")
        table.itemSelectionChanged.connect(self._update_details)
        self.details = named(QLabel(""), "gradcheckDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setFrameShape(QLabel.Shape.StyledPanel)
        self.details.setMargin(4)
        self.details.hide()
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(table)
        results_layout.addWidget(self.details)
        results_layout.addStretch(1)
        self._fit_table()
        return results

    def _build_controls(self) -> QGridLayout:
        d = CheckOptions()  # the defaults, defined once
        self.eps = named(LogSpinBox(d.eps, 1e-9, 1e-1), "epsSpin")
        self.atol = named(LogSpinBox(d.atol, 1e-12, 1.0), "atolSpin")
        self.rtol = named(LogSpinBox(d.rtol, 1e-12, 1.0), "rtolSpin")
        self.nondet_tol = named(LogSpinBox(d.nondet_tol, 0.0, 1.0), "nondetTolSpin")
        self.dtype = named(QComboBox(), "dtypeCombo")
        self.dtype.addItems(list(FLOAT_DTYPES))
        self.dtype.setCurrentText(d.dtype)
        self.shape = named(QLineEdit(", ".join(map(str, d.shape))), "shapeEdit")
        self.seed = int_spin("seedSpin", d.seed, 0, 2**31 - 1)
        self.fast_mode = named(QCheckBox("fast_mode"), "fastModeBox")
        self.fast_mode.setChecked(d.fast_mode)
        self.check_boxes = {}
        for key, label in (
            ("gradgradcheck", "gradgradcheck"),
            ("forward_ad", "forward AD (jvp)"),
            ("batched_grad", "batched grad (vmap)"),
            ("undefined_grad", "check_undefined_grad"),
            ("transforms", "transforms (vmap, jvp, jacrev, jacfwd, hessian, compile)"),
        ):
            box = named(QCheckBox(label), f"check_{key}")
            box.setChecked(getattr(d, key))
            box.setToolTip(CHECK_HELP[key])
            self.check_boxes[key] = box
        self.run_button = named(QPushButton("Run gradcheck"), "runGradcheck")
        self.cancel_button = named(QPushButton("Cancel"), "cancelGradcheck")
        self.cancel_button.setEnabled(False)
        self.progress = named(QProgressBar(), "gradcheckProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = named(QLabel(" "), "gradcheckStatus")
        self.run_button.clicked.connect(self._on_run)
        self.cancel_button.clicked.connect(self.cancel_requested)
        grid = QGridLayout()
        cells = [
            ("eps", self.eps), ("atol", self.atol), ("rtol", self.rtol), ("nondet_tol", self.nondet_tol),
            ("dtype", self.dtype), ("input shape", self.shape), ("seed", self.seed), ("", self.fast_mode),
        ]
        per_row = 3
        for index, (label, widget) in enumerate(cells):
            row, column = divmod(index, per_row)
            grid.addWidget(QLabel(label), row, 2 * column)
            grid.addWidget(widget, row, 2 * column + 1)
        checks = QGridLayout()
        checks.addWidget(QLabel("run gradcheck and:"), 0, 0, 1, 2)
        *pairs, last = self.check_boxes.values()
        for index, box in enumerate(pairs):
            checks.addWidget(box, 1 + index // 2, index % 2)
        checks.addWidget(last, 1 + len(pairs) // 2, 0, 1, 2)  # the long transforms label gets a row of its own
        checks.setColumnStretch(1, 1)
        grid.addLayout(checks, 3, 0, 1, 6)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        grid.addLayout(buttons, 4, 0, 1, 6)
        self.status.setWordWrap(True)
        grid.addWidget(self.status, 5, 0, 1, 6)
        return grid

    def _build_jacobians(self) -> QWidget:
        page, layout = _page()
        self._jacobians: Jacobians | None = None
        self._run_tolerance: tuple[float, float] | None = None
        self.heatmaps = JacobianHeatmaps()
        self.images = self.heatmaps.images
        self.heatmaps.scene().sigMouseClicked.connect(self._on_cell_clicked)
        self.heatmaps_view = Placeholder(self.heatmaps, JACOBIANS_EMPTY, "jacobianPlaceholder")
        self.cell_info = named(QLabel(""), "jacobianInfo")
        self.cell_info.setWordWrap(True)
        self.cell_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cell_info.hide()
        layout.addWidget(self.heatmaps_view, 1)
        layout.addWidget(self.cell_info)
        return page

    def _build_transforms(self) -> QWidget:
        """One row per transform: its verdict and why, with the details on hover."""
        page, layout = _page()
        self.transforms_info = named(QLabel(TRANSFORMS_HINT), "transformsInfo")
        self.transforms_info.setWordWrap(True)
        layout.addWidget(self.transforms_info)
        table = named(QTableWidget(len(TRANSFORMS), 2), "transformsTable")
        table.setHorizontalHeaderLabels(["verdict", "why"])
        table.setVerticalHeaderLabels(list(TRANSFORMS))
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # rows grow to their wrapped reason
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.transforms_table = table
        layout.addWidget(table, 1)
        return page

    def show_transforms(self, results: dict | None) -> None:
        """Fill the Transforms tab from a ``{name: TransformResult}`` (None: not run)."""
        for row, name in enumerate(TRANSFORMS):
            result = (results or {}).get(name)
            verdict = QTableWidgetItem("" if result is None else result.status)
            message = QTableWidgetItem("" if result is None else result.message)
            if result is not None:
                verdict.setForeground(pg.mkColor(TRANSFORM_COLOR[result.status]))
                tip = "\n".join(f"{key}: {value}" for key, value in result.detail.items())
                message.setToolTip(f"{result.message}\n\n{tip}" if tip else result.message)
            self.transforms_table.setItem(row, 0, verdict)
            self.transforms_table.setItem(row, 1, message)
        self.transforms_table.resizeRowsToContents()
        self.transforms_info.setText(TRANSFORMS_HINT if results is None else "each transform against the same transform of autograd of the forward; \"unsupported\" is PyTorch refusing it, not a failure")

    def transform_verdicts(self) -> dict[str, str]:
        """``{transform: verdict text}`` as the table shows it ("" when not run)."""
        return {name: (self.transforms_table.item(row, 0).text() if self.transforms_table.item(row, 0) else "") for row, name in enumerate(TRANSFORMS)}

    def _build_taylor(self) -> QWidget:
        """The Taylor test's remainder against h, log–log, with h and h² guides through its smallest step."""
        page, layout = _page()
        self.taylor_info = named(QLabel(TAYLOR_INFO), "taylorInfo")
        self.taylor_info.setWordWrap(True)
        layout.addWidget(self.taylor_info)
        self.taylor_plot = named(pg.PlotWidget(axisItems=log_axes()), "taylorPlot")
        self.taylor_plot.setLogMode(True, True)
        for side in ("bottom", "left"):
            self.taylor_plot.getAxis(side).enableAutoSIPrefix(False)
        self.taylor_plot.setLabel("bottom", "h")
        self.taylor_plot.setLabel("left", "remainder")
        self.taylor_plot.addLegend(offset=(10, 10))
        self.taylor_plot.showGrid(x=True, y=True, alpha=0.25)
        self._taylor_items = {
            "remainder": self.taylor_plot.plot(name="remainder (hand-written backward)", pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=5),
            "h2": self.taylor_plot.plot(name="slope 2 (right gradient)", pen=pg.mkPen("#2ca02c", style=Qt.PenStyle.DashLine)),
            "h1": self.taylor_plot.plot(name="slope 1 (wrong gradient)", pen=pg.mkPen("#d62728", style=Qt.PenStyle.DashLine)),
        }
        self.taylor_view = Placeholder(self.taylor_plot, TAYLOR_EMPTY, "taylorPlaceholder")
        layout.addWidget(self.taylor_view, 1)
        return page

    def show_taylor(self, taylor) -> None:
        """Plot the Taylor test's remainders (or clear the plot when ``taylor`` is None)."""
        hs = np.asarray(taylor.hs if taylor else [], dtype=float)
        rs = np.asarray(taylor.remainders if taylor else [], dtype=float)
        keep = np.isfinite(rs) & (rs > 0)
        self._taylor_items["remainder"].setData(hs[keep], rs[keep])
        if keep.any():
            h0, r0 = hs[keep][-1], rs[keep][-1]  # the guides meet the smallest step's remainder
            self._taylor_items["h2"].setData(hs[keep], r0 * (hs[keep] / h0) ** 2)
            self._taylor_items["h1"].setData(hs[keep], r0 * (hs[keep] / h0))
        else:
            for key in ("h2", "h1"):
                self._taylor_items[key].setData([], [])
        self.taylor_info.setText(taylor.summary() if taylor else TAYLOR_INFO)
        if keep.any():
            self.taylor_view.show_content()
        else:
            self.taylor_view.show_message(None if taylor is None else "The Taylor test has no remainder to plot: " + taylor.summary())

    def taylor_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        x, y = self._taylor_items["remainder"].getOriginalDataset()
        return None if x is None or len(x) == 0 else (x, y)

    def _build_sweep(self) -> QWidget:
        page, layout = _page()
        buttons = QHBoxLayout()
        self.sweep_button = named(QPushButton("Sweep eps"), "runEpsSweep")
        self.best_button = named(QPushButton("Use best eps"), "useBestEps")
        self.best_button.setEnabled(False)
        self.sweep_button.clicked.connect(self._on_sweep)
        self.best_button.clicked.connect(self._on_use_best)
        self.sweep_info = named(QLabel(SWEEP_INFO), "epsSweepInfo")
        buttons.addWidget(self.sweep_button)
        buttons.addWidget(self.best_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.sweep_info.setWordWrap(True)
        self.sweep_info.hide()  # until there is a sweep: the placeholder says what to do
        layout.addWidget(self.sweep_info)
        self.sweep_plot = named(pg.PlotWidget(axisItems=log_axes()), "epsSweepPlot")
        self.sweep_plot.setLogMode(True, True)
        for side in ("bottom", "left"):
            self.sweep_plot.getAxis(side).enableAutoSIPrefix(False)
        self.sweep_plot.setLabel("bottom", "eps")
        self.sweep_plot.setLabel("left", "largest error")  # the line above says which: |numerical − analytical|
        self.sweep_plot.addLegend(offset=(-10, 10))
        self.sweep_plot.showGrid(x=True, y=True, alpha=0.25)
        self.sweep_plot.scene().sigMouseClicked.connect(self._on_sweep_clicked)
        self._sweep_items: dict[str, tuple] = {}
        self.sweep_view = Placeholder(self.sweep_plot, SWEEP_EMPTY, "epsSweepPlaceholder")
        layout.addWidget(self.sweep_view, 1)
        return page

    # -- requests ----------------------------------------------------------
    def options(self) -> CheckOptions:
        """The check's options, as the controls say (ValueError for a shape that does not parse)."""
        return CheckOptions(**{
            "eps": self.eps.value(),
            "atol": self.atol.value(),
            "rtol": self.rtol.value(),
            "dtype": self.dtype.currentText(),
            "shape": parse_shape(self.shape.text()),
            "seed": self.seed.value(),
            "fast_mode": self.fast_mode.isChecked(),
            "nondet_tol": self.nondet_tol.value(),
            **{key: box.isChecked() for key, box in self.check_boxes.items()},
        })

    def _on_run(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self._run_tolerance = (options.atol, options.rtol)  # what the answer will have been judged by
        self.set_running(True, "running PyTorch's checks\u2026")
        self.run_requested.emit(options)

    def _on_sweep(self) -> None:
        try:
            shape = parse_shape(self.shape.text())
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.set_running(True, "sweeping eps\u2026")
        self.sweep_requested.emit(SweepOptions(shape=shape, seed=self.seed.value()))

    def set_running(self, running: bool, text: str = "") -> None:
        """Switch between running (cancel enabled, busy bar) and idle."""
        self.run_button.setEnabled(not running)
        self.sweep_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first progress report
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if text.startswith("done") else 0)
        self.status.setText(text)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    # -- results -----------------------------------------------------------
    def show_lint(self, findings: list[LintFinding]) -> None:
        """List the lint findings; clicking one goes to its line."""
        self.lint.clear()
        for finding in findings:
            item = QListWidgetItem(f"\u26a0 {finding}")
            item.setData(Qt.ItemDataRole.UserRole, finding.line)
            self.lint.addItem(item)
        self.lint.setVisible(bool(findings))

    def clear_results(self, text: str = " ") -> None:
        """Forget the shown verdicts, Jacobians and eps sweep: they belonged to another Function."""
        self.checks = None
        self.result.setRowCount(0)
        self._update_details()
        self._fit_results()
        self.capabilities.setText(" ")
        self.show_jacobians(None)
        self.heatmaps_view.show_message()
        self.sweep = None
        self.show_taylor(None)
        self.show_transforms(None)
        for curve, best, cube in self._sweep_items.values():
            curve.setData([], [])
            best.setVisible(False)
            cube.setVisible(False)
        self.best_button.setEnabled(False)
        self.sweep_info.setText(SWEEP_INFO)
        self.sweep_info.hide()  # the placeholder says what to do
        self.sweep_view.show_message()
        self.status.setText(text)

    def show_checks(self, checks: FunctionChecks) -> None:
        """One row per check, the capability line, and the Jacobians."""
        self.checks = checks
        done = f"done: {checks.function}, {checks.dtype}, eps={checks.eps:.3g}"
        warnings = "".join(f"\nwarning: {w}" for w in checks.captured.warnings)  # PyTorch's own, e.g. for float32
        self.set_running(False, done + warnings)
        self.result.setRowCount(len(checks.rows))
        for row, result in enumerate(checks.rows):
            self._set_row(row, result)
        first = _first_to_explain(checks.rows)
        self.result.clearSelection()
        if first is not None:
            self.result.selectRow(first)
        self._update_details()
        lines = [
            checks.capabilities.summary() if checks.capabilities else None,
            _taylor_line(checks.taylor) if checks.taylor else None,
            checks.opcheck.summary() if checks.opcheck else None,
        ]
        self.capabilities.setText("\n".join(line for line in lines if line) or " ")
        self.show_jacobians(checks.jacobians, self.check_tolerance())
        self.show_taylor(checks.taylor)
        self.show_transforms(checks.transforms)
        self._fit_results()

    def _set_row(self, row: int, result: CheckResult) -> None:
        def fmt(value):
            return "" if value is None else f"{value:.3g}"

        cell, message = _row_message(result)
        cells = (result.name, VERDICT[result.passed], fmt(result.max_abs_error), fmt(result.max_rel_error), result.worst_element, cell)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(message)
            if column == 1:
                item.setForeground(pg.mkColor(VERDICT_COLOR[result.passed]))
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.result.setItem(row, column, item)

    def verdicts(self) -> dict[str, str]:
        """What the result table says: check name → verdict text."""
        return {self.result.item(r, 0).text(): self.result.item(r, 1).text() for r in range(self.result.rowCount())}

    def row_text(self, name: str) -> str:
        """The whole row of check ``name``, as a person reads it."""
        for r in range(self.result.rowCount()):
            if self.result.item(r, 0).text() == name:
                return " | ".join(self.result.item(r, c).text() for c in range(self.result.columnCount())) + " | " + self.result.item(r, 5).toolTip()
        return ""

    def _update_details(self) -> None:
        """Explain the selected check under the table; hide the explanation when none is selected."""
        rows = self.checks.rows if self.checks is not None else []
        selected = self.result.selectionModel().selectedRows()
        index = selected[0].row() if selected else None
        text = _details(rows[index]) if index is not None and index < len(rows) else ""
        self.details.setText(text)
        self.details.setVisible(bool(text))
        if text:
            self._fit_results(shrink=False)

    def _fit_table(self) -> None:
        """Make the table as tall as its rows, up to :data:`TABLE_ROWS` of them; it scrolls beyond."""
        table = self.result
        table.resizeRowsToContents()
        heights = [table.rowHeight(r) for r in range(table.rowCount())]
        shown = sum(heights[:TABLE_ROWS]) if heights else table.verticalHeader().defaultSectionSize()
        table.setFixedHeight(shown + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth())

    def _fit_results(self, shrink: bool = True) -> None:
        """Give the splitter's top the height of the table and the details (at most half), the plots the rest.

        With ``shrink`` False the top only grows: a height the user dragged to stays when it is enough.
        """
        self._fit_table()
        results = self.splitter.widget(0)
        wanted = results.layout().totalHeightForWidth(max(results.width(), 1))
        top, bottom = self.splitter.sizes()
        total = top + bottom
        if total > 0 and (shrink or wanted > top):
            top = min(wanted, total // 2)
            self.splitter.setSizes([top, total - top])

    def check_tolerance(self) -> tuple[float, float]:
        """(atol, rtol) of the checks on screen: those of the last run requested, else the controls'."""
        return self._run_tolerance or (self.atol.value(), self.rtol.value())

    def show_jacobians(self, jacobians: Jacobians | None, tolerance: tuple[float, float] | None = None) -> None:
        """Heatmaps of both Jacobians and their difference, the largest mismatch boxed when beyond ``tolerance``.

        ``tolerance`` is gradcheck's (atol, rtol); None: unknown, the heatmaps' fallback (1e-3·max|numerical|).
        """
        self._jacobians = jacobians
        self.heatmaps.show_jacobians(jacobians, tolerance)
        if jacobians is None:
            self.heatmaps_view.show_message(JACOBIANS_NONE)
            self.cell_info.hide()
            return
        self.heatmaps_view.show_content()
        row, column = self.heatmaps.worst
        if self.heatmaps.within_tolerance:
            largest = f"{abs(jacobians.difference[row, column]):.2g}"
            text = (
                f"largest difference {largest} at d {jacobians.column_labels[column]} / d {jacobians.row_labels[row]}: "
                f"within gradcheck's tolerance ({tolerance_text(tolerance)})"
            )
        else:
            text = self.describe_cell(row, column, prefix="largest mismatch: ")
        self.cell_info.setText(text + "   \u2014 click a cell for its values")
        self.cell_info.show()

    def describe_cell(self, row: int, column: int, prefix: str = "") -> str:
        """Both values of one Jacobian entry and the input element it belongs to."""
        jac = self._jacobians
        return (
            f"{prefix}d {jac.column_labels[column]} / d {jac.row_labels[row]}: "
            f"numerical {jac.numerical[row, column]:.6g}, analytical {jac.analytical[row, column]:.6g}, "
            f"difference {jac.difference[row, column]:.3g}  (eps {jac.eps:.3g})"
        )

    def worst_cell(self) -> tuple[int, int] | None:
        """(row, column) boxed as the largest mismatch, or None (none shown, or every difference within tolerance)."""
        return None if self.heatmaps.within_tolerance else self.heatmaps.worst

    def _on_cell_clicked(self, event) -> None:
        cell = self.heatmaps.cell_at(event.scenePos())
        if cell is not None:
            self.cell_info.setText(self.describe_cell(*cell))

    def show_sweep(self, sweep: EpsSweep) -> None:
        """Max error against eps (log–log) per dtype, with the best eps and ε^(1/3) marked."""
        self.sweep = sweep
        self.sweep_view.show_content()
        self.sweep_info.show()
        self.set_running(False, f"done: eps sweep of {sweep.function}")
        for dtype, errors in sweep.errors.items():
            color = DTYPE_COLORS.get(dtype, "#555")
            if dtype not in self._sweep_items:
                curve = self.sweep_plot.plot(name=dtype, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=4, symbolBrush=color)
                best = pg.InfiniteLine(angle=90, pen=pg.mkPen(color, width=1.5))
                cube = pg.InfiniteLine(angle=90, pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
                for line in (best, cube):
                    self.sweep_plot.addItem(line, ignoreBounds=True)
                self._sweep_items[dtype] = (curve, best, cube)
            curve, best, cube = self._sweep_items[dtype]
            positive = np.where(errors > 0, errors, np.nan)
            curve.setData(sweep.eps, positive, connect="finite")
            found = _usable_eps(sweep.best.get(dtype))
            best.setVisible(found)  # no finite error anywhere, or not an eps problem: no best eps to mark
            if found:
                best.setPos(np.log10(sweep.best[dtype]))
            cube.setPos(np.log10(sweep.cube_root_machine_eps[dtype]))
            cube.setVisible(True)
        if sweep.reason:
            cube_roots = ", ".join(f"{d}: \u03b5^1/3 = {sweep.cube_root_machine_eps[d]:.2g}" for d in sweep.errors)
            self.sweep_info.setText(f"{sweep.reason}   \u2014 no best eps ({cube_roots}, dashed)")
        else:
            parts = [f"{d}: best eps {sweep.best[d]:.2g} (\u03b5^1/3 = {sweep.cube_root_machine_eps[d]:.2g})" for d in sweep.errors]
            self.sweep_info.setText("   ".join(parts) + "   \u2014 solid: best, dashed: \u03b5^1/3")
        self.best_button.setEnabled(self.best_eps() is not None)

    def best_eps(self) -> float | None:
        """The best eps of the sweep for the selected dtype (float64 when it was not swept); None when there is none."""
        if self.sweep is None:
            return None
        best = self.sweep.best.get(self.dtype.currentText(), self.sweep.best.get("float64"))
        return best if _usable_eps(best) else None

    def _on_use_best(self) -> None:
        best = self.best_eps()
        if best is not None:
            self.eps.setValue(min(max(best, self.eps.minimum()), self.eps.maximum()))

    def _on_sweep_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.modifiers() != Qt.KeyboardModifier.NoModifier:
            return  # the right button opens pyqtgraph's menu; it does not set eps
        if self.sweep is None or not self.sweep_plot.sceneBoundingRect().contains(event.scenePos()):
            return
        x = self.sweep_plot.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        self.eps.setValue(min(max(10**x, self.eps.minimum()), self.eps.maximum()))

    def show_failure(self, text: str) -> None:
        self.set_running(False, text)

    def _on_lint_clicked(self, item: QListWidgetItem) -> None:
        self.line_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))


def _page() -> tuple[QWidget, QVBoxLayout]:
    """A view tab's page and its margin-less column."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    return page, layout
