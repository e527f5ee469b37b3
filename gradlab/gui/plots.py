"""The stacked f, f′, f″ plots with overlays, residuals, a crosshair and a tangent line.

Curve items are created once per label and updated with ``setData``; nothing
is cleared and re-plotted when new curves arrive.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from gradlab.gui.style import HAND_WRITTEN_COLOR, reference_color
from gradlab.gui.svg_export import install as install_svg_export
from gradlab.gui.widgets import double_spin, int_spin, named
from gradlab.model.options import MAX_POINTS, MIN_POINTS
from gradlab.model.results import CurveSet

install_svg_export()  # pyqtgraph's own SVG exporter fails with this PySide6

#: (objectName, Curve attribute, title) of each derivative plot.
PANELS = (("plotF", "f", "f"), ("plotDF", "df", "f\u2032"), ("plotD2F", "d2f", "f\u2033"))
HAND = "hand-written backward"
RESIDUAL_TITLE = "residual: hand-written \u2212 reference"
PRIMARY_REFERENCE = "autograd of forward"


class PlotPanel(QWidget):
    """f, f′, f″ and the residual view, with domain and point-count controls.

    Signals
    -------
    range_changed()
        The user edited the domain or the number of points.
    """

    range_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, background="w", foreground="k")
        self._items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._overlay_boxes: dict[str, QCheckBox] = {}
        self._curves: CurveSet | None = None
        self._kink_lines: list = []
        self._build_controls()
        self._build_plots()

    # -- construction ----------------------------------------------------
    def _build_controls(self) -> None:
        self.domain_low = double_spin("domainLow", -5.0, step=0.5)
        self.domain_high = double_spin("domainHigh", 5.0, step=0.5)
        self.points = int_spin("pointsSpin", 1001, MIN_POINTS, MAX_POINTS, step=100)
        self.residuals_box = named(QCheckBox("residuals"), "showResiduals")
        self.residuals_box.setChecked(True)
        for widget in (self.domain_low, self.domain_high, self.points):
            widget.valueChanged.connect(self._on_range_edited)
        self.residuals_box.toggled.connect(self._on_residuals_toggled)
        self._overlay_row = QHBoxLayout()
        self._overlay_row.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("x from"))
        controls.addWidget(self.domain_low)
        controls.addWidget(QLabel("to"))
        controls.addWidget(self.domain_high)
        controls.addWidget(QLabel("points"))
        controls.addWidget(self.points)
        controls.addStretch(1)
        controls.addWidget(self.residuals_box)
        self.notes = named(QLabel(), "plotNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #a15c00")
        self.notes.hide()
        self._pointer = None  # (plot, scene position) of the last mouse move over a plot
        self.readout = named(QLabel(" "), "crosshairReadout")
        self.stamp = named(QLabel(" "), "plotStamp")  # whose curves these are: file, Function, revision
        self.stamp.setStyleSheet("color: #555")
        self.stamp.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # a long name never widens the panel
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.stamp)
        overlays = QHBoxLayout()
        overlays.addWidget(QLabel("overlays:"))
        overlays.addLayout(self._overlay_row)
        overlays.addStretch(1)
        layout.addLayout(overlays)
        layout.addWidget(self.notes)
        self._layout = layout

    def _build_plots(self) -> None:
        splitter = named(QSplitter(Qt.Orientation.Vertical), "plotSplitter")
        self.plots: dict[str, pg.PlotWidget] = {}
        self._unsupported: dict[str, pg.TextItem] = {}
        self._crosshairs: list[pg.InfiniteLine] = []
        first = None
        for name, _attribute, title in PANELS:
            plot = named(pg.PlotWidget(), name)
            plot.setTitle(title)
            _light_grid(plot)
            if name == "plotF":  # one legend names every curve; the others share its colours
                plot.addLegend(offset=(-10, 5), labelTextSize="8pt")
            plot.getPlotItem().setClipToView(True)
            plot.setMinimumHeight(90)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            message = pg.TextItem("", color="#a00", anchor=(0.5, 0.5))
            message.hide()
            plot.addItem(message, ignoreBounds=True)
            self._unsupported[name] = message
            # the message stays in the middle of what is shown, through auto-range, pans and zooms
            plot.getViewBox().sigRangeChanged.connect(lambda *_args, name=name: self._center_unsupported(name))
            self.plots[name] = plot
            splitter.addWidget(plot)
        residual = named(pg.PlotWidget(), "plotResidual")
        residual.setTitle(RESIDUAL_TITLE)
        _light_grid(residual)
        residual.addLegend(offset=(-10, 5), labelTextSize="8pt")
        residual.setXLink(first)
        residual.setMinimumHeight(80)
        self.residual_plot = residual
        self._worst_marker = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#a00", width=2), brush=None, symbol="o")
        self._worst_text = ""
        residual.addItem(self._worst_marker, ignoreBounds=True)
        splitter.addWidget(residual)
        self._all_plots = {**self.plots, "plotResidual": residual}
        for plot in self._all_plots.values():
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._crosshairs.append(line)
        self._tangent = pg.PlotDataItem(pen=pg.mkPen("#e377c2", width=1.5, style=Qt.PenStyle.DashDotLine))
        self.plots["plotF"].addItem(self._tangent, ignoreBounds=True)
        self._mouse_proxies = [
            pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=60, slot=lambda event, p=plot: self._on_mouse_moved(p, event[0]))
            for plot in self._all_plots.values()
        ]
        self.splitter = splitter
        self._layout.addWidget(splitter, 1)
        self._layout.addWidget(self.readout)

    # -- public API ------------------------------------------------------
    def set_range(self, low: float, high: float, points: int | None = None) -> None:
        """Show a domain (and point count) without emitting ``range_changed``."""
        for widget, value in ((self.domain_low, low), (self.domain_high, high), (self.points, points)):
            if value is not None:
                widget.blockSignals(True)
                widget.setValue(value)
                widget.blockSignals(False)

    def domain(self) -> tuple[float, float]:
        return self.domain_low.value(), self.domain_high.value()

    def show_curves(self, curves: CurveSet) -> None:
        """Update every curve item from ``curves`` (missing ones are emptied, not removed).

        Every array is checked against the grid first, so bad data is refused
        before any item changes.
        """
        _check_shapes(curves)
        self._curves = curves
        seen = set()
        for index, reference in enumerate(curves.references):
            self._ensure_overlay(reference.label)
            color = reference_color(reference.label, index)
            pen = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
            for name, attribute, _title in PANELS:
                self._set_curve(name, reference.label, curves.x, getattr(reference, attribute), pen)
            seen.add(reference.label)
        for label, box in self._overlay_boxes.items():
            box.setVisible(label in seen)
            if label not in seen:
                for name, _attribute, _title in PANELS:
                    self._set_curve(name, label, curves.x, None, None)
        hand = curves.hand_written
        pen = pg.mkPen(HAND_WRITTEN_COLOR, width=2.5)
        for name, attribute, title in PANELS:
            values = getattr(hand, attribute)
            self._set_curve(name, HAND, curves.x, values, pen)
            note = {"df": hand.df_note, "d2f": hand.d2f_note}.get(attribute, "")
            self._show_unsupported(name, "" if values is not None else f"hand-written {title} unavailable:\n{_wrap(note)}")
        self.plots["plotD2F"].getPlotItem().setLabel("bottom", curves.parameter)
        self._show_residuals(curves)
        self._show_kinks(curves.kinks)
        notes = list(curves.notes)
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._apply_overlay_visibility()
        if self._pointer is not None:
            self._on_mouse_moved(*self._pointer)  # the readout and tangent follow the new curves, not the old

    def _show_kinks(self, kinks: list[float]) -> None:
        """A dotted vertical line at each kink, in every plot: finite differences mean nothing there."""
        for plot, line in self._kink_lines:
            plot.removeItem(line)
        self._kink_lines = []
        for x in kinks:
            for plot in self._all_plots.values():
                line = pg.InfiniteLine(pos=x, angle=90, movable=False, pen=pg.mkPen("#a00", width=1, style=Qt.PenStyle.DotLine))
                line.setToolTip(f"kink at {x:.4g}: f is not differentiable here")
                plot.addItem(line, ignoreBounds=True)
                self._kink_lines.append((plot, line))

    def kinks_shown(self) -> list[float]:
        """The x of each kink line (one per kink)."""
        return sorted({line.value() for _plot, line in self._kink_lines})

    def clear(self, message: str = "") -> None:
        """Show no curves (they belonged to another file), with ``message`` where f would be."""
        self._curves = None
        self._show_kinks([])
        for plot_name, label in list(self._items):
            self._set_curve(plot_name, label, None, None, None)  # emptied and out of the legend
        for box in self._overlay_boxes.values():
            box.setVisible(False)
        self._worst_marker.setData([], [])
        self._worst_text = ""
        self._tangent.setData([], [])
        self.residual_plot.setTitle(RESIDUAL_TITLE)
        self.notes.hide()
        self.readout.setText(" ")
        for name in self.plots:
            self._show_unsupported(name, message if name == "plotF" else "")
        self.stamp.setText(message or " ")

    def curves(self) -> CurveSet | None:
        """The curves on screen, or None."""
        return self._curves

    def curve_data(self, plot_name: str, label: str = HAND) -> tuple[np.ndarray, np.ndarray] | None:
        """The (x, y) a plot shows for ``label``, or None when that curve is empty or hidden."""
        item = self._items.get((plot_name, label))
        if item is None or not item.isVisible():
            return None
        x, y = item.getOriginalDataset()
        return None if x is None or len(x) == 0 else (x, y)

    def unsupported_message(self, plot_name: str) -> str:
        """The reason text shown in a plot instead of the hand-written curve ("" if none)."""
        item = self._unsupported[plot_name]
        return item.toPlainText() if item.isVisible() else ""

    def tangent_data(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """The two end points of the tangent line drawn at the cursor in the f plot."""
        return self._tangent.getData()

    def worst_residual_text(self) -> str:
        return self._worst_text

    # -- internals -------------------------------------------------------
    def _set_curve(self, plot_name: str, label: str, x, values, pen) -> None:
        key = (plot_name, label)
        item = self._items.get(key)
        legend = self._all_plots[plot_name].getPlotItem().legend
        if values is None:
            if item is not None:
                item.setData([], [])
                if legend is not None:
                    legend.removeItem(item)  # an emptied curve leaves the legend too
            return
        if item is None:
            # Antialias the hand-written curve only: smooth where the eye is, cheap elsewhere.
            item = self._all_plots[plot_name].plot(name=label, pen=pen, connect="finite", antialias=label == HAND)
            item.setDownsampling(auto=True, method="peak")
            self._items[key] = item
        else:
            if pen is not None:
                item.setPen(pen)
            if legend is not None and legend.getLabel(item) is None:
                legend.addItem(item, label)  # back after being emptied
        item.setData(x, values, connect="finite")

    def _show_unsupported(self, plot_name: str, text: str) -> None:
        item = self._unsupported[plot_name]
        item.setText(text)
        item.setVisible(bool(text))
        self._center_unsupported(plot_name)

    def _center_unsupported(self, plot_name: str) -> None:
        item = self._unsupported[plot_name]
        if item.isVisible():
            (x0, x1), (y0, y1) = self.plots[plot_name].getViewBox().viewRange()
            item.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    def _show_residuals(self, curves: CurveSet) -> None:
        shown = [r for r in curves.residuals if r.order == 1] + [r for r in curves.residuals if r.order == 2]
        for index, residual in enumerate(shown):
            color = reference_color(residual.reference, index)
            style = Qt.PenStyle.SolidLine if residual.order == 1 else Qt.PenStyle.DotLine
            self._set_curve("plotResidual", residual.label, curves.x, residual.values, pg.mkPen(color, width=1.5, style=style))
        labels = {r.label for r in shown}
        for (plot_name, label), item in self._items.items():
            if plot_name == "plotResidual" and label not in labels:
                item.setData([], [])
        primary = next((r for r in shown if r.order == 1 and r.reference == PRIMARY_REFERENCE), shown[0] if shown else None)
        if primary is None or not np.isfinite(primary.max_abs):
            self._worst_marker.setData([], [])
            self._worst_text = ""
            self.residual_plot.setTitle(RESIDUAL_TITLE)
            return
        index = int(np.nanargmax(np.abs(primary.values)))
        self._worst_marker.setData([primary.at], [primary.values[index]])
        self._worst_text = f"largest |{primary.label}| = {primary.max_abs:.3g} at {primary.at:.4g}"
        self.residual_plot.setTitle(f"{RESIDUAL_TITLE}   \u2014   {self._worst_text}", size="9pt")

    def _ensure_overlay(self, label: str) -> None:
        if label in self._overlay_boxes:
            return
        box = QCheckBox(label)
        box.setChecked(True)
        box.setObjectName(f"overlay:{label}")
        box.toggled.connect(self._apply_overlay_visibility)
        self._overlay_boxes[label] = box
        self._overlay_row.addWidget(box)

    def overlay_box(self, label: str) -> QCheckBox:
        """The check box that shows or hides the reference ``label``."""
        return self._overlay_boxes[label]

    def _apply_overlay_visibility(self) -> None:
        for (plot_name, label), item in self._items.items():
            if plot_name == "plotResidual" or label == HAND:
                continue
            box = self._overlay_boxes.get(label)
            item.setVisible(box is None or box.isChecked())

    def _on_residuals_toggled(self, checked: bool) -> None:
        self.residual_plot.setVisible(checked)

    def _on_range_edited(self) -> None:
        if self.domain_low.value() < self.domain_high.value():
            self.range_changed.emit()

    def _on_mouse_moved(self, plot: pg.PlotWidget, position) -> None:
        curves = self._curves
        if curves is None or not plot.sceneBoundingRect().contains(position):
            return
        self._pointer = (plot, position)
        x = plot.getPlotItem().vb.mapSceneToView(position).x()
        for line in self._crosshairs:
            line.setPos(x)
            line.show()
        i = int(np.clip(np.searchsorted(curves.x, x), 1, len(curves.x) - 1))
        if abs(x - curves.x[i - 1]) <= abs(curves.x[i] - x):
            i -= 1  # the nearest grid point, not the next one to the right
        hand = curves.hand_written
        parts = [f"{curves.parameter.split()[0]} = {curves.x[i]:.5g}"]
        for name, values in (("f", hand.f), ("f\u2032", hand.df), ("f\u2033", hand.d2f)):
            parts.append(f"{name} = {values[i]:.6g}" if values is not None else f"{name} = \u2014")
        self.readout.setText("   ".join(parts))
        if hand.f is not None and hand.df is not None and np.isfinite(hand.f[i]) and np.isfinite(hand.df[i]):
            (x0, x1), _ = plot.getPlotItem().vb.viewRange()
            xs = np.array([x0, x1])
            self._tangent.setData(xs, hand.f[i] + hand.df[i] * (xs - curves.x[i]))
        else:
            self._tangent.setData([], [])


def _check_shapes(curves: CurveSet) -> None:
    """Raise ValueError, before anything is drawn, if any curve does not match the grid."""
    n = len(curves.x)
    arrays = [(c.label, name, getattr(c, name)) for c in [curves.hand_written, *curves.references] for name in ("f", "df", "d2f")]
    arrays += [(r.label, "residual", r.values) for r in curves.residuals]
    for label, name, values in arrays:
        if values is not None and np.shape(values) != (n,):
            raise ValueError(f"{label} {name} has shape {np.shape(values)}, the grid has {n} points")


def _light_grid(plot: pg.PlotWidget) -> None:
    """A grid on major ticks only: minor grid lines cost most of a plot's repaint."""
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(maxTickLevel=0)
    plot.showGrid(x=True, y=True, alpha=0.25)


def _wrap(text: str, width: int = 60) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
