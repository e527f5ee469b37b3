"""Where a person reads a failed check's cause and numbers: ``gradlab check`` (text and JSON) and the Gradcheck panel."""

import json
import subprocess
import sys

import pytest
import torch

from tests.helpers import builtin, data


def gradlab(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "gradlab", *args], capture_output=True, text=True, timeout=timeout)


def check_json(*args) -> tuple[int, dict]:
    result = gradlab("check", *args, "--json")
    return result.returncode, json.loads(result.stdout)


def test_a_differentiated_setting_is_explained_and_constants_make_it_pass():
    failed = gradlab("check", data("power.py"))
    assert failed.returncode == 1
    assert "gradcheck: FAILED" in failed.stdout and "with respect to input 1" in failed.stdout
    assert "hint: backward returned None for k, but k requires grad" in failed.stdout
    assert '"constants": {"k": VALUE}' in failed.stdout
    passed = gradlab("check", data("power_constant.py"))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "gradcheck: passed" in passed.stdout and "gradgradcheck: passed" in passed.stdout


def test_the_tutorials_float32_check_is_blamed_on_precision_with_evidence():
    result = gradlab("check", builtin("sigmoid.py"), "--dtype", "float32", "--eps", "1e-3")
    assert result.returncode == 1, "the verdict stays PyTorch's"
    assert "hint: passes in float64 at the same points: the finite differences of float32 are too coarse at eps=0.001 (try eps=" in result.stdout
    assert "disagrees" not in result.stdout
    status, report = check_json(builtin("sigmoid.py"), "--dtype", "float32", "--eps", "1e-3")
    gradcheck = report["functions"][0]["gradcheck"]
    assert status == 1 and gradcheck["passed"] is False and gradcheck["float64_passed"] is True
    assert gradcheck["suggested_eps"] > 1e-3
    retry = gradlab("check", builtin("sigmoid.py"), "--dtype", "float32", "--eps", f"{gradcheck['suggested_eps']:.2g}", "--no-gradgradcheck")
    assert retry.returncode == 0, retry.stdout


def test_a_failure_prints_and_serialises_the_numbers_at_the_worst_entry():
    result = gradlab("check", data("wrong_sign.py"))
    assert result.returncode == 1
    numbers = next(line.strip() for line in result.stdout.splitlines() if line.strip().startswith("at x["))
    assert "backward -" in numbers and "finite differences" in numbers and "autograd of forward" in numbers
    assert numbers.endswith("relative difference 2")
    _, report = check_json(data("wrong_sign.py"))
    worst = report["functions"][0]["gradcheck"]["worst"]
    assert set(worst) == {"input", "output", "input_value", "backward", "finite_differences", "autograd_of_forward", "relative_difference"}
    assert worst["input"].startswith("x[") and worst["output"].startswith("out[")
    assert worst["backward"] == pytest.approx(-2 * worst["input_value"])
    assert worst["finite_differences"] == pytest.approx(2 * worst["input_value"], rel=1e-6)
    assert worst["autograd_of_forward"] == pytest.approx(2 * worst["input_value"])
    assert worst["relative_difference"] == pytest.approx(2.0, rel=1e-6)


def test_the_gradgradcheck_summary_matches_its_message_in_json():
    _, report = check_json(data("gelu_tanh_numbers.py"))
    second = report["functions"][0]["gradgradcheck"]
    assert second["passed"] is False
    worst = second["worst"]
    assert abs(worst["backward"] - worst["finite_differences"]) == pytest.approx(second["max_abs_error"])
    assert second["max_abs_error"] < 0.2, "the block PyTorch printed, with gradgradcheck's own grad_outputs"


# -- the panel ----------------------------------------------------------------
def _panel(qtbot):
    from gradlab.gui.gradcheck_panel import GradcheckPanel

    panel = GradcheckPanel()
    qtbot.addWidget(panel)
    return panel


def _checks(path, **kwargs):
    from gradlab.core.checks import run_checks
    from gradlab.core.loading import load_function_file
    from gradlab.model.progress import finish

    return finish(run_checks(load_function_file(path).functions[0], **kwargs))


def test_the_panel_shows_the_numbers_and_the_precision_hint(qtbot):
    panel = _panel(qtbot)
    checks = _checks(data("wrong_sign.py"))
    panel.show_checks(checks)
    worst = checks.gradcheck.worst
    row = panel.row_text("gradcheck")
    assert "Jacobian mismatch" in row and f"at {worst.input} = {worst.input_value:.6g}" in row
    assert "autograd of forward" in panel.result.item(0, 5).text()
    assert f"gradcheck: {worst.text()}" in panel.details.text()
    panel.show_checks(_checks(builtin("sigmoid.py"), dtype=torch.float32, eps=1e-3, gradgradcheck=False))
    assert "passes in float64 at the same points" in panel.details.text()
    panel.clear_results()
    assert panel.details.text().strip() == ""


def test_the_panel_offers_no_best_eps_for_a_wrong_backward_and_says_why(qtbot):
    from gradlab.core.checks import sweep_eps
    from gradlab.core.loading import load_function_file
    from gradlab.model.progress import finish

    panel = _panel(qtbot)
    panel.show_sweep(finish(sweep_eps(load_function_file(data("wrong_constant.py")).functions[0])))
    assert panel.sweep_info.text().startswith("not an eps problem: the error does not depend on eps")
    assert not panel.best_button.isEnabled() and panel.best_eps() is None
    panel.show_sweep(finish(sweep_eps(load_function_file(builtin("sigmoid.py")).functions[0])))
    assert "float64: best eps" in panel.sweep_info.text() and panel.best_button.isEnabled()
