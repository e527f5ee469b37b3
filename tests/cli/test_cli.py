"""The command line, run as a real subprocess: exit status, JSON, CSV, PNG, bad input."""

import csv
import json
import re
import subprocess
import sys

import pytest

from tests.helpers import builtin, data


def gradlab(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "gradlab", *args], capture_output=True, text=True, timeout=timeout)


def test_check_sigmoid_passes_at_the_tutorials_eps():
    result = gradlab("check", builtin("sigmoid.py"), "--eps", "1e-3")
    assert result.returncode == 0, result.stderr
    assert "gradcheck: passed" in result.stdout and "gradgradcheck: passed" in result.stdout


def test_check_json_has_the_documented_shape():
    result = gradlab("check", builtin("multiply_add.py"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["file"] == builtin("multiply_add.py") and report["error"] is None
    (function,) = report["functions"]
    assert function["name"] == "MultiplyAdd"
    # A classic Function: its kind says so, it has no opcheck, and transforms were not asked for.
    assert function["kind"] == "Function" and function["opcheck"] is None and function["transforms"] is None
    assert function["gradcheck"]["passed"] is True and isinstance(function["gradcheck"]["message"], str)
    assert function["gradgradcheck"]["passed"] is True
    assert any("saved_variables" in w for w in function["warnings"])
    assert "type in forward" in function["stdout"]


def test_check_once_differentiable_is_not_a_failure_and_null_in_json():
    result = gradlab("check", builtin("cube_once_differentiable.py"), "--json")
    assert result.returncode == 0
    function = json.loads(result.stdout)["functions"][0]
    assert function["gradgradcheck"]["passed"] is None
    assert "once_differentiable" in function["gradgradcheck"]["message"]


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("wrong_backward_sigmoid.py", 1, "Jacobian mismatch"),
        ("wrong_count.py", 1, "backward returned 1 gradient for 2 inputs"),
        ("wrong_shape.py", 1, "invalid gradient at index 0"),
        ("produces_nan.py", 1, "NaN or inf"),
        ("syntax_error.py", 2, "syntax_error.py:6"),
        ("no_function.py", 2, "defines no torch.autograd.Function"),
        ("raises_on_load.py", 2, "raises_on_load.py:4"),
        ("raises_in_forward.py", 2, "raises_in_forward.py:9"),
        ("aborts.py", 2, "aborts.py:10"),
    ],
)
def test_check_exit_status_and_message(name, status, words):
    path = builtin(name) if name.startswith("wrong_backward") else data(name)
    result = gradlab("check", path)
    assert result.returncode == status, result.stdout + result.stderr
    assert words in result.stdout + result.stderr


def test_check_json_reports_an_unusable_file():
    result = gradlab("check", data("raises_in_forward.py"), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert "raises_in_forward.py:9" in report["error"]


def test_check_a_hang_exits_2_after_the_timeout():
    result = gradlab("check", data("hangs.py"), "--timeout", "2", timeout=60)
    assert result.returncode == 2
    assert ("hangs.py:9" in result.stderr or "hangs.py:8" in result.stderr) and "did not finish within 2 s" in result.stderr


def test_check_one_function_by_name_and_an_unknown_name():
    result = gradlab("check", data("two_functions.py"), "--function", "Second", "--json")
    assert [f["name"] for f in json.loads(result.stdout)["functions"]] == ["Second"]
    missing = gradlab("check", data("two_functions.py"), "--function", "Third")
    assert missing.returncode == 2 and "no Function called 'Third'" in missing.stderr


def test_plot_csv_gives_square_f1_10_and_f2_2_at_5(tmp_path):
    out = tmp_path / "square.csv"
    result = gradlab("plot", builtin("square.py"), "--domain", "0", "10", "--points", "11", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 11
    assert list(rows[0])[:4] == ["x", "f", "df", "d2f"]
    assert {"autograd_df", "fd_df", "autograd_d2f", "fd_d2f"} <= set(rows[0])
    row = next(r for r in rows if float(r["x"]) == 5.0)
    assert float(row["df"]) == 10.0 and float(row["d2f"]) == 2.0


def test_plot_csv_leaves_unsupported_f2_empty(tmp_path):
    out = tmp_path / "cube.csv"
    result = gradlab("plot", builtin("cube_once_differentiable.py"), "--points", "5", "--out", str(out))
    assert result.returncode == 0
    assert "once_differentiable" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert all(r["d2f"] == "" and r["df"] != "" for r in rows)


def test_plot_png_is_written(tmp_path):
    out = tmp_path / "sigmoid.png"
    result = gradlab("plot", builtin("sigmoid.py"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000


def test_plot_of_an_unusable_file_exits_2(tmp_path):
    result = gradlab("plot", data("syntax_error.py"), "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2 and "syntax_error.py:6" in result.stderr


def test_check_takes_the_panels_options_and_reports_lint_and_extra_checks():
    result = gradlab(
        "check", builtin("exp_setup_context.py"), "--json", "--shape", "2,5", "--seed", "3", "--forward-ad", "--batched-grad", "--no-undefined-grad"
    )
    assert result.returncode == 0, result.stderr
    function = json.loads(result.stdout)["functions"][0]
    assert {name: row["passed"] for name, row in function["extra"].items()} == {
        "forward AD": True,
        "batched grad (vmap)": True,
    }
    assert function["capabilities"]["setup_context"] is True
    legacy = json.loads(gradlab("check", builtin("multiply_add.py"), "--json", "--fast-mode", "--no-gradgradcheck").stdout)
    assert {f["code"] for f in legacy["lint"]} == {"variable", "saved-variables"}
    assert legacy["functions"][0]["gradgradcheck"]["passed"] is None


def test_bench_json_has_the_documented_rows_and_environment(tmp_path):
    out = tmp_path / "report.json"
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100,10x100", "--min-run-time", "0.02", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert {"torch", "device_name", "threads", "dtype"} <= set(report["environment"])
    assert len(report["rows"]) == 6
    for row in report["rows"]:
        assert {"implementation", "size", "mode", "device", "dtype", "median_s", "iqr_s", "runs"} <= set(row)
        assert row["median_s"] > 0 and row["mode"] == "both" and row["device"] == "cpu"
    assert sorted({(r["size"], tuple(r.get("shape", ()))) for r in report["rows"]}) == [(100, ()), (1000, (10, 100))]
    assert "[1/" in result.stderr and "@ 10\u00d7100" in result.stderr, "rows are reported as they are measured"


def test_bench_counts_its_cells_and_the_count_ends_at_the_number_of_cells():
    result = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100,1000", "--min-run-time", "0.01", "--json")
    assert result.returncode == 0, result.stderr
    cells = len(json.loads(result.stdout)["rows"])
    assert cells == 2 * 3, "2 sizes × 3 implementations"
    counted = re.findall(r"^\[(\d+)/(\d+)\] .+ @ [\d,]+: [\d.e+-]+ \u00b5s$", result.stderr, re.MULTILINE)
    assert [(int(i), int(n)) for i, n in counted] == [(i, cells) for i in range(1, cells + 1)], result.stderr


def test_bench_text_is_a_compare_table_with_the_why():
    result = gradlab("bench", builtin("softplus.py"), "--sizes", "1000", "--mode", "backward", "--min-run-time", "0.02")
    assert result.returncode == 0, result.stderr
    assert "size (" in result.stdout and "F.softplus" in result.stdout and "*" in result.stdout
    assert "saved for backward" in result.stdout


def test_bench_against_other_files_times_their_functions_with_the_same_arguments():
    versions = data("sigmoid_versions.py")
    result = gradlab("bench", versions, "--sizes", "1000", "--min-run-time", "0.02", "--against", versions, "--against", builtin("sigmoid.py"))
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[1]
    assert "SigmoidSavesInput.apply" in header and "Sigmoid.apply (sigmoid.py)" in header
    assert "note: Scale.apply takes 2 arguments" in result.stdout


def test_bench_on_a_missing_device_exits_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = gradlab("bench", builtin("sigmoid.py"), "--device", "cuda", "--sizes", "100")
    assert result.returncode == 2 and "not available" in result.stderr


def test_a_misspelt_explore_key_is_reported_by_check_and_plot(tmp_path):
    check = gradlab("check", data("explore_typo.py"))
    assert "EXPLORE names 'Lgo'" in check.stdout and "did you mean 'Log'" in check.stdout
    plot = gradlab("plot", data("explore_typo.py"), "--points", "101", "--out", str(tmp_path / "log.csv"))
    assert plot.returncode == 0 and "did you mean 'Log'" in plot.stderr


def test_an_out_path_that_cannot_be_written_exits_2_before_running(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    plot = gradlab("plot", builtin("sigmoid.py"), "--out", str(missing / "x.csv"))
    assert plot.returncode == 2 and "does not exist" in plot.stderr and "Traceback" not in plot.stderr
    bench = gradlab("bench", builtin("sigmoid.py"), "--sizes", "100", "--out", str(missing / "r.json"))
    assert bench.returncode == 2 and "does not exist" in bench.stderr and "[1/" not in bench.stderr, "refused before timing"
