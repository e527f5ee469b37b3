"""The plot panel on its own: legends follow the curves shown, messages stay in view, the crosshair reads the nearest point."""

import numpy as np

from gradlab.gui.plots import PlotPanel
from gradlab.model.results import Curve, CurveSet, Residual


def curve_set(x, with_compare: bool, d2f: bool = True) -> CurveSet:
    f = x**2
    hand = Curve("hand-written backward", f, 2 * x, np.full_like(x, 2.0) if d2f else None, d2f_note="" if d2f else "once_differentiable")
    references = [Curve("autograd of forward", f, 2 * x, np.full_like(x, 2.0))]
    if with_compare:
        references.append(Curve("torch.square", f, 2 * x, np.full_like(x, 2.0)))
    return CurveSet("Square", "x", x, hand, references, [])


def legend_labels(panel, name):
    legend = panel.plots[name].getPlotItem().legend
    return [label.text for _sample, label in legend.items]


def test_legends_list_only_the_curves_shown(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    x = np.linspace(10.0, 20.0, 101)
    panel.show_curves(curve_set(x, with_compare=True))
    assert "torch.square" in legend_labels(panel, "plotF")
    panel.show_curves(curve_set(x, with_compare=False))
    assert "torch.square" not in legend_labels(panel, "plotF")
    panel.show_curves(curve_set(x, with_compare=True))
    assert legend_labels(panel, "plotF").count("torch.square") == 1


def test_the_unsupported_message_sits_inside_the_view_after_auto_range(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    panel.show()
    panel.show_curves(curve_set(np.linspace(10.0, 20.0, 101), with_compare=False, d2f=False))
    view = panel.plots["plotD2F"].getViewBox()
    message = panel._unsupported["plotD2F"]
    qtbot.waitUntil(lambda: view.viewRange()[0][0] > 5, timeout=3000)  # auto-ranged to the data
    (x0, x1), (y0, y1) = view.viewRange()
    assert message.isVisible() and x0 <= message.pos().x() <= x1 and y0 <= message.pos().y() <= y1


def test_new_curves_on_a_tiny_domain_fill_the_view_and_name_the_swept_argument(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    panel.show()
    panel.show_curves(curve_set(np.linspace(-5.0, 5.0, 100_001), with_compare=True))
    panel.grab()
    tiny = curve_set(np.linspace(0.0, 1e-9, 1001), with_compare=True)
    tiny.parameter = "w"
    panel.show_curves(tiny)
    panel.grab()  # auto-range runs before a paint
    for name, values in (("plotF", tiny.x**2), ("plotDF", 2 * tiny.x)):
        (x0, x1), (y0, y1) = panel.plots[name].getViewBox().viewRange()
        assert x0 <= 0 and 1e-9 <= x1 < 2e-9, name
        assert y0 <= values.min() and values.max() <= y1 < 10 * values.max(), name
    assert panel.domain_label.text() == "w from"
    assert not panel.plots["plotD2F"].getAxis("bottom").autoSIPrefix, "ticks read 2e-10 on every x axis, not 0.2 with x1e-09"


def test_an_empty_residual_plot_says_why_and_drops_the_last_axis(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    panel.show()
    x = np.linspace(-1.0, 1.0, 101)
    with_residuals = curve_set(x, with_compare=False)
    with_residuals.residuals = [Residual(2, "autograd of forward", -4 + 1e-3 * x, 4.001, 1.0)]
    panel.show_curves(with_residuals)
    panel.grab()
    assert panel.residual_plots[2].getViewBox().viewRange()[1][0] < -3.9
    panel.show_curves(curve_set(x, with_compare=False, d2f=False))
    panel.grab()
    assert panel.unsupported_message("plotResidual2") == "no residual: hand-written f\u2033 unavailable"
    low, high = panel.residual_plots[2].getViewBox().viewRange()[1]
    assert low < 0 < high, "not the last file's axis"
