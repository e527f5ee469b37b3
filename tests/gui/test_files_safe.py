"""Issue 11's files: nothing the user did not mean to overwrite is overwritten, links stay links, untitled buffers stay private."""

import os
import stat
import subprocess
import sys
import textwrap
import time

from gradlab.gui.autosave import AutosaveStore
from gradlab.gui.document import untitled_folder
from gradlab.gui.file_actions import FileActions
from gradlab.gui.file_io import write_text_atomically
from tests.gui.conftest import PLOT_MS
from tests.gui.test_nothing_lost import SQUARE, type_at_end, user_file


def open_user(window, qtbot, path):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(str(path))


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(window, qtbot, tmp_path):
    target = user_file(tmp_path, "real.py")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    open_user(window, qtbot, link)
    type_at_end(window, qtbot, "# through the link")
    assert window.files.save()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").endswith("# through the link")


def test_saving_a_hard_linked_file_keeps_every_link_in_step(window, qtbot, tmp_path):
    first = user_file(tmp_path, "first.py")
    second = tmp_path / "second.py"
    os.link(first, second)
    open_user(window, qtbot, first)
    type_at_end(window, qtbot, "# both see this")
    assert window.files.save()
    assert os.stat(first).st_ino == os.stat(second).st_ino and os.stat(first).st_nlink == 2
    assert second.read_text(encoding="utf-8").endswith("# both see this")


def test_a_save_keeps_the_files_mode_and_a_new_file_gets_the_umasks(tmp_path):
    kept = user_file(tmp_path, "kept.py")
    os.chmod(kept, 0o640)
    write_text_atomically(str(kept), "x = 1\n")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640
    old = os.umask(0o022)
    try:
        write_text_atomically(str(tmp_path / "new.py"), "x = 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.py").st_mode) == 0o644, "not mkstemp's 0600"


def test_a_file_deleted_and_recreated_is_watched_again_and_save_asks_before_overwriting(window, qtbot, tmp_path, monkeypatch):
    path = user_file(tmp_path)
    open_user(window, qtbot, path)
    asked = []
    monkeypatch.setattr(FileActions, "ask_overwrite", lambda self: asked.append(True) or False)
    path.unlink()
    qtbot.waitUntil(lambda: window.disk_bar.isVisible() and "deleted" in window.disk_bar.label.text(), timeout=5000)
    path.write_text(SQUARE + "# from git checkout\n", encoding="utf-8")
    qtbot.waitUntil(lambda: "changed" in window.disk_bar.label.text(), timeout=5000)
    time.sleep(0.05)
    path.write_text(SQUARE + "# from git stash pop\n", encoding="utf-8")
    type_at_end(window, qtbot, "# mine")
    assert window.files.save() is False and asked == [True]
    assert path.read_text(encoding="utf-8").endswith("# from git stash pop\n"), "the new content was not overwritten"


def test_save_after_ignoring_the_changed_on_disk_bar_asks_again(window, qtbot, tmp_path, monkeypatch):
    path = user_file(tmp_path)
    open_user(window, qtbot, path)
    answers = [False, True]
    monkeypatch.setattr(FileActions, "ask_overwrite", lambda self: answers.pop(0))
    path.write_text(SQUARE + "# theirs\n", encoding="utf-8")
    qtbot.waitUntil(lambda: window.disk_bar.isVisible(), timeout=5000)
    window.disk_bar.keep_requested.emit()  # "Keep mine": the bar goes, the question stays
    type_at_end(window, qtbot, "# mine")
    assert window.files.save() is False and path.read_text(encoding="utf-8").endswith("# theirs\n")
    assert window.files.save() is True and path.read_text(encoding="utf-8").endswith("# mine")
    assert answers == []


def test_our_own_save_then_an_outside_change_is_told_apart(window, qtbot, tmp_path, monkeypatch):
    path = user_file(tmp_path)
    open_user(window, qtbot, path)
    monkeypatch.setattr(FileActions, "ask_overwrite", lambda self: (_ for _ in ()).throw(AssertionError("asked")))
    type_at_end(window, qtbot, "# one")
    assert window.files.save()
    type_at_end(window, qtbot, "# two")
    assert window.files.save(), "our own last save is not someone else's change"


def test_untitled_buffers_are_named_in_a_private_folder(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.files.new_file()
    folder = os.path.dirname(window.path)
    assert folder == untitled_folder() and not folder.startswith("/tmp/untitled")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_two_windows_on_one_file_keep_two_records_and_a_live_one_is_never_offered(make_window, qtbot, tmp_path):
    path = user_file(tmp_path)
    first = make_window(open_default=False)
    second = make_window(open_default=False)
    for window, text in ((first, "# first window"), (second, "# second window")):
        open_user(window, qtbot, path)
        type_at_end(window, qtbot, text)
        window.document.autosave_now()
    records = sorted(p.name for p in AutosaveStore().folder.glob("*.json"))
    assert len(records) == 2, records
    assert AutosaveStore().pending() == [], "both owners are alive: nothing is 'left from a crash'"


def test_two_killed_instances_both_come_back(tmp_path):
    path = user_file(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, signal
        from gradlab.gui.qt_setup import ensure_application
        app = ensure_application(headless=True)
        from gradlab.gui.main_window import MainWindow
        window = MainWindow(open_default=False)
        window.open_file({str(path)!r}, run=False)
        window.editor.appendPlainText("# typed by " + str(os.getpid()))
        window.document.autosave_now()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert result.returncode == -9, result.stderr
    texts = sorted(b.text.splitlines()[-1] for b in AutosaveStore().pending())
    assert len(texts) == 2 and all(t.startswith("# typed by ") for t in texts) and texts[0] != texts[1]


def test_opening_a_fifo_answers_at_once_and_the_buffer_stays(window, qtbot, tmp_path):
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    before = window.editor.toPlainText()
    started = time.monotonic()
    assert window.open_file(str(fifo)) is False
    assert time.monotonic() - started < 1.0
    assert "not a regular file" in window.problems.text() and window.editor.toPlainText() == before


def test_a_paste_larger_than_a_function_file_is_refused_at_once_and_said(window, qtbot):
    from PySide6.QtWidgets import QApplication

    before = window.editor.toPlainText()
    QApplication.clipboard().setText("x = 1\n" * 1_000_000)  # 6 MB: more than a function file may hold
    started = time.monotonic()
    window.editor.paste()
    assert time.monotonic() - started < 1.0
    assert window.editor.toPlainText() == before
    assert "paste refused" in window.statusBar().currentMessage()


def test_the_autosave_rewrites_a_record_only_when_the_text_changed(window, qtbot, tmp_path):
    path = user_file(tmp_path)
    open_user(window, qtbot, path)
    type_at_end(window, qtbot, "# typed")
    window.document.autosave_now()
    record = next(AutosaveStore().folder.glob("*.json"))
    written = record.stat().st_mtime_ns
    time.sleep(0.05)
    window.document.autosave_now()
    assert record.stat().st_mtime_ns == written, "unchanged text is not written again every 3 s"
    type_at_end(window, qtbot, "!")
    window.document.autosave_now()
    assert window.document.autosave.saved_text(str(path)).endswith("# typed!")


def test_a_file_that_does_not_answer_is_given_up_on_and_the_window_stays_live(window, qtbot, tmp_path, monkeypatch):
    import threading

    from gradlab.gui import file_reading

    path = user_file(tmp_path, "on_a_hung_mount.py")
    release = threading.Event()
    real = file_reading.read_source
    monkeypatch.setattr(file_reading, "read_source", lambda p: release.wait(30) and real(p))  # a read that hangs
    monkeypatch.setattr(file_reading, "READ_TIMEOUT_S", 0.5)
    before = window.editor.toPlainText()
    started = time.monotonic()
    assert window.open_file(str(path)) is False
    release.set()
    assert time.monotonic() - started < 2.0
    assert "no answer within 0.5 s" in window.problems.text() and window.editor.toPlainText() == before
