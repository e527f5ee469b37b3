"""Bad input at the edges, through the real command line: exit 2 with one clear message, never a traceback.

Covers a file that deletes itself while loading, strict JSON (``null`` for NaN
and infinities), argument validation, ``--against`` files that crash, the
bounds on points and sizes, and floods written straight to file descriptors.
"""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from gradlab.model.options import MAX_POINTS
from tests.helpers import builtin, data


def gradlab(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "gradlab", *args], capture_output=True, text=True, timeout=timeout)


def strict_json(text: str):
    """Parse as RFC 8259 JSON: bare NaN, Infinity and -Infinity are errors, as in most parsers outside Python."""

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def assert_no_traceback(result):
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


# -- a file that deletes itself -------------------------------------------
def test_check_of_a_file_that_deletes_itself_exits_2_with_a_message(tmp_path):
    path = shutil.copy(data("deletes_itself.py"), tmp_path / "deletes_itself.py")
    result = gradlab("check", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert_no_traceback(result)
    assert f"{path}:7" in result.stderr and "FileNotFoundError" in result.stderr


def test_check_json_of_a_file_that_deletes_itself_is_one_object_with_the_error(tmp_path):
    path = shutil.copy(data("deletes_itself.py"), tmp_path / "deletes_itself.py")
    result = gradlab("check", str(path), "--json")
    assert result.returncode == 2
    assert_no_traceback(result)
    report = strict_json(result.stdout)
    assert f"{path}:7" in report["error"]


def test_check_json_of_a_missing_file_is_one_object_with_the_error(tmp_path):
    result = gradlab("check", str(tmp_path / "gone.py"), "--json")
    assert result.returncode == 2
    assert "cannot read the file" in strict_json(result.stdout)["error"]


@pytest.mark.parametrize("command", ["check", "plot", "bench"])
def test_a_folder_given_as_the_file_gives_one_message(command, tmp_path):
    extra = {"check": [], "plot": ["--out", str(tmp_path / "x.csv")], "bench": ["--sizes", "100"]}[command]
    result = gradlab(command, str(tmp_path), *extra)
    assert result.returncode == 2 and "not a regular file (a folder)" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize(("command", "name"), [("plot", "out.csv"), ("bench", "out.json")])
def test_an_out_path_that_is_a_folder_is_refused_before_running(command, name, tmp_path):
    folder = tmp_path / name
    folder.mkdir()
    extra = ["--sizes", "100"] if command == "bench" else []
    result = gradlab(command, builtin("sigmoid.py"), "--out", str(folder), *extra)
    assert result.returncode == 2 and "is a folder" in result.stderr
    assert "[1/" not in result.stderr, "refused before timing"
    assert_no_traceback(result)


# -- strict JSON ----------------------------------------------------------
def test_check_json_writes_null_for_nan():
    result = gradlab("check", data("produces_nan.py"), "--json")
    assert result.returncode == 1
    gradcheck = strict_json(result.stdout)["functions"][0]["gradcheck"]
    assert gradcheck["passed"] is False and gradcheck["max_abs_error"] is None


def test_bench_json_and_out_are_strict_json(tmp_path):
    out = tmp_path / "report.json"
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--min-run-time", "0.01", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert strict_json(out.read_text(encoding="utf-8")) == strict_json(result.stdout)


# -- argument validation ----------------------------------------------------
def test_plot_takes_a_domain_in_scientific_notation_with_negative_numbers(tmp_path):
    out = tmp_path / "tiny.csv"
    result = gradlab("plot", builtin("square.py"), "--domain", "-1e-3", "1e-3", "--points", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    xs = [float(row["x"]) for row in csv.DictReader(out.open(encoding="utf-8"))]
    assert xs == [-1e-3, 0.0, 1e-3]
    # The same road for two negative numbers in other spellings: the parser is what differs.
    from gradlab.cli import _plot_parser

    both_negative = _plot_parser().parse_args([builtin("square.py"), "--domain", "-2.5E+0", "-.5", "--points", "2", "--out", str(out)])
    assert tuple(both_negative.domain) == (-2.5, -0.5)


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (["plot", "--domain", "1", "1"], "--domain", "LO must be below HI"),
        (["plot", "--domain", "2", "-1e-3"], "--domain", "LO must be below HI"),
        (["plot", "--domain", "nan", "1"], "--domain", "finite number"),
        (["plot", "--domain", "-inf", "1"], "--domain", "finite number"),
        (["plot", "--points", "0"], "--points", "from 2 to 1,000,001"),
        (["plot", "--points", "-5"], "--points", "from 2 to 1,000,001"),
        (["plot", "--points", "10000000"], "--points", "from 2 to 1,000,001"),
        (["plot", "--points", "2.5"], "--points", "whole number"),
        (["plot", "--timeout", "nan"], "--timeout", "finite number above 0"),
        (["plot", "--timeout", "-1"], "--timeout", "finite number above 0"),
        (["check", "--timeout", "inf"], "--timeout", "finite number above 0"),
        (["check", "--timeout", "0"], "--timeout", "finite number above 0"),
        (["check", "--eps", "0"], "--eps", "above 0"),
        (["check", "--atol", "-1e-3"], "--atol", "at least 0"),
        (["check", "--shape", "1e30"], "--shape", "2,147,483,648"),
        (["check", "--seed", "-1"], "--seed", "from 0"),
        (["bench", "--timeout", "nan"], "--timeout", "finite number above 0"),
        (["bench", "--min-run-time", "nan"], "--min-run-time", "finite number above 0"),
        (["bench", "--threads", "0"], "--threads", "at least 1"),
        (["bench", "--sizes", "1e30"], "--sizes", "2,147,483,648 (2**31) elements"),
        (["bench", "--sizes", "100000x100000x100000"], "--sizes", "2,147,483,648 (2**31) elements"),
        (["bench", "--sizes", "inf"], "--sizes", "whole numbers"),
    ],
)
def test_bad_arguments_are_refused_naming_the_flag(args, flag, words, tmp_path):
    command, *flags = args
    out = ["--out", str(tmp_path / "x.csv")] if command == "plot" else []
    result = gradlab(command, builtin("sigmoid.py"), *flags, *out, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"argument {flag}" in result.stderr and words in result.stderr, result.stderr
    assert_no_traceback(result)


# -- --against files that crash --------------------------------------------
def test_an_against_file_that_kills_the_engine_while_loading_is_named():
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--min-run-time", "0.01", "--against", data("aborts_on_import.py"))
    assert result.returncode == 2
    message = next(line for line in result.stderr.splitlines() if line.startswith("gradlab:"))
    assert message.startswith(f"gradlab: {data('aborts_on_import.py')}:4 (--against): the engine process died"), result.stderr
    assert "sigmoid.py" not in message


def test_an_against_file_that_kills_the_engine_in_forward_is_named():
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--min-run-time", "0.01", "--against", data("aborts.py"))
    assert result.returncode == 2
    message = next(line for line in result.stderr.splitlines() if line.startswith("gradlab:"))
    assert message.startswith(f"gradlab: {data('aborts.py')}:10 (--against):"), message
    assert "hint: the --against file" in result.stderr


def test_an_against_file_that_raises_while_loading_is_a_note_naming_it():
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--min-run-time", "0.01", "--against", data("raises_on_load.py"))
    assert result.returncode == 0, result.stderr
    assert f"not timed: {data('raises_on_load.py')}:4: loading the file raised ZeroDivisionError" in result.stdout


@pytest.mark.parametrize("culprit", ["exits_on_import.py", "exits_in_forward.py"])
def test_an_against_file_that_exits_without_a_stack_dump_is_named(culprit):
    """os._exit (or the OOM killer) leaves no faulthandler dump: the last file the engine entered is named."""
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--min-run-time", "0.01", "--against", data(culprit))
    assert result.returncode == 2
    message = next(line for line in result.stderr.splitlines() if line.startswith("gradlab:"))
    assert message.startswith(f"gradlab: {data(culprit)}: the engine process died (exit code 3)"), result.stderr
    assert "sigmoid.py" not in message


def test_a_crash_in_the_main_file_is_still_blamed_on_it():
    result = gradlab("bench", data("aborts.py"), "--sizes", "100", "--min-run-time", "0.01", "--against", builtin("sigmoid.py"))
    assert result.returncode == 2
    assert f"gradlab: {data('aborts.py')}:10: the engine process died" in result.stderr


# -- bounds on what a request may return -----------------------------------
def test_a_large_csv_is_streamed_across_chunks_with_every_row(tmp_path):
    out = tmp_path / "many.csv"
    result = gradlab("plot", builtin("square.py"), "--domain", "0", "25", "--points", "25001", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25001
    assert [float(rows[i]["x"]) for i in (0, 9_999, 10_000, 25_000)] == [0.0, 9.999, 10.0, 25.0]
    assert float(rows[10_000]["df"]) == 20.0 and float(rows[-1]["d2f"]) == 2.0


def test_the_core_refuses_more_points_than_the_maximum():
    """The window sends its requests straight to the engine: the limit holds there too."""
    from gradlab.core.curves import compute_curves
    from gradlab.core.loading import load_function_file
    from gradlab.model.problems import UserCodeError

    spec = load_function_file(builtin("sigmoid.py")).functions[0]
    for points, domain in ((MAX_POINTS + 1, None), (1, None), (11, (1.0, -1.0)), (11, (0.0, float("inf")))):
        with pytest.raises(UserCodeError) as raised:
            compute_curves(spec, domain=domain, points=points)
        assert raised.value.problem.kind == "options" and "cannot plot Sigmoid" in raised.value.problem.message


# -- floods written to file descriptors ------------------------------------
def test_a_descriptor_flood_is_capped_with_a_note():
    result = gradlab("check", data("floods_descriptors.py"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stderr) < 1_000_000 and len(result.stdout) < 1_000_000
    assert "more characters of output dropped" in result.stdout
    report = strict_json(gradlab("check", data("floods_descriptors.py"), "--json").stdout)
    assert "49,936,000 more characters of output dropped" in report["functions"][0]["stdout"]


def test_plot_notes_a_descriptor_flood(tmp_path):
    result = gradlab("plot", data("floods_descriptors.py"), "--points", "11", "--out", str(tmp_path / "flood.csv"))
    assert result.returncode == 0
    assert len(result.stderr) < 1_000_000
    assert "more characters of output than gradlab keeps; they were dropped" in result.stderr
