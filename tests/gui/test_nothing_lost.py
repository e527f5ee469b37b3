"""Nothing lost, nothing frozen: unsaved text, autosave and restore, disk changes, hostile user code."""

import itertools
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from gradlab.gui.autosave import AutosavedBuffer, AutosaveStore
from gradlab.gui.document import untitled_folder
from gradlab.gui.error_report import ErrorReporter
from gradlab.gui.file_actions import FileActions
from tests.gui.conftest import ASK_UNSAVED, PLOT_MS
from tests.helpers import builtin

SQUARE = textwrap.dedent(
    '''
    """Square, the user's own copy."""
    from torch.autograd import Function


    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output
    '''
).lstrip()


def user_file(tmp_path, name="mine.py", text=SQUARE):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def open_user_file(window, qtbot, path):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(str(path))


def type_at_end(window, qtbot, text):
    """Type ``text`` at the end of the buffer; newlines are Return key presses (QTest cannot type them)."""
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    for index, line in enumerate(text.split("\n")):
        if index:
            qtbot.keyClick(window.editor, Qt.Key.Key_Return)
        if line:
            qtbot.keyClicks(window.editor, line)


def edited_user_file(window, qtbot, tmp_path, edit):
    """Open a user file, type ``edit`` at its end (unsaved), and return its path and the buffer's text."""
    path = user_file(tmp_path)
    open_user_file(window, qtbot, path)
    type_at_end(window, qtbot, edit)
    return path, window.editor.toPlainText()


def paste_over_everything(window, qtbot, text):
    """Select all and paste ``text`` with the keyboard, as a person replacing the buffer would."""
    QApplication.clipboard().setText(text)
    qtbot.keyClick(window.editor, Qt.Key.Key_A, modifier=Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.editor, Qt.Key.Key_V, modifier=Qt.KeyboardModifier.ControlModifier)


def answer_modal(button, seen):
    """Click ``button`` on the modal dialog that is about to open (the real unsaved-changes prompt)."""

    def click():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, click)
            return
        seen.append(box.objectName())
        box.button(button).click()

    QTimer.singleShot(20, click)


@pytest.fixture
def real_prompt(monkeypatch):
    monkeypatch.setattr(FileActions, "ask_unsaved", ASK_UNSAVED)


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_everything(window, qtbot, tmp_path, real_prompt):
    path, text = edited_user_file(window, qtbot, tmp_path, "# my edit\n")
    seen = []
    answer_modal(QMessageBox.StandardButton.Cancel, seen)
    assert not window.close()
    assert seen == ["unsavedDialog"]
    assert window.isVisible() and window.editor.toPlainText() == text
    answer_modal(QMessageBox.StandardButton.Save, seen)
    assert window.close()
    assert path.read_text(encoding="utf-8") == text


def test_opening_another_file_asks_first_and_cancel_stays(window, qtbot, tmp_path, real_prompt):
    path, text = edited_user_file(window, qtbot, tmp_path, "# unsaved\n")
    seen = []
    answer_modal(QMessageBox.StandardButton.Cancel, seen)
    assert window.open_file(builtin("tanh.py")) is False
    assert seen == ["unsavedDialog"] and window.path == str(path) and window.editor.toPlainText() == text
    answer_modal(QMessageBox.StandardButton.Discard, seen)
    assert window.open_file(builtin("tanh.py")) is True
    assert window.path == builtin("tanh.py")
    assert path.read_text(encoding="utf-8") == SQUARE, "discard leaves the file as it was"


def test_saves_are_atomic_and_a_failed_save_leaves_the_file_whole(window, qtbot, tmp_path, monkeypatch):
    path = user_file(tmp_path)
    path.chmod(0o640)
    open_user_file(window, qtbot, path)
    type_at_end(window, qtbot, "# saved\n")
    assert window.files.save()
    assert path.read_text(encoding="utf-8").endswith("# saved\n")
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"], "no temporary file is left behind"

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    type_at_end(window, qtbot, "# not saved\n")
    assert window.files.save() is False
    assert "could not save" in window.problems.text()
    assert path.read_text(encoding="utf-8").endswith("# saved\n"), "the old file is intact"
    assert window.editor.toPlainText().endswith("# not saved\n") and window.isWindowModified()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"]


def test_builtin_examples_are_saved_as_a_copy(window, qtbot, tmp_path, monkeypatch):
    original = Path(builtin("sigmoid.py")).read_text(encoding="utf-8")
    type_at_end(window, qtbot, "# my variant\n")
    target = tmp_path / "my_sigmoid.py"
    monkeypatch.setattr("gradlab.gui.file_actions.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.keyClick(window.editor, Qt.Key.Key_S, modifier=Qt.KeyboardModifier.ControlModifier)
    assert Path(builtin("sigmoid.py")).read_text(encoding="utf-8") == original
    assert target.read_text(encoding="utf-8").endswith("# my variant\n")
    assert window.path == str(target) and "read-only" not in window.windowTitle()


def test_autosave_after_a_kill_is_offered_back_with_a_diff_and_nothing_runs(qtbot, tmp_path, make_window):
    path = user_file(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from gradlab.gui.qt_setup import ensure_application
        app = ensure_application(headless=True)
        from gradlab.gui.main_window import MainWindow
        window = MainWindow(open_default=False)
        window.open_file({str(path)!r}, run=False)
        cursor = window.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        window.editor.setTextCursor(cursor)
        window.editor.insertPlainText("# typed before the crash\\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    pending = AutosaveStore().pending()
    assert [p.path for p in pending] == [str(path)]
    window = make_window(request_timeout=5.0, open_default=False)
    qtbot.waitUntil(lambda: window.files.restore_dialog is not None and window.files.restore_dialog.isVisible(), timeout=5000)
    dialog = window.files.restore_dialog
    assert "+# typed before the crash" in dialog.detailedText()
    with qtbot.assertNotEmitted(window.session.job_finished, wait=300):
        dialog.findChild(QWidget, "restoreButton").click()
    assert window.path == str(path)
    assert window.editor.toPlainText() == SQUARE + "# typed before the crash\n"
    assert window.isWindowModified() and "restored unsaved text" in window.problems.text()
    assert path.read_text(encoding="utf-8") == SQUARE, "restoring does not write the file"


def marker_file(tmp_path, name="side_effect.py"):
    """A user file that leaves ``ran`` next to it when it is run, and the marker's path."""
    marker = tmp_path / "ran"
    text = f'"""Writes a marker when run."""\nopen({str(marker)!r}, "w").close()\n' + SQUARE.split("\n", 1)[1]
    return user_file(tmp_path, name, text), marker


def test_a_restore_while_the_previous_file_still_loads_does_not_run_the_restored_text(window, qtbot, tmp_path):
    path, marker = marker_file(tmp_path)
    window.run_now()  # the example's load is on its way back...
    window.files.restore_buffer(AutosavedBuffer(str(path), path.read_text(encoding="utf-8") + "# edited\n", time.time(), tmp_path / "record.json"))
    qtbot.wait(2000)  # ...and arrives after the restore: it must not ask for curves of the restored text
    assert not marker.exists(), "the restored text ran without F5"
    assert "restored unsaved text" in window.problems.text()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.run_now()
    assert marker.exists()


def test_editing_restored_text_does_not_run_it_until_f5(window, qtbot, tmp_path):
    path, marker = marker_file(tmp_path)
    window.files.restore_buffer(AutosavedBuffer(str(path), path.read_text(encoding="utf-8"), time.time(), tmp_path / "record.json"))
    type_at_end(window, qtbot, "# more\n")
    qtbot.wait(1500)
    assert not marker.exists() and "press F5" in window.problems.text()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_F5)
    assert marker.exists()
    marker.unlink()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        type_at_end(window, qtbot, "# once run, edits run again\n")
    assert marker.exists()


def test_reopening_the_current_file_with_unsaved_edits_asks_first(window, qtbot, tmp_path, real_prompt):
    path, text = edited_user_file(window, qtbot, tmp_path, "# unsaved\n")
    seen = []
    answer_modal(QMessageBox.StandardButton.Cancel, seen)
    assert window.open_file(str(path)) is False
    assert seen == ["unsavedDialog"] and window.editor.toPlainText() == text and window.isWindowModified()


def test_a_new_untitled_buffer_never_takes_the_name_of_unsaved_text_left_behind(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr("gradlab.gui.document._untitled", itertools.count(1))
    left = os.path.join(untitled_folder(), "untitled-1.py")
    AutosaveStore().save(left, "# from another session\n")
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.files.new_file()
    assert window.path == os.path.join(untitled_folder(), "untitled-2.py")
    window.document.autosave_now()
    assert {b.path: b.text for b in AutosaveStore().pending()}[left] == "# from another session\n"


def test_a_file_changed_on_disk_offers_reload_and_a_deleted_one_keeps_its_buffer(window, qtbot, tmp_path):
    path = user_file(tmp_path)
    open_user_file(window, qtbot, path)
    bar = window.findChild(QWidget, "diskChangedBar")
    path.write_text(SQUARE.replace("x * x", "x * x * 1"), encoding="utf-8")
    qtbot.waitUntil(bar.isVisible, timeout=5000)
    assert "changed on disk" in bar.label.text()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        bar.reload_button.click()
    assert "x * x * 1" in window.editor.toPlainText() and not bar.isVisible()
    text = window.editor.toPlainText()
    path.unlink()
    qtbot.waitUntil(lambda: bar.isVisible() and "deleted" in bar.label.text(), timeout=5000)
    assert window.editor.toPlainText() == text and window.isWindowModified()


def test_our_own_save_does_not_look_like_an_outside_change(window, qtbot, tmp_path):
    path = user_file(tmp_path)
    open_user_file(window, qtbot, path)
    type_at_end(window, qtbot, "# mine\n")
    assert window.files.save()
    qtbot.wait(500)
    assert not window.findChild(QWidget, "diskChangedBar").isVisible()


@pytest.mark.parametrize("content", [b'"""latin-1"""\nname = "caf\xe9"\n', b"x = 1\n" * 1_000_000], ids=["latin1", "huge"])
def test_unreadable_files_get_a_message_and_the_buffer_stays(window, tmp_path, content):
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    before = window.editor.toPlainText()
    assert window.open_file(str(path)) is False
    text = window.problems.text()
    assert "bad.py" in text and ("not UTF-8" in text and "bad.py:2" in text or "too large" in text)
    assert window.editor.toPlainText() == before and window.path == builtin("sigmoid.py")


HOSTILE = {
    "allocates": ("import torch\nchunks = []\nwhile True:\n    chunks.append(torch.ones(2**28))\n", "memory"),
    "raises": ("raise KeyError('deliberate')\n", "KeyError"),
    "aborts": ("import os\nos.abort()\n", "SIGABRT"),
    "segfaults": ("import ctypes\nctypes.string_at(0)\n", "SIGSEGV"),
    "prints": ("print('y' * 5_000_000)\nreturn x * 2\n", None),
    "nan": ("return x * float('nan')\n", None),
}


def hostile_function(body: str) -> str:
    indented = textwrap.indent(body, " " * 8)
    return (
        '"""Hostile."""\nfrom torch.autograd import Function\n\n\nclass Hostile(Function):\n'
        "    @staticmethod\n    def forward(ctx, x):\n" + indented + "\n"
        "    @staticmethod\n    def backward(ctx, grad_output):\n        return grad_output\n"
    )


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_user_code_ends_with_a_message_and_the_next_edit_works(make_window, qtbot, tmp_path, monkeypatch, kind):
    monkeypatch.setenv("GRADLAB_ENGINE_MEMORY_LIMIT_MB", "3000")
    window = make_window(request_timeout=20.0)
    body, words = HOSTILE[kind]
    path = user_file(tmp_path, "hostile.py", hostile_function(body))
    if words is None:
        with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
            window.open_file(str(path))
        if kind == "prints":
            assert "more characters of output dropped" in window.last_curves.captured.stdout
        else:
            assert any("not finite" in n for n in window.last_curves.notes)
    else:
        with qtbot.waitSignal(window.run_failed, timeout=60_000) as failed:
            window.open_file(str(path))
        problem = failed.args[0]
        assert words in str(problem), str(problem)
        assert problem.location is not None and problem.location.filename == str(path)
        assert problem.location.lineno in window.editor.error_marks()
    assert window.editor.toPlainText() == hostile_function(body)
    with qtbot.waitSignal(window.curves_shown, timeout=60_000):
        paste_over_everything(window, qtbot, SQUARE)
    assert window.last_curves.function == "Square"


def test_internal_errors_show_one_dialog_with_details_and_copy(window, qtbot):
    reporter = ErrorReporter(window)
    try:
        raise ValueError("a bug in gradlab")
    except ValueError:
        reporter.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=3000)
    dialog = reporter.dialog
    assert dialog.objectName() == "internalErrorDialog"
    assert "ValueError: a bug in gradlab" in dialog.text() and "Traceback" in dialog.detailedText()
    assert reporter.copy_button.objectName() == "copyErrorDetails"
    reporter.copy_button.click()
    assert dialog.isVisible(), "copying keeps the dialog open"
    assert "a bug in gradlab" in QApplication.clipboard().text()
    dialog.close()


def test_exceptions_in_threads_reach_the_dialog_and_debug_mode_keeps_pythons_hooks(window, qtbot, monkeypatch):
    import threading

    reporter = ErrorReporter(window)
    assert reporter.install()
    try:
        thread = threading.Thread(target=lambda: 1 / 0)
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: reporter.dialog is not None, timeout=3000)
        assert "ZeroDivisionError" in reporter.dialog.text()
        reporter.dialog.close()
    finally:
        reporter.uninstall()
    monkeypatch.setenv("GRADLAB_DEBUG", "1")
    hook = sys.excepthook
    assert ErrorReporter(window).install() is False and sys.excepthook is hook


def test_listing_recent_files_and_restoring_never_run_a_file(window, make_window, qtbot, tmp_path):
    path, marker = marker_file(tmp_path)
    window.picker.add_open_file(str(path))
    window.picker.set_recent([str(path)])
    AutosaveStore().save(str(path), path.read_text(encoding="utf-8"))
    window.settings.setValue("last_file", str(path))
    assert any("side_effect.py" in window.picker.open_files.child(i).text(0) for i in range(window.picker.open_files.childCount()))
    second = make_window(open_default=True, wait_for_plot=False)
    qtbot.wait(1500)
    assert second.path == str(path) and "not run yet" in second.problems.text()
    assert not marker.exists(), "nothing ran: the file was listed, remembered and restored"
    with qtbot.waitSignal(second.curves_shown, timeout=PLOT_MS):
        second.run_now()
    assert marker.exists(), "running it is what runs it"


def test_the_engine_opens_no_network_port(window):
    pid = window.session.engine().pid
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    network = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            network.add(line.split()[9])
    assert not inodes & network
