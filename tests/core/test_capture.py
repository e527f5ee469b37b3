"""What user code writes is captured with a cap: ``print``, and writes to file descriptors 1 and 2."""

import faulthandler
import os
import subprocess
import sys
import warnings

from gradlab.core.capture import STDOUT_LIMIT, captured_output


def test_writes_to_descriptors_1_and_2_are_captured_not_shown(capfd):
    with captured_output() as captured:
        print("from print")
        os.write(1, b"to fd 1\n")
        os.write(2, b"to fd 2\n")
    assert captured.stdout.startswith("from print\n")
    assert "to fd 1\n" in captured.stdout and "to fd 2\n" in captured.stdout
    assert captured.dropped_chars == 0
    shown = capfd.readouterr()
    assert shown.out == "" and shown.err == ""


def test_a_descriptor_flood_is_capped_and_counted(capfd):
    with captured_output() as captured:
        os.write(1, b"x" * 50_000_000)
    assert len(captured.stdout) < STDOUT_LIMIT + 200
    assert captured.dropped_chars == 50_000_000 - STDOUT_LIMIT
    assert "49,936,000 more characters of output dropped" in captured.stdout
    shown = capfd.readouterr()
    assert len(shown.out) + len(shown.err) == 0


def test_print_and_descriptors_share_one_cap():
    with captured_output(limit=10) as captured:
        print("abcdef", end="")
        os.write(1, b"0123456789")
    assert captured.stdout.startswith("abcdef0123\n")
    assert captured.dropped_chars == 6


def test_descriptors_are_restored_also_when_the_block_raises(capfd):
    try:
        with captured_output() as captured:
            os.write(1, b"before the error\n")
            raise ValueError("user code failed")
    except ValueError:
        pass
    assert captured.stdout == "before the error\n"
    os.write(1, b"after\n")
    os.write(2, b"after on 2\n")
    shown = capfd.readouterr()
    assert shown.out == "after\n" and shown.err == "after on 2\n"


def test_nested_captures_each_keep_their_own_output():
    with captured_output() as outer:
        os.write(1, b"outer 1\n")
        with captured_output() as inner:
            os.write(1, b"inner\n")
        os.write(1, b"outer 2\n")
    assert inner.stdout == "inner\n"
    assert outer.stdout == "outer 1\nouter 2\n"


def test_a_child_process_output_is_captured():
    with captured_output() as captured:
        subprocess.run([sys.executable, "-c", "import os; os.write(1, b'from a child\\n')"], check=True)
    assert captured.stdout == "from a child\n"


def test_warnings_are_still_recorded_and_faulthandler_writes_to_its_own_file(tmp_path):
    trace = tmp_path / "trace.txt"
    with open(trace, "w") as handle, captured_output() as captured:
        warnings.warn("careful", UserWarning, stacklevel=1)
        faulthandler.dump_traceback(file=handle)
    assert any("UserWarning: careful" in w for w in captured.warnings)
    assert "test_capture.py" in trace.read_text()
    assert "test_capture.py" not in captured.stdout
