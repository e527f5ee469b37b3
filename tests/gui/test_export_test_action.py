"""File › Export test…, on a stand-in window (no engine): the save dialog's path gets the Gradcheck tab's checks."""

from types import SimpleNamespace

from gradlab.gui import export_test_action
from gradlab.model.options import CheckOptions
from gradlab.model.results import FunctionInfo
from tests.helpers import builtin


class StandInWindow:
    """What the action reads of a MainWindow: document, runner, Gradcheck panel, status bar."""

    def __init__(self, path: str, untitled: bool = False, modified: bool = False) -> None:
        info = FunctionInfo("Sigmoid", 1, "", ["x"], False, (-6.0, 6.0), 0, [1.0], True, [], False)
        self.messages: list[str] = []
        self.document = SimpleNamespace(path=path, modified=modified, is_untitled=lambda: untitled, is_builtin=lambda: True, name=lambda: "sigmoid.py")
        self.runner = SimpleNamespace(function_info=lambda: info)
        self.gradcheck = SimpleNamespace(options=lambda: CheckOptions(seed=5, forward_ad=True))

    def statusBar(self):
        return SimpleNamespace(showMessage=lambda text, ms=0: self.messages.append(text))

    def build_deferred(self) -> None:
        pass


def test_export_test_writes_the_panels_checks_and_refuses_an_untitled_buffer(tmp_path, monkeypatch):
    chosen = tmp_path / "test_sigmoid"
    monkeypatch.setattr(export_test_action.QFileDialog, "getSaveFileName", lambda *args: (str(chosen), "Python (*.py)"))
    window = StandInWindow(builtin("sigmoid.py"), modified=True)
    export_test_action.on_export_test(window)
    text = (tmp_path / "test_sigmoid.py").read_text()
    assert "FUNCTIONS = ['Sigmoid']" in text and "SEED = 5" in text and "def test_forward_ad" in text
    assert "File › Export test…" in text and "import gradlab" not in text
    assert "unsaved edits are not in it" in window.messages[-1]
    untitled = StandInWindow(str(tmp_path / "untitled-1.py"), untitled=True)
    assert export_test_action.export_test(untitled, str(tmp_path / "other.py")) is None
    assert "save the file first" in untitled.messages[-1] and not (tmp_path / "other.py").exists()
