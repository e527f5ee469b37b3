"""The benchmark panel against a baseline file: the change per cell, coloured, and where the baseline came from.  No engine."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from gradlab.gui import benchmark_panel
from gradlab.gui.benchmark_panel import FASTER_TEXT, SLOWER_TEXT, BenchmarkPanel
from gradlab.model.baseline import write_baseline
from gradlab.model.results import BenchmarkReport, BenchmarkRow, FunctionInfo

NAMES = ("custom Function", "autograd of forward", "torch.sigmoid")
ENVIRONMENT = {"torch": "2.13.0", "device": "cpu", "device_name": "Test CPU", "threads": 1, "dtype": "float32"}


def sigmoid_report(medians_us, threads=1, requested=()) -> BenchmarkReport:
    rows = [
        BenchmarkRow(name, 100, "both", "cpu", "float32", median * 1e-6, median * 1e-9, 50, requested=requested)
        for name, median in zip(NAMES, medians_us)
    ]
    return BenchmarkReport("Sigmoid", rows, [], {**ENVIRONMENT, "threads": threads})


def sigmoid_panel(qtbot) -> BenchmarkPanel:
    panel = BenchmarkPanel()
    qtbot.addWidget(panel)
    panel.set_function(FunctionInfo("Sigmoid", 24, "", ["x"], False, (-6.0, 6.0), 0, [], True, ["torch.sigmoid"], False))
    return panel


def cells(panel):
    return [panel.table.item(0, column) for column in range(panel.table.columnCount())]


def test_a_loaded_baseline_shows_each_cells_change_coloured_and_its_file(qtbot, tmp_path, monkeypatch):
    panel = sigmoid_panel(qtbot)
    panel.show_report(sigmoid_report([137.6, 100.0, 30.0]))
    path = tmp_path / "base.json"
    write_baseline(sigmoid_report([137.6 / 1.12, 120.0, 30.0], threads=4), str(path))
    monkeypatch.setattr(benchmark_panel.QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    load = panel.findChild(QPushButton, "benchmarkLoadBaseline")
    qtbot.mouseClick(load, Qt.MouseButton.LeftButton)

    custom, autograd, builtin = cells(panel)
    assert custom.text() == "137.6 \u00b5s (+12 %)"
    assert custom.foreground().color() == SLOWER_TEXT
    assert "baseline median 122.9 \u00b5s (base.json), now 137.6 \u00b5s: +12 %" in custom.toolTip()
    assert autograd.text() == "100 \u00b5s (-17 %)" and autograd.foreground().color() == FASTER_TEXT
    assert builtin.text() == "30 \u00b5s (+0.0 %)" and builtin.foreground().color() not in (SLOWER_TEXT, FASTER_TEXT)
    label = panel.findChild(QLabel, "benchmarkBaselineFile")
    assert label.text().startswith("baseline: base.json \u2014 Sigmoid, torch 2.13.0, Test CPU, 4 threads, float32")
    assert "1 of 3 compared cells slower than the baseline by more than 5.0 % and the noise" in label.text()
    assert "warning: measured elsewhere \u2014 threads: 4 in the baseline, 1 now" in label.text()
    assert label.toolTip() == str(path)

    clear = panel.findChild(QPushButton, "benchmarkClearBaseline")
    assert clear.isEnabled()
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    custom, _, _ = cells(panel)
    assert custom.text() == "137.6 \u00b5s" and custom.foreground().color() != SLOWER_TEXT
    assert label.text().strip() == "" and not clear.isEnabled()


def test_a_file_that_is_not_a_baseline_says_so_and_keeps_the_one_shown(qtbot, tmp_path):
    panel = sigmoid_panel(qtbot)
    panel.show_report(sigmoid_report([137.6, 100.0, 30.0]))
    good = tmp_path / "base.json"
    write_baseline(sigmoid_report([137.6, 100.0, 30.0]), str(good))
    assert panel.load_baseline(str(good))
    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert not panel.load_baseline(str(bad))
    assert "notes.json: not a gradlab benchmark baseline" in panel.status.text()
    assert panel.baseline_path == str(good) and "(+0.0 %)" in cells(panel)[0].text()


def test_rows_whose_inputs_ignored_the_size_are_warned_of(qtbot):
    panel = sigmoid_panel(qtbot)
    panel.show_report(sigmoid_report([137.6, 100.0, 30.0], requested=(100, 100)))
    warning = "inputs() made 100 when 100\u00d7100 was asked; the row is labelled with what was timed"
    shown = panel.findChild(QLabel, "benchmarkWarnings")
    assert shown.isVisibleTo(panel) and shown.text() == f"warning: {warning}"
    assert warning in cells(panel)[0].toolTip() and panel.table.verticalHeaderItem(0).toolTip() == warning
    panel.clear()
    assert not shown.isVisibleTo(panel)
