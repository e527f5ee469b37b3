"""A monkey at the keyboard: 500 random edits with the engine running; no crash, no lost text, flat memory."""

import random
import string

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from tests.gui.conftest import PLOT_MS

FRAGMENTS = [
    "return grad_output * 2\n",
    "    @staticmethod\n    def backward(ctx, g):\n        return g\n",
    "def broken(:\n",
    "x = (1 +\n",
    "import torch\n",
    "ctx.save_for_backward(x)\n",
    "y = torch.exp(-x) ** 2  # \u00b5 \u2202 \u2207\n",
    '"""an unterminated docstring\n',
    "class Other(Function):\n    pass\n",
    "\t\tmixed\ttabs\n",
]
PRINTABLE = string.ascii_letters + string.digits + " ()[]{}:.,*+-/=#'\"_<>!@"


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_500_random_edits_lose_nothing_and_keep_memory_flat(window, qtbot):
    rng = random.Random(20261127)
    oracle = QPlainTextEdit()  # a plain Qt editor given the same edits: what the buffer must equal
    oracle.setPlainText(window.editor.toPlainText())
    editors = (window.editor, oracle)
    answers = []
    window.curves_shown.connect(lambda seconds: answers.append("plot"))
    window.run_failed.connect(lambda problem: answers.append(problem.kind))

    def run_and_wait():
        before = len(answers)
        window.run_now()
        qtbot.waitUntil(lambda: len(answers) > before, timeout=PLOT_MS)

    run_and_wait()
    engine_before, gui_before = rss_mb(window.session.engine().pid), rss_mb()
    for step in range(500):
        action = rng.choices(["type", "paste", "undo", "redo", "move"], weights=[45, 15, 15, 10, 15])[0]
        if action == "move":
            position = rng.randrange(len(oracle.toPlainText()) + 1)
            for editor in editors:
                cursor = editor.textCursor()
                cursor.setPosition(position)
                editor.setTextCursor(cursor)
        elif action == "type":
            text = "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(1, 12)))
            for editor in editors:
                qtbot.keyClicks(editor, text)
        elif action == "paste":
            QApplication.clipboard().setText(rng.choice(FRAGMENTS))
            for editor in editors:
                qtbot.keyClick(editor, Qt.Key.Key_V, modifier=Qt.KeyboardModifier.ControlModifier)
        else:
            key = Qt.Key.Key_Z if action == "undo" else Qt.Key.Key_Y
            for editor in editors:
                qtbot.keyClick(editor, key, modifier=Qt.KeyboardModifier.ControlModifier)
        assert window.editor.toPlainText() == oracle.toPlainText(), f"step {step}: {action} diverged"
        if step % 50 == 49:
            run_and_wait()
    run_and_wait()
    assert window.isVisible() and window.session.engine().is_alive()
    assert window.editor.toPlainText() == oracle.toPlainText()
    engine_growth = rss_mb(window.session.engine().pid) - engine_before
    gui_growth = rss_mb() - gui_before
    print(f"engine {engine_before:.0f} MB -> +{engine_growth:.1f} MB, GUI {gui_before:.0f} MB -> +{gui_growth:.1f} MB, answers {len(answers)}")
    assert engine_growth < 50, f"engine grew {engine_growth:.0f} MB"
    assert gui_growth < 50, f"GUI grew {gui_growth:.0f} MB"
    assert len(answers) >= 12 and set(answers) & {"plot", "syntax", "load", "forward", "no_function", "options"}
