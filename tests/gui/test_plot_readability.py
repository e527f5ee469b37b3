"""Plots that read right at a glance: round-off is not a signal, each residual has its own axis, nothing sits on the data."""

import re

import numpy as np
import pyqtgraph as pg
import pytest

from gradlab.gui.plots import PlotPanel, _label_place, worst_residual
from gradlab.gui.style import TANGENT_COLOR
from gradlab.gui.svg_export import bake_transforms
from gradlab.model.results import Curve, CurveSet, Residual
from gradlab.model.y_range import derivative_scale, y_limits

X = np.linspace(-3.0, 3.0, 201)
NOISE = np.sin(37 * X)  # deterministic, like finite-difference round-off


def linear_curves() -> CurveSet:
    """MultiplyAdd swept in w: f = w·1 + 0.25, f′ = 1 exactly, finite differences 1 ± 3e-11 and 0 ± 2e-8."""
    f = X + 0.25
    hand = Curve("hand-written backward", f, np.ones_like(X), np.zeros_like(X))
    autograd = Curve("autograd of forward", f, np.ones_like(X), np.zeros_like(X))
    fd = Curve("finite differences", f, 1 + 3e-11 * NOISE, 2e-8 * NOISE)
    residuals = [
        Residual(1, "autograd of forward", np.zeros_like(X), 0.0, float(X[0])),
        Residual(1, "finite differences", -3e-11 * NOISE, 3e-11, 0.0),
        Residual(2, "finite differences", -2e-8 * NOISE, 2e-8, 0.0),
    ]
    return CurveSet("MultiplyAdd", "w", X, hand, [autograd, fd], residuals)


def buggy_curves() -> CurveSet:
    """A small f′ bug (0.009) beside a large f″ one (0.4): each must show on its own axis."""
    f = X**3
    hand = Curve("hand-written backward", f, 3 * X**2 + 0.009 * X / 3, 6 * X + 0.4 * X / 3)
    autograd = Curve("autograd of forward", f, 3 * X**2, 6 * X)
    r1 = hand.df - autograd.df
    r2 = hand.d2f - autograd.d2f
    residuals = [Residual(1, "autograd of forward", r1, 0.009, 3.0), Residual(2, "autograd of forward", r2, 0.4, 3.0)]
    return CurveSet("Cube", "x", X, hand, [autograd], residuals)


@pytest.fixture
def panel(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def plot(panel, name) -> pg.PlotWidget:
    return panel.findChild(pg.PlotWidget, name)


def y_range(panel, name):
    """The y range ``name`` shows once painted (auto-range runs just before a paint)."""
    panel.grab()
    return plot(panel, name).getViewBox().viewRange()[1]


def test_a_constant_derivative_is_a_flat_line_at_its_value(panel, qtbot):
    panel.show_curves(linear_curves())
    assert y_range(panel, "plotF")[0] < -2, "auto-ranged to the data"
    low, high = y_range(panel, "plotDF")
    assert low < 1 < high and 1e-3 <= high - low < 0.01, "f′ = 1, not 1 ± 3e-11 spread over the plot"
    low, high = y_range(panel, "plotD2F")
    assert low < 0 < high and high - low > 1000 * 4e-8, "f″ = 0: the finite-difference noise stays under a pixel"
    low, high = y_range(panel, "plotResidual")
    assert high - low > 1000 * 6e-11, "a residual of 3e-11 on f′ = 1 reads as 0"


def test_each_derivative_order_has_its_own_residual_axis_and_largest_error(panel, qtbot):
    panel.show_curves(buggy_curves())
    first, second = plot(panel, "plotResidual"), plot(panel, "plotResidual2")
    assert first is panel.residual_plot and second is not None
    assert y_range(panel, "plotResidual2")[1] > 0.3
    low, high = y_range(panel, "plotResidual")
    assert high < 0.02 and low > -0.02, "the f′ bug fills its own plot, not 2% of the f″ one"
    assert panel.worst_residual_text(1) == "largest |f\u2032 \u2212 autograd of forward| = 0.009 at 3"
    assert panel.worst_residual_text(2) == "largest |f\u2033 \u2212 autograd of forward| = 0.4 at 3"
    assert "0.009" in first.getPlotItem().titleLabel.text and "0.4" in second.getPlotItem().titleLabel.text
    panel.residuals_box.setChecked(False)
    assert not first.isVisible() and not second.isVisible()


def test_legends_sit_above_the_data_never_on_it(panel, qtbot):
    panel.show_curves(buggy_curves())
    assert plot(panel, "plotResidual2").getPlotItem().legend is None, "the f′ residual's legend serves the f″ one"
    for name in ("plotF", "plotResidual"):
        item = plot(panel, name).getPlotItem()
        qtbot.waitUntil(lambda item=item: item.legend.sceneBoundingRect().width() > 50)
        assert item.legend.items
        legend, data = item.legend.sceneBoundingRect(), item.getViewBox().sceneBoundingRect()
        assert not legend.intersects(data), name
        assert legend.bottom() <= data.top() and legend.left() >= data.left() - 1, name


def test_the_tangent_is_grey_dotted_and_labelled(panel, qtbot):
    panel.show_curves(buggy_curves())
    f_plot = plot(panel, "plotF")
    qtbot.mouseMove(f_plot.viewport(), f_plot.viewport().rect().center())
    qtbot.waitUntil(lambda: panel.tangent_label() != "")
    assert panel.tangent_label().startswith("tangent from the hand-written f\u2032 at x = ") and ", slope " in panel.tangent_label()
    pen = panel._tangent.opts["pen"]
    assert pen.color().name() == TANGENT_COLOR and pen.widthF() <= 1
    xs, _ys = panel._tangent_dot.getData()
    assert len(xs) == 1, "a dot where the tangent touches f"
    assert panel._tangent_label.isVisible(), "room for it beside the dot"
    label, data = panel._tangent_label.sceneBoundingRect(), f_plot.getViewBox().sceneBoundingRect()
    assert data.contains(label), "the label is inside the plot, not cut at its edge"
    panel.clear()
    assert panel.tangent_label() == ""


def test_the_tangent_label_covers_neither_the_tangent_nor_f():
    rising = (np.array([0.0, 400.0]), np.array([300.0, -100.0]))  # pixels: y grows downwards, through the dot (200, 100)
    falling = (np.array([0.0, 400.0]), np.array([-100.0, 300.0]))
    assert _label_place((200, 100), (400, 200), (80, 16), [rising]) == (116, 80)  # upper-left
    assert _label_place((200, 100), (400, 200), (80, 16), [falling]) == (204, 80)  # upper-right
    # f (a parabola opening up, in pixels) also through the dot: upper-left is on it, so the other free quarter
    xs = np.linspace(0, 400, 401)
    f = (xs, 100 - 0.02 * (xs - 200) * (xs - 120))
    assert _label_place((200, 100), (400, 200), (80, 16), [rising, f]) == (204, 104)  # lower-right
    # no room above: below, still off both
    assert _label_place((200, 5), (400, 200), (80, 16), [(rising[0], rising[1] - 95)]) == (204, 9)
    # every place crossed (a short plot, the label nearly its height): None, the readout says it
    zigzag = (np.linspace(0, 400, 81), np.tile([0.0, 30.0], 41)[:81])
    assert _label_place((200, 15), (400, 30), (80, 16), [zigzag]) is None


def test_a_nan_residual_is_not_zero_everywhere_and_figures_draw_the_notes(qtbot):
    from gradlab.gui.figure import figure_plots, settle

    x = np.linspace(-1.0, 1.0, 11)
    values = np.where(x < 0, np.nan, 0.0)
    half = [Residual(1, "autograd of forward", values, 0.0, float(x[-1]))]
    assert worst_residual(half, x)[1] == "largest finite |f\u2032 \u2212 autograd of forward| = 0 (NaN at 5 points)"
    half[0].values = np.where(x < 0, np.nan, x)
    assert worst_residual(half, x)[1:] == ("largest |f\u2032 \u2212 autograd of forward| = 1 at 1 (NaN at 5 points)", 10)
    fd = Residual(1, "finite differences", np.where(x < 0, np.nan, 1e-3), 1e-3, 1.0)
    assert worst_residual([Residual(1, "autograd of forward", np.zeros_like(x), 0.0, -1.0), fd], x)[1] == (
        "largest |f\u2032 \u2212 autograd of forward| = 0 everywhere; f\u2032 \u2212 finite differences is NaN at 5 points"
    )
    half[0].values = np.full_like(x, np.nan)
    assert worst_residual(half, x) == (half[0], "no finite |f\u2032 \u2212 autograd of forward|: NaN everywhere", None)
    curves = linear_curves()
    curves.notes = ["f is not finite at 501 of 1001 points (NaN where x < 0): they are gaps in the curves"]
    layout = pg.GraphicsLayoutWidget()
    layout.resize(500, 900)
    try:
        plots = figure_plots(layout, curves, 500)
        settle(layout)
        note = layout.ci.getItem(0, 0)
        assert "f is not finite at 501 of 1001 points" in note.item.toPlainText()
        assert note.sceneBoundingRect().bottom() <= plots[0].sceneBoundingRect().top() + 1, "above the first plot, not on it"
        assert not any(p.getAxis("bottom").autoSIPrefix for p in plots), "the same plain ticks on every x axis"
    finally:
        layout.close()


def test_the_y_floor_rule():
    assert y_limits([np.ones(3), 1 + 3e-11 * NOISE]) == pytest.approx((0.9995, 1.0005))
    assert y_limits([np.zeros(3)]) == (-0.5, 0.5), "all zero: the absolute floor"
    assert y_limits([None, np.array([np.nan])]) is None
    scale = derivative_scale(2, [2e-8 * NOISE], [X + 0.25])
    low, high = y_limits([2e-8 * NOISE], scale=scale)
    assert high - low >= 1000 * 4e-8, "f″ of a linear f: its round-off (it grows with |f|) stays under 0.1% of the plot"
    assert derivative_scale(2, [np.full(3, 2.0)], [np.full(3, 25.0)]) == 2.0, "a real f″ keeps its own scale"
    assert y_limits([np.array([-10.0, 10.0])], scale=scale) == (-10.0, 10.0), "data wider than the floor keeps its own range"


def test_baked_svg_strokes_need_no_vector_effect():
    svg = (
        '<g fill="none" stroke="black">\n<g stroke-width="2.5" transform="matrix(2,0,0,-3,10,20)"\n font-size="12" >\n'
        '<path vector-effect="non-scaling-stroke" fill-rule="evenodd" d="M0,0 L1,1 L1.5,-2e-01"/>\n'
        '<rect vector-effect="non-scaling-stroke" x="0" y="0" width="1" height="1"/>\n</g>\n'
        '<g transform="matrix(1,0,0,1,5,5)" >\n<polyline fill="none" vector-effect="non-scaling-stroke" points="0,11 20,11 " />\n</g>\n</g>'
    )
    baked = bake_transforms(svg)
    assert "vector-effect" not in baked
    assert 'd="M10,20 L12,17 L13,20.6"' in baked
    assert 'points="10,20 12,20 12,17 10,17"' in baked, "a rectangle becomes its corners' polygon"
    assert 'transform="matrix(1,0,0,1,0,0)"' in baked and 'points="0,11 20,11 "' in baked


def test_an_exported_figure_has_a_residual_plot_per_order_and_reads_like_the_window(qtbot, tmp_path):
    from PySide6.QtGui import QImage, QPainter

    from gradlab.gui.figure import export_figure, figure_plots, settle

    curves = linear_curves()
    curves.hand_written.d2f = None
    curves.hand_written.d2f_note = "double backward is not supported: trying to differentiate twice a function that was marked with @once_differentiable"
    curves.residuals = [r for r in curves.residuals if r.order == 1]
    layout = pg.GraphicsLayoutWidget()
    layout.resize(600, 900)
    try:
        plots = figure_plots(layout, curves, 600)
        settle(layout)
        assert [p.titleLabel.text.split()[0] for p in plots] == ["f", "f\u2032", "f\u2033", "f\u2032", "f\u2033"]
        assert "largest |f\u2032 \u2212 autograd of forward| = 0 everywhere" in plots[3].titleLabel.text
        low, high = plots[1].getViewBox().viewRange()[1]
        assert low < 1 < high and high - low >= 1e-3
        image = QImage(10, 10, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            for axis in (p.getAxis("left") for p in plots[:4]):
                _axis, _ticks, labels = axis.generateDrawSpecs(painter)
                assert len(labels) >= 2, "labelled y ticks: none too wide to be drawn"
        finally:
            painter.end()
        for with_legend in (plots[0], plots[3]):
            assert not with_legend.legend.sceneBoundingRect().intersects(with_legend.getViewBox().sceneBoundingRect())
        note = next(item for item in plots[2].layout.itemAt(1, 1).childItems() if hasattr(item, "toPlainText"))
        assert "hand-written f\u2033 unavailable: double backward" in note.toPlainText() and "@once_differentiable" in note.toPlainText()
        note_rect, plot_rect = plots[2].layout.itemAt(1, 1).sceneBoundingRect(), plots[2].sceneBoundingRect()
        assert plot_rect.contains(note_rect) and not note_rect.intersects(plots[2].getViewBox().sceneBoundingRect())
    finally:
        layout.close()
    export_figure(curves, str(tmp_path / "x.svg"))
    svg = (tmp_path / "x.svg").read_text()
    assert 'viewBox="0 0 900 1150"' in svg, "tall enough for five plots"
    assert "vector-effect" not in svg, "renderers other than Qt's draw the widths the plot has"
    hand = re.search(r'stroke="#1f77b4"[^>]*>\s*<path[^>]*d="([^"]*)"', svg)
    xs = [float(v) for v in re.findall(r"(-?[\d.]+(?:e-?\d+)?),", hand.group(1))]
    assert 0 < min(xs) < max(xs) < 900, "the curve's points are in the figure's own pixels"
