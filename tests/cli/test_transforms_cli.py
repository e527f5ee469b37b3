"""``gradlab check --transforms``: the matrix in text and JSON, and its exit status."""

from __future__ import annotations

import json

from tests.cli.test_cli_edges import data, gradlab

KEYS = ["vmap", "jvp", "jacrev", "jacfwd", "hessian", "compile"]


def test_a_wrong_jvp_fails_the_check_and_every_key_is_in_the_json():
    result = gradlab("check", data("transforms_wrong_jvp.py"), "--transforms", "--no-gradgradcheck", "--json")
    assert result.returncode == 1, result.stderr[-2000:]
    (function,) = json.loads(result.stdout)["functions"]
    matrix = function["transforms"]
    assert list(matrix) == KEYS and function["kind"] == "Function"
    assert matrix["jvp"]["status"] == "fail" and "the hand-written jvp is wrong" in matrix["jvp"]["message"]
    assert matrix["jacfwd"]["status"] == "fail" and matrix["jacrev"]["status"] == "pass"
    assert function["gradcheck"]["passed"] is True  # backward-only checks cannot see it


def test_an_old_style_function_is_unsupported_with_the_way_to_enable_it_which_is_no_failure():
    result = gradlab("check", data("transforms_legacy.py"), "--function", "LegacySquare", "--transforms", "--no-gradgradcheck")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("vmap"))
    assert "unsupported" in line and "setup_context" in line and "generate_vmap_rule = True" in line

