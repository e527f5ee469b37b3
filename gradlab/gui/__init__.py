"""The desktop face of gradlab: PySide6 and pyqtgraph, never torch.

Numbers reach it from the engine as plain dataclasses and numpy arrays.
``gradlab.gui.MainWindow`` is the window (imported on first use, so that
``gradlab.gui.qt_setup`` can be used without loading Qt).
"""

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from gradlab.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
