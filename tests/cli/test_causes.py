"""Issue 12's causes through `gradlab check --json`: saved intermediates, the Taylor test, kinks."""

import json
import subprocess
import sys

from tests.helpers import data


def check_json(path: str, *flags: str) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-m", "gradlab", "check", path, "--json", *flags], capture_output=True, text=True, timeout=240)
    return out.returncode, json.loads(out.stdout)


def test_a_saved_intermediate_is_named_with_its_line_as_the_cause_of_a_failed_gradgradcheck():
    code, report = check_json(data("gelu_tanh_numbers.py"))
    entry = report["functions"][0]
    assert code == 1 and entry["gradcheck"]["passed"] is True and entry["gradgradcheck"]["passed"] is False
    hint = entry["gradgradcheck"]["hint"]
    assert "forward saves tanh_inner (line 14" in hint and "@once_differentiable" in hint
    assert "compare f\u2032" not in hint, "not blamed on f\u2032, which is exact"
    assert entry["capabilities"]["double_backward"].startswith("no: forward saves tanh_inner (line 14)")


def test_the_taylor_test_is_in_the_json_and_tells_a_wrong_gradient_from_a_right_one():
    _code, wrong = check_json(data("wrong_sign.py"))
    taylor = wrong["functions"][0]["taylor"]
    assert taylor["passed"] is False and abs(taylor["slope"] - 1.0) < 0.2
    _code, right = check_json(data("gelu_tanh_numbers.py"))
    assert right["functions"][0]["taylor"]["passed"] is True and abs(right["functions"][0]["taylor"]["slope"] - 2.0) < 0.2
    assert right["functions"][0]["kind"] == "Function"


def test_inputs_on_a_kink_are_moved_off_it_and_the_check_says_so():
    code, report = check_json(data("relu_at_zero.py"))
    entry = report["functions"][0]
    assert code == 0 and entry["gradcheck"]["passed"] is True, entry["gradcheck"]
    assert any("kink" in warning and "moved" in warning for warning in entry["warnings"])
    assert entry["taylor"]["passed"] is True, "the Taylor test runs at the same, moved, points"
