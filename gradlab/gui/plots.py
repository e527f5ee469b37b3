"""The stacked f, f′, f″ plots with overlays, residuals, a crosshair and a tangent line.

Curve items are created once per label and updated with ``setData``; nothing
is cleared and re-plotted when new curves arrive.  Each plot's auto-range
keeps the y floor of :mod:`gradlab.model.y_range`, so round-off never fills a
plot; each derivative order has its own residual plot; legends sit in a row
above the data, never on it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from gradlab.gui.plot_parts import (
    AlignedAxis,
    FlooredViewBox,
    hand_written_pen,
    legend_above,
    reference_pen,
    residual_pen,
    set_title,
    tangent_pen,
    wrapped,
)
from gradlab.gui.style import TANGENT_COLOR
from gradlab.gui.svg_export import install as install_svg_export
from gradlab.gui.widgets import double_spin, int_spin, named
from gradlab.model.options import MAX_POINTS, MIN_POINTS
from gradlab.model.results import CurveSet, Residual
from gradlab.model.y_range import min_span, order_scales, residual_scale

install_svg_export()  # pyqtgraph's own SVG exporter fails with this PySide6

#: (objectName, Curve attribute, title) of each derivative plot.
PANELS = (("plotF", "f", "f"), ("plotDF", "df", "f\u2032"), ("plotD2F", "d2f", "f\u2033"))
#: (objectName, derivative order, title) of each residual plot: one y axis per order,
#: so a small f′ error is not flattened by a large f″ one.
RESIDUAL_PANELS = (
    ("plotResidual", 1, "f\u2032 residual: hand-written \u2212 reference"),
    ("plotResidual2", 2, "f\u2033 residual: hand-written \u2212 reference"),
)
#: A residual plot's title once it names its largest value (the legend says what is subtracted).
WORST_TITLE = "{symbol} residual   \u2014   {worst}"
HAND = "hand-written backward"
RESIDUAL_TITLE = RESIDUAL_PANELS[0][2]
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
        self._left_axes: list[AlignedAxis] = []
        for name, _attribute, title in PANELS:
            plot = _plot_widget(name, title, self._left_axes)
            if name == "plotF":  # one legend names every curve; the others share its colours
                legend_above(plot.getPlotItem())
            plot.getPlotItem().setClipToView(True)
            plot.setMinimumHeight(90)
            message = pg.TextItem("", color="#a00", anchor=(0.5, 0.5))
            message.hide()
            plot.addItem(message, ignoreBounds=True)
            self._unsupported[name] = message
            # the message stays in the middle of what is shown, through auto-range, pans and zooms
            plot.getViewBox().sigRangeChanged.connect(lambda *_args, name=name: self._center_unsupported(name))
            self.plots[name] = plot
            splitter.addWidget(plot)
        first = self.plots["plotF"]
        # both residual plots in one splitter pane: the splitter keeps its four panes (and a saved layout its meaning)
        self.residual_box = named(QWidget(), "residualPlots")
        box_layout = QVBoxLayout(self.residual_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(2)
        self.residual_plots: dict[int, pg.PlotWidget] = {}
        self._worst_markers: dict[int, pg.ScatterPlotItem] = {}
        self._worst_texts: dict[int, str] = {}
        for name, order, title in RESIDUAL_PANELS:
            residual = _plot_widget(name, title, self._left_axes)
            legend_above(residual.getPlotItem())
            residual.setMinimumHeight(80)
            marker = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#a00", width=2), brush=None, symbol="o")
            residual.addItem(marker, ignoreBounds=True)
            self.residual_plots[order] = residual
            self._worst_markers[order] = marker
            self._worst_texts[order] = ""
            box_layout.addWidget(residual)
        self.residual_plot = self.residual_plots[1]
        splitter.addWidget(self.residual_box)
        self._all_plots = {**self.plots, **{name: self.residual_plots[order] for name, order, _title in RESIDUAL_PANELS}}
        for plot in self._all_plots.values():
            if plot is not first:
                plot.setXLink(first)
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._crosshairs.append(line)
        # the tangent: thin, grey, with a dot where it touches f and a label, so it never reads as one more curve
        self._tangent = pg.PlotDataItem(pen=tangent_pen())
        self._tangent_dot = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush(TANGENT_COLOR))
        self._tangent_label = pg.TextItem("", color=TANGENT_COLOR, anchor=(0, 0))
        for item in (self._tangent, self._tangent_dot, self._tangent_label):
            first.addItem(item, ignoreBounds=True)
        self._tangent_label.setZValue(10)  # above every curve
        self._mouse_proxies = [
            pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=60, slot=lambda event, p=plot: self._on_mouse_moved(p, event[0]))
            for plot in self._all_plots.values()
        ]
        splitter.setSizes([3, 3, 3, 4])  # proportions: the residual pane holds two plots
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
            pen = reference_pen(reference.label, index)
            for name, attribute, _title in PANELS:
                self._set_curve(name, reference.label, curves.x, getattr(reference, attribute), pen)
            seen.add(reference.label)
        for label, box in self._overlay_boxes.items():
            box.setVisible(label in seen)
            if label not in seen:
                for name, _attribute, _title in PANELS:
                    self._set_curve(name, label, curves.x, None, None)
        hand = curves.hand_written
        pen = hand_written_pen()
        for name, attribute, title in PANELS:
            values = getattr(hand, attribute)
            self._set_curve(name, HAND, curves.x, values, pen)
            note = {"df": hand.df_note, "d2f": hand.d2f_note}.get(attribute, "")
            self._show_unsupported(name, "" if values is not None else f"hand-written {title} unavailable:\n{wrapped(note)}")
        self.plots["plotD2F"].getPlotItem().setLabel("bottom", curves.parameter)
        self._show_residuals(curves)
        self._set_y_floors(curves)
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
        for _name, order, title in RESIDUAL_PANELS:
            self._worst_markers[order].setData([], [])
            self._worst_texts[order] = ""
            set_title(self.residual_plots[order].getPlotItem(), title)
        self._hide_tangent()
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

    def tangent_label(self) -> str:
        """The text beside the tangent ("tangent at x = …, slope …"), or "" when no tangent is drawn."""
        return self._tangent_label.toPlainText() if self._tangent_label.isVisible() else ""

    def worst_residual_text(self, order: int = 1) -> str:
        """The largest |residual| of derivative ``order`` (1: f′, 2: f″) and where, as its plot's title says; "" if none."""
        return self._worst_texts[order]

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
        labels = {r.label for r in curves.residuals}
        for plot_name, label in list(self._items):
            if plot_name in RESIDUAL_NAMES and label not in labels:
                self._set_curve(plot_name, label, None, None, None)  # emptied and out of the legend
        references = [reference.label for reference in curves.references]
        for name, order, title in RESIDUAL_PANELS:
            shown = [r for r in curves.residuals if r.order == order]
            for index, residual in enumerate(shown):
                colour_index = references.index(residual.reference) if residual.reference in references else index
                self._set_curve(name, residual.label, curves.x, residual.values, residual_pen(residual.reference, colour_index))
            self._show_worst(order, title, shown)

    def _show_worst(self, order: int, title: str, residuals: list[Residual]) -> None:
        """Mark the largest |residual| of one order and name it in that plot's title."""
        marker, plot = self._worst_markers[order], self.residual_plots[order]
        primary, text = worst_residual(residuals)
        self._worst_texts[order] = text
        set_title(plot.getPlotItem(), WORST_TITLE.format(symbol=PANELS[order][2], worst=text) if text else title)
        if primary is None or not primary.max_abs > 0:
            marker.setData([], [])  # nothing to point at
        else:
            index = int(np.nanargmax(np.abs(primary.values)))
            marker.setData([primary.at], [primary.values[index]])

    def _set_y_floors(self, curves: CurveSet) -> None:
        """Give each plot the narrowest y range its values' scale allows (see :mod:`gradlab.model.y_range`)."""
        scales = order_scales(curves)
        for order, (name, _attribute, _title) in enumerate(PANELS):
            self.plots[name].getViewBox().set_min_y_span(min_span(scales[order]))
        for order, plot in self.residual_plots.items():
            plot.getViewBox().set_min_y_span(min_span(residual_scale(order, curves)))

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
            if plot_name in RESIDUAL_NAMES or label == HAND:
                continue
            box = self._overlay_boxes.get(label)
            item.setVisible(box is None or box.isChecked())

    def _on_residuals_toggled(self, checked: bool) -> None:
        self.residual_box.setVisible(checked)

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
        at = curves.x[i] if abs(curves.x[i]) > 1e-12 * abs(curves.x[-1] - curves.x[0]) else 0.0  # 0, not linspace's -6e-17
        parts = [f"{curves.parameter.split()[0]} = {at:.5g}"]
        for name, values in (("f", hand.f), ("f\u2032", hand.df), ("f\u2033", hand.d2f)):
            parts.append(f"{name} = {values[i]:.6g}" if values is not None else f"{name} = \u2014")
        self.readout.setText("   ".join(parts))
        if hand.f is not None and hand.df is not None and np.isfinite(hand.f[i]) and np.isfinite(hand.df[i]):
            self._show_tangent(curves.parameter.split()[0], at, hand.f[i], hand.df[i])
        else:
            self._hide_tangent()

    def _show_tangent(self, name: str, x: float, y: float, slope: float) -> None:
        """The tangent to f at (x, y), its dot, and its label beside the dot, inside the view, off the line where it can be."""
        view = self.plots["plotF"].getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        xs = np.array([x0, x1])
        self._tangent.setData(xs, y + slope * (xs - x))
        self._tangent_dot.setData([x], [y])
        label = self._tangent_label
        label.setText(f"tangent at {name} = {x:.4g}, slope {slope:.4g}")
        width, height = view.width(), view.height()
        point = ((x - x0) / (x1 - x0) * width, (y1 - y) / (y1 - y0) * height)
        text = label.boundingRect()
        left, top = _label_corner(point, (width, height), (text.width(), text.height()), slope)
        label.setPos(x0 + left / width * (x1 - x0), y1 - top / height * (y1 - y0))
        label.show()

    def _hide_tangent(self) -> None:
        self._tangent.setData([], [])
        self._tangent_dot.setData([], [])
        self._tangent_label.hide()


RESIDUAL_NAMES = tuple(name for name, _order, _title in RESIDUAL_PANELS)


def _plot_widget(name: str, title: str, axes: list[AlignedAxis]) -> pg.PlotWidget:
    """A named plot with a floored y auto-range, a light grid and a left axis as wide as the others in ``axes`` (x lines up)."""
    plot = named(pg.PlotWidget(viewBox=FlooredViewBox(), axisItems={"left": AlignedAxis(axes)}), name)
    set_title(plot.getPlotItem(), title)
    _light_grid(plot)
    return plot


def worst_residual(residuals: list[Residual]) -> tuple[Residual | None, str]:
    """The residual a title names (against autograd of forward, else the first) and its "largest |…| = … at …" text.

    ``(None, "")`` when there is none or its values are all NaN.
    """
    primary = next((r for r in residuals if r.reference == PRIMARY_REFERENCE), residuals[0] if residuals else None)
    if primary is None or not np.isfinite(primary.max_abs):
        return None, ""
    if primary.max_abs == 0:
        return primary, f"largest |{primary.label}| = 0 everywhere"
    return primary, f"largest |{primary.label}| = {primary.max_abs:.3g} at {primary.at:.4g}"


def _label_corner(
    point: tuple[float, float], view: tuple[float, float], text: tuple[float, float], slope: float, gap: float = 4
) -> tuple[float, float]:
    """Where a label of size ``text`` beside ``point`` goes: its top-left corner, in pixels from the view's top-left.

    One of the four quarters around the point, preferring one where the label fits (above
    all in height) and the tangent does not pass (a line of positive ``slope`` runs up-right,
    through the upper-right and lower-left quarters); then pushed inside the view if it still
    sticks out.
    """
    (px, py), (width, height), (w, h) = point, view, text
    corners = {
        "upper-left": (px - gap - w, py - gap - h),
        "upper-right": (px + gap, py - gap - h),
        "lower-left": (px - gap - w, py + gap),
        "lower-right": (px + gap, py + gap),
    }
    free = {"upper-left", "lower-right"} if slope >= 0 else {"upper-right", "lower-left"}

    def badness(name: str) -> tuple:
        x, y = corners[name]
        across, up = max(0.0, -x) + max(0.0, x + w - width), max(0.0, -y) + max(0.0, y + h - height)
        # pushed up or down it would cover the dot; pushed sideways it only slides along
        return up > 0, across > 0, name not in free, across + up

    x, y = corners[min(corners, key=badness)]
    return min(max(x, 0.0), max(width - w, 0.0)), min(max(y, 0.0), max(height - h, 0.0))


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
