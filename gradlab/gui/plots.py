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
    no_si_prefix,
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
        self._tangent_text = ""  # what the tangent label says, in the plot or, where every place there is on data, the readout
        self._tangent_in_readout = False
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
        self.domain_label = named(QLabel("x from"), "domainLabel")  # names the swept argument once curves arrive
        controls.addWidget(self.domain_label)
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
            plot.setMinimumHeight(125 if name == "plotF" else 90)  # f's legend row is not taken from its data
            self._add_message(name, plot, "#a00")
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
            if order == 1:  # the f″ residuals have the same references in the same colours: one legend serves both
                legend_above(residual.getPlotItem())
            residual.setMinimumHeight(75)
            marker = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#a00", width=2), brush=None, symbol="o")
            residual.addItem(marker, ignoreBounds=True)
            self._add_message(name, residual, "#555")
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
        splitter.setSizes([4, 3, 3, 4])  # proportions: f carries the legend row, the residual pane holds two plots
        self.splitter = splitter
        self._layout.addWidget(splitter, 1)
        self._layout.addWidget(self.readout)

    def _add_message(self, name: str, plot: pg.PlotWidget, color: str) -> None:
        """A hidden text in ``plot`` for why it shows no curve; it stays centred through auto-range, pans and zooms."""
        message = pg.TextItem("", color=color, anchor=(0.5, 0.5))
        message.hide()
        plot.addItem(message, ignoreBounds=True)
        self._unsupported[name] = message
        plot.getViewBox().sigRangeChanged.connect(lambda *_args, name=name: self._center_unsupported(name))

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
        self.domain_label.setText(f"{swept_name(curves.parameter)} from")
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
        for name, order, title in RESIDUAL_PANELS:
            self._show_unsupported(name, "")
            self._worst_markers[order].setData([], [])
            self._worst_texts[order] = ""
            set_title(self.residual_plots[order].getPlotItem(), title)
        self._hide_tangent()
        self.notes.hide()
        self.readout.setText(" ")
        for name in self.plots:
            self._show_unsupported(name, message if name == "plotF" else "")
        self.domain_label.setText("x from")
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
        """What the tangent's label says ("tangent from the hand-written f′ at x = …, slope …"), or "" when no tangent is drawn.

        The label sits beside the tangent's dot where it covers neither the tangent nor f; where every place in
        the plot would, the text ends the crosshair readout instead.
        """
        return self._tangent_text

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
            item = FullBoundsCurve(name=label, pen=pen, connect="finite", antialias=label == HAND)
            self._all_plots[plot_name].addItem(item)
            item.setDownsampling(auto=True, method="peak")  # after addItem, which sets the plot's own (none)
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
            (x0, x1), (y0, y1) = self._all_plots[plot_name].getViewBox().viewRange()
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
            self._show_worst(order, title, shown, curves.x)
            self._show_unsupported(name, "" if shown else no_residual_note(curves, order))
            if not shown:  # nothing to auto-range to: not the last file's axis, with no explanation
                self.residual_plots[order].getViewBox().setRange(yRange=(-1, 1), padding=0, disableAutoRange=False)

    def _show_worst(self, order: int, title: str, residuals: list[Residual], x: np.ndarray) -> None:
        """Mark the largest |residual| of one order and name it in that plot's title."""
        marker, plot = self._worst_markers[order], self.residual_plots[order]
        primary, text, index = worst_residual(residuals, x)
        self._worst_texts[order] = text
        set_title(plot.getPlotItem(), WORST_TITLE.format(symbol=PANELS[order][2], worst=text) if text else title)
        if primary is None or index is None:
            marker.setData([], [])  # nothing to point at
        else:
            marker.setData([x[index]], [primary.values[index]])

    def _set_y_floors(self, curves: CurveSet) -> None:
        """Give each plot the narrowest y range its values' scale allows (see :mod:`gradlab.model.y_range`)."""
        scales = order_scales(curves)
        for order, (name, _attribute, _title) in enumerate(PANELS):
            self.plots[name].getViewBox().set_min_y_span(min_span(scales[order]))
        for order, plot in self.residual_plots.items():
            plot.getViewBox().set_min_y_span(min_span(residual_scale(order, curves, scales)))

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
        parts = [f"{swept_name(curves.parameter)} = {at:.5g}"]
        for name, values in (("f", hand.f), ("f\u2032", hand.df), ("f\u2033", hand.d2f)):
            parts.append(f"{name} = {values[i]:.6g}" if values is not None else f"{name} = \u2014")
        self.readout.setText("   ".join(parts))
        if hand.f is not None and hand.df is not None and np.isfinite(hand.f[i]) and np.isfinite(hand.df[i]):
            self._show_tangent(swept_name(curves.parameter), at, hand.f[i], hand.df[i])
        else:
            self._hide_tangent()
        if self._tangent_in_readout:
            self.readout.setText(f"{self.readout.text()}   |   {self._tangent_text}")

    def _show_tangent(self, name: str, x: float, y: float, slope: float) -> None:
        """The tangent to f at (x, y), its dot, and its label where it covers neither the tangent nor f."""
        view = self.plots["plotF"].getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        xs = np.array([x0, x1])
        ys = y + slope * (xs - x)
        self._tangent.setData(xs, ys)
        self._tangent_dot.setData([x], [y])
        label = self._tangent_label
        # the slope is the hand-written f′: where the backward is wrong, the line is visibly not tangent, and says why
        self._tangent_text = f"tangent from the hand-written f\u2032 at {name} = {x:.4g}, slope {slope:.4g}"
        label.setText(self._tangent_text)
        width, height = view.width(), view.height()

        def pixels(px, py):
            return (np.asarray(px, dtype=float) - x0) / (x1 - x0) * width, (y1 - np.asarray(py, dtype=float)) / (y1 - y0) * height

        lines = [pixels(xs, ys)]
        for (plot_name, _label), item in self._items.items():
            if plot_name == "plotF" and item.isVisible():
                data_x, data_y = item.getOriginalDataset()
                if data_x is not None and len(data_x):
                    lines.append(pixels(data_x, data_y))
        text = label.boundingRect()
        place = _label_place(pixels(x, y), (width, height), (text.width(), text.height()), lines)
        self._tangent_in_readout = place is None
        if place is None:
            label.hide()  # every place in the plot is on data: the readout says it (see _on_mouse_moved)
            return
        left, top = place
        label.setPos(x0 + left / width * (x1 - x0), y1 - top / height * (y1 - y0))
        label.show()

    def _hide_tangent(self) -> None:
        self._tangent_text = ""
        self._tangent_in_readout = False
        self._tangent.setData([], [])
        self._tangent_dot.setData([], [])
        self._tangent_label.hide()


RESIDUAL_NAMES = tuple(name for name, _order, _title in RESIDUAL_PANELS)


class FullBoundsCurve(pg.PlotDataItem):
    """A curve whose auto-range bounds are those of all its data, not of what it last drew.

    pyqtgraph's auto-downsampling thins the drawn points by the *current* view's
    width, and a plain PlotDataItem reports the bounds of those drawn points:
    new data on a far smaller domain (0 to 1e-9 after −5 to 5) is thinned to
    nothing and the view never moves to it.  Bounds here come from the data
    set with :meth:`setData` (finite values only), computed once per call.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._bounds: list[tuple[float, float] | tuple[None, None]] = [(None, None), (None, None)]
        super().__init__(*args, **kwargs)

    def setData(self, *args, **kwargs) -> None:  # noqa: N802 - pyqtgraph's name
        super().setData(*args, **kwargs)
        x, y = self.getOriginalDataset()
        self._bounds = [(None, None), (None, None)]
        if x is None or y is None or len(x) == 0:
            return
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        finite = np.isfinite(x) & np.isfinite(y)
        if finite.any():
            self._bounds = [(float(v[finite].min()), float(v[finite].max())) for v in (x, y)]

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 - pyqtgraph's names
        if frac != 1.0 or orthoRange is not None or not self.curve.isVisible():
            return super().dataBounds(ax, frac, orthoRange)
        return self._bounds[ax]


def _plot_widget(name: str, title: str, axes: list[AlignedAxis]) -> pg.PlotWidget:
    """A named plot with a floored y auto-range, a light grid and a left axis as wide as the others in ``axes`` (x lines up)."""
    plot = named(pg.PlotWidget(viewBox=FlooredViewBox(), axisItems={"left": AlignedAxis(axes)}), name)
    set_title(plot.getPlotItem(), title)
    _light_grid(plot)
    no_si_prefix(plot.getPlotItem())
    return plot


def worst_residual(residuals: list[Residual], x: np.ndarray) -> tuple[Residual | None, str, int | None]:
    """The residual a title names (against autograd of forward, else the first), its title text, and where to mark it.

    The text is "largest |…| = … at …" over the finite values, followed by
    "(NaN at N points)" when some are not finite, "no finite |…|" when none is,
    and "= 0 everywhere" only when it is 0 at every point; then each other
    residual with points that are not finite ("; f′ − finite differences is NaN
    at 501 points"), so a title never reads as all clear over gaps.  The index
    (into ``x``) is that of the largest finite value, None when there is nothing
    to mark (none finite, or 0 everywhere).  ``(None, "", None)`` when there is
    no residual.
    """
    primary = next((r for r in residuals if r.reference == PRIMARY_REFERENCE), residuals[0] if residuals else None)
    if primary is None:
        return None, "", None
    values = np.asarray(primary.values, dtype=float)
    finite = np.isfinite(values)
    bad = int(np.count_nonzero(~finite))
    others = ""
    for other in residuals:
        count = int(np.count_nonzero(~np.isfinite(other.values)))
        if other is not primary and count:
            others += f"; {other.label} is {_not_finite(other.values, count)} at {_points(count)}"
    if not finite.any():
        return primary, f"no finite |{primary.label}|: {_not_finite(values, bad)} everywhere{others}", None
    magnitude = np.where(finite, np.abs(values), -1.0)
    index = int(np.argmax(magnitude))
    largest = float(magnitude[index])
    if largest == 0 and not bad:
        return primary, f"largest |{primary.label}| = 0 everywhere{others}", None
    where = f" ({_not_finite(values, bad)} at {_points(bad)})" if bad else ""
    if largest == 0:
        return primary, f"largest finite |{primary.label}| = 0{where}{others}", None
    at = float(x[index]) if bad else primary.at  # the engine's own "at" where it measured every point
    return primary, f"largest |{primary.label}| = {largest:.3g} at {at:.4g}{where}{others}", index


def _points(count: int) -> str:
    return f"{count} point{'s' if count != 1 else ''}"


def _not_finite(values: np.ndarray, count: int) -> str:
    """The word for ``count`` non-finite values: "NaN" when all are NaN, else "not finite"."""
    return "NaN" if np.count_nonzero(np.isnan(values)) == count else "not finite"


def no_residual_note(curves: CurveSet, order: int) -> str:
    """Why a residual plot of derivative ``order`` is empty, as the window and exported figures say it."""
    symbol, attribute = PANELS[order][2], PANELS[order][1]
    why = f"hand-written {symbol} unavailable" if getattr(curves.hand_written, attribute) is None else f"no reference {symbol} to compare with"
    return f"no residual: {why}"


def swept_name(parameter: str) -> str:
    """The name of what x is ("w" for "w", "t" for a line parameter "t  (w = w₀ + t·v, …)")."""
    return parameter.split()[0] if parameter.strip() else "x"


def _label_place(
    point: tuple[float, float],
    view: tuple[float, float],
    text: tuple[float, float],
    lines: list[tuple[np.ndarray, np.ndarray]],
    gap: float = 4,
) -> tuple[float, float] | None:
    """Where a label of size ``text`` goes so that it crosses none of ``lines``: its top-left corner, in pixels from the view's top-left.

    The candidates, in order: the four quarters beside ``point`` (the tangent's dot), each
    pushed inside the view when it sticks out, then places along the view's top and bottom
    rows, nearest the dot first.  ``lines`` are polylines in the same pixels (the tangent's
    two ends, each curve of f); the first candidate that none of them crosses wins, None
    when every one is crossed.
    """
    (px, py), (width, height), (w, h) = point, view, text
    candidates = [
        (px - gap - w, py - gap - h),  # upper-left
        (px + gap, py - gap - h),  # upper-right
        (px - gap - w, py + gap),  # lower-left
        (px + gap, py + gap),  # lower-right
    ]
    steps = np.arange(gap, max(width - w - gap, gap) + 1, max(w / 3, 1.0))
    rows = sorted(((left, top) for left in steps for top in (gap, height - gap - h)), key=lambda c: abs(c[0] + w / 2 - px))
    candidates += rows
    lines = [_thinned(xs, ys, width) for xs, ys in lines]
    for left, top in candidates:
        left, top = min(max(left, 0.0), max(width - w, 0.0)), min(max(top, 0.0), max(height - h, 0.0))
        if w > width or h > height:
            return None
        rect = (left - 1, top - 1, left + w + 1, top + h + 1)
        if not any(_crosses(xs, ys, rect) for xs, ys in lines):
            return left, top
    return None


def _thinned(xs: np.ndarray, ys: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """A polyline of many more points than ``width`` pixels, cut to each chunk's lowest and highest point (its envelope)."""
    xs, ys = np.atleast_1d(np.asarray(xs, dtype=float)), np.atleast_1d(np.asarray(ys, dtype=float))
    chunk = int(len(xs) // max(2 * width, 1.0))
    if chunk < 2:
        return xs, ys
    n = len(xs) // chunk * chunk
    bx, by = xs[:n].reshape(-1, chunk), ys[:n].reshape(-1, chunk)
    good = np.isfinite(by)
    low, high = np.where(good, by, np.inf).min(axis=1), np.where(good, by, -np.inf).max(axis=1)
    gap = ~good.all(axis=1)  # a chunk with a gap stays a gap
    low[gap], high[gap] = np.nan, np.nan
    x_out = np.repeat(bx.mean(axis=1), 2)
    y_out = np.stack([low, high], axis=1).ravel()
    return np.concatenate([x_out, xs[n:]]), np.concatenate([y_out, ys[n:]])


def _crosses(xs: np.ndarray, ys: np.ndarray, rect: tuple[float, float, float, float]) -> bool:
    """Whether the polyline through (``xs``, ``ys``) (x increasing; non-finite points are gaps) passes through ``rect`` (left, top, right, bottom)."""
    xs, ys = np.atleast_1d(xs), np.atleast_1d(ys)
    left, top, right, bottom = rect
    if len(xs) == 1:
        return bool(left <= xs[0] <= right and top <= ys[0] <= bottom)
    # only the segments whose x span meets the rect's: a few of 100,001 points
    start = max(int(np.searchsorted(xs, left, side="left")) - 1, 0)
    stop = min(int(np.searchsorted(xs, right, side="right")) + 1, len(xs))
    ax, ay, bx, by = xs[start : stop - 1], ys[start : stop - 1], xs[start + 1 : stop], ys[start + 1 : stop]
    ok = np.isfinite(ax) & np.isfinite(ay) & np.isfinite(bx) & np.isfinite(by)
    ax, ay, bx, by = ax[ok], ay[ok], bx[ok], by[ok]
    overlap = (np.maximum(ax, bx) >= left) & (np.minimum(ax, bx) <= right) & (np.maximum(ay, by) >= top) & (np.minimum(ay, by) <= bottom)
    if not overlap.any():
        return False
    ax, ay, bx, by = ax[overlap], ay[overlap], bx[overlap], by[overlap]
    sides = [np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) for cx, cy in ((left, top), (right, top), (left, bottom), (right, bottom))]
    sides = np.stack(sides)
    # a segment whose bounding box meets the rect crosses it unless all four corners lie strictly on one side of its line
    return bool(np.any(~(np.all(sides > 0, axis=0) | np.all(sides < 0, axis=0))))


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
