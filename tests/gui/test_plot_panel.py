"""The plot panel on its own: legends follow the curves shown, messages stay in view, the crosshair reads the nearest point."""

import numpy as np

from gradlab.gui.plots import PlotPanel
from gradlab.model.results import Curve, CurveSet


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
