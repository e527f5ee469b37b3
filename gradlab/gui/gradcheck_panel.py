"""The gradcheck panel: options, verdicts explained, Jacobian heatmaps, and the eps sweep."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
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
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradlab.model.options import FLOAT_DTYPES, CheckOptions, SweepOptions
from gradlab.model.results import CheckResult, EpsSweep, FunctionChecks, Jacobians, LintFinding
from gradlab.model.text_args import parse_shape

CHECK_HELP = {f.name: f.metadata.get("help", "") for f in dataclasses.fields(CheckOptions)}
from gradlab.gui.log_axis import log_axes
from gradlab.gui.log_spin import LogSpinBox
from gradlab.gui.svg_export import install as install_svg_export
from gradlab.gui.widgets import int_spin, named
from gradlab.model.transforms import TRANSFORMS

install_svg_export()  # pyqtgraph's own SVG exporter fails with this PySide6

VERDICT = {True: "pass", False: "FAIL", None: "not supported"}
VERDICT_COLOR = {True: "#1b7f2a", False: "#b00020", None: "#8a6d00"}
DTYPE_COLORS = {"float64": "#1f77b4", "float32": "#ff7f0e"}
TRANSFORM_COLOR = {"pass": "#1b7f2a", "fail": "#b00020", "unsupported": "#8a6d00", "error": "#b00020"}
TRANSFORMS_HINT = "tick \"transforms\" and run the checks: vmap, jvp, jacrev, jacfwd, hessian and torch.compile, each against autograd of the forward (compile adds about a second)"
RESULT_COLUMNS = ("check", "verdict", "max abs error", "max rel error", "where", "message")



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


def _details(rows: list[CheckResult]) -> str:
    """Each failed check's numbers at its worst entry and its hint, a line each."""
    lines = []
    for result in rows:
        if result.passed is False:
            if result.worst is not None:
                lines.append(f"{result.name}: {result.worst.text()}")
            if result.hint:
                lines.append(f"{result.name} hint: {result.hint}")
    return "\n".join(lines) or " "


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
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.result = named(QTableWidget(0, len(RESULT_COLUMNS)), "gradcheckResult")
        self.result.setHorizontalHeaderLabels(RESULT_COLUMNS)
        self.result.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.result.horizontalHeader().setStretchLastSection(True)
        self.result.verticalHeader().hide()
        self.result.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.details = named(QLabel(" "), "gradcheckDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.result, 1)
        results_layout.addWidget(self.details)
        splitter.addWidget(results)
        self.views = named(QTabWidget(), "gradcheckViews")
        self.views.addTab(self._build_jacobians(), "Jacobians")
        self.views.addTab(self._build_sweep(), "eps sweep")
        self.views.addTab(self._build_taylor(), "Taylor test")
        self.views.addTab(self._build_transforms(), "Transforms")
        splitter.addWidget(self.views)
        splitter.setSizes([160, 400])
        layout.addWidget(splitter, 1)

    # -- construction ----------------------------------------------------
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
        checks.addWidget(QLabel("run gradcheck and:"), 0, 0)
        for index, box in enumerate(self.check_boxes.values()):
            checks.addWidget(box, index // 2, 1 + index % 2)
        checks.setColumnStretch(3, 1)
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
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heatmaps = named(pg.GraphicsLayoutWidget(), "jacobianHeatmaps")
        self.heatmaps.setMinimumWidth(200)
        self.images: dict[str, pg.ImageItem] = {}
        self._views: dict[str, pg.ViewBox] = {}
        for column, (key, title) in enumerate((("numerical", "numerical"), ("analytical", "analytical (backward)"), ("difference", "analytical \u2212 numerical"))):
            plot = self.heatmaps.addPlot(row=0, col=column, title=title)
            plot.invertY(True)
            plot.setAspectLocked(False)
            plot.hideAxis("bottom")
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.images[key] = image
            self._views[key] = plot
        self._shared_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self._shared_bar.setImageItem([self.images["numerical"], self.images["analytical"]])
        self.heatmaps.addItem(self._shared_bar, row=0, col=3)
        self._difference_bar = pg.ColorBarItem(colorMap=pg.colormap.get("CET-D1"), interactive=False, width=12)
        self._difference_bar.setImageItem(self.images["difference"])
        self.heatmaps.addItem(self._difference_bar, row=0, col=4)
        self._worst_box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self._worst_box.setPen(pg.mkPen("#ff0000", width=2))
        self._worst_box.hide()
        self._views["difference"].addItem(self._worst_box)
        self.heatmaps.scene().sigMouseClicked.connect(self._on_cell_clicked)
        self.cell_info = named(QLabel("Run gradcheck to see its Jacobians; click a cell for its values."), "jacobianInfo")
        self.cell_info.setWordWrap(True)
        self.cell_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heatmaps, 1)
        layout.addWidget(self.cell_info)
        return page

    def _build_transforms(self) -> QWidget:
        """One row per transform: its verdict and why, with the details on hover."""
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.transforms_info = named(QLabel(TRANSFORMS_HINT), "transformsInfo")
        self.transforms_info.setWordWrap(True)
        layout.addWidget(self.transforms_info)
        table = named(QTableWidget(len(TRANSFORMS), 2), "transformsTable")
        table.setHorizontalHeaderLabels(["verdict", "why"])
        table.setVerticalHeaderLabels(list(TRANSFORMS))
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
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
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.taylor_info = named(QLabel("run the checks: the remainder |f(x+hv) − f(x) − h⟨∇f, v⟩| falls like h² for a right gradient"), "taylorInfo")
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
        layout.addWidget(self.taylor_plot, 1)
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
        self.taylor_info.setText(taylor.summary() if taylor else "run the checks: the remainder falls like h\u00b2 for a right gradient")

    def taylor_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        x, y = self._taylor_items["remainder"].getOriginalDataset()
        return None if x is None or len(x) == 0 else (x, y)

    def _build_sweep(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.sweep_button = named(QPushButton("Sweep eps"), "runEpsSweep")
        self.best_button = named(QPushButton("Use best eps"), "useBestEps")
        self.best_button.setEnabled(False)
        self.sweep_button.clicked.connect(self._on_sweep)
        self.best_button.clicked.connect(self._on_use_best)
        self.sweep_info = named(QLabel("max |numerical \u2212 analytical| against eps: click the plot to use an eps"), "epsSweepInfo")
        buttons.addWidget(self.sweep_button)
        buttons.addWidget(self.best_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.sweep_info.setWordWrap(True)
        layout.addWidget(self.sweep_info)
        self.sweep_plot = named(pg.PlotWidget(axisItems=log_axes()), "epsSweepPlot")
        self.sweep_plot.setLogMode(True, True)
        for side in ("bottom", "left"):
            self.sweep_plot.getAxis(side).enableAutoSIPrefix(False)
        self.sweep_plot.setLabel("bottom", "eps")
        self.sweep_plot.setLabel("left", "max |numerical \u2212 analytical|")
        self.sweep_plot.addLegend(offset=(-10, 10))
        self.sweep_plot.showGrid(x=True, y=True, alpha=0.25)
        self.sweep_plot.scene().sigMouseClicked.connect(self._on_sweep_clicked)
        self._sweep_items: dict[str, tuple] = {}
        layout.addWidget(self.sweep_plot, 1)
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
        self.details.setText(" ")
        self.capabilities.setText(" ")
        self.show_jacobians(None)
        self.cell_info.setText(" ")
        self.sweep = None
        self.show_taylor(None)
        self.show_transforms(None)
        for curve, best, cube in self._sweep_items.values():
            curve.setData([], [])
            best.setVisible(False)
            cube.setVisible(False)
        self.best_button.setEnabled(False)
        self.sweep_info.setText("max |numerical \u2212 analytical| against eps: click the plot to use an eps")
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
        self.details.setText(_details(checks.rows))
        lines = [item.summary() for item in (checks.capabilities, checks.taylor, checks.opcheck) if item is not None]
        self.capabilities.setText("\n".join(lines) or " ")
        self.show_jacobians(checks.jacobians)
        self.show_taylor(checks.taylor)
        self.show_transforms(checks.transforms)

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

    def show_jacobians(self, jacobians: Jacobians | None) -> None:
        """Heatmaps of both Jacobians and their difference, the largest mismatch boxed."""
        self._jacobians = jacobians
        if jacobians is None:
            for image in self.images.values():
                image.clear()
            self._worst_box.hide()
            self.cell_info.setText("The Jacobians are too large to show (or nothing requires grad).")
            return
        both = np.concatenate([jacobians.numerical.ravel(), jacobians.analytical.ravel()])
        finite = both[np.isfinite(both)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        high = high if high > low else low + 1.0
        self.images["numerical"].setImage(jacobians.numerical, autoLevels=False)
        self.images["analytical"].setImage(jacobians.analytical, autoLevels=False)
        self._shared_bar.setLevels((low, high))
        difference = jacobians.difference
        bound = float(np.nanmax(np.abs(difference))) if np.isfinite(difference).any() else 1.0
        bound = bound if bound > 0 else 1e-300
        self.images["difference"].setImage(difference, autoLevels=False)
        self._difference_bar.setLevels((-bound, bound))
        row, column = jacobians.worst()
        self._worst_box.setRect(column, row, 1, 1)
        self._worst_box.show()
        self.cell_info.setText(self.describe_cell(row, column, prefix="largest mismatch: "))

    def describe_cell(self, row: int, column: int, prefix: str = "") -> str:
        """Both values of one Jacobian entry and the input element it belongs to."""
        jac = self._jacobians
        return (
            f"{prefix}d {jac.column_labels[column]} / d {jac.row_labels[row]}: "
            f"numerical {jac.numerical[row, column]:.6g}, analytical {jac.analytical[row, column]:.6g}, "
            f"difference {jac.difference[row, column]:.3g}  (eps {jac.eps:.3g})"
        )

    def worst_cell(self) -> tuple[int, int] | None:
        """(row, column) boxed as the largest mismatch, or None."""
        if not self._worst_box.isVisible():
            return None
        rect = self._worst_box.rect()
        return int(rect.y()), int(rect.x())

    def _on_cell_clicked(self, event) -> None:
        if getattr(self, "_jacobians", None) is None:
            return
        rows, columns = self._jacobians.numerical.shape
        for key, image in self.images.items():
            if not self._views[key].getViewBox().sceneBoundingRect().contains(event.scenePos()):
                continue  # a zoomed neighbour's image can extend under this click
            position = image.mapFromScene(event.scenePos())
            column, row = int(np.floor(position.x())), int(np.floor(position.y()))
            if 0 <= row < rows and 0 <= column < columns:
                self.cell_info.setText(self.describe_cell(row, column))
                return

    def show_sweep(self, sweep: EpsSweep) -> None:
        """Max error against eps (log–log) per dtype, with the best eps and ε^(1/3) marked."""
        self.sweep = sweep
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
