"""Log axes label decades, and 2 and 5 only when few decades are in view: labels never crowd."""

import numpy as np

from gradlab.gui.log_axis import LogAxis


def labelled(axis: LogAxis, low: float, high: float) -> list[str]:
    axis.setRange(low, high)  # in log10 units, as the view box gives them in log mode
    values = [v + np.log10(k) for v in range(int(np.floor(low)), int(np.ceil(high))) for k in range(1, 10)]
    values = [v for v in values if low <= v <= high]
    return [text for text in axis.logTickStrings(values, 1.0, None) if text]


def test_two_decades_or_more_label_only_the_decades(qtbot):
    texts = labelled(LogAxis("left"), -4.3, -2.4)
    assert texts == ["0.0001", "0.001"]


def test_about_one_decade_labels_1_2_and_5(qtbot):
    texts = labelled(LogAxis("left"), -0.1, 0.5)
    assert texts == ["1", "2"]
    assert labelled(LogAxis("bottom"), 1.9, 2.9) == ["10\u00b2", "2\u00b710\u00b2", "5\u00b710\u00b2"]
