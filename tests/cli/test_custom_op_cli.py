"""``gradlab check`` on files of custom ops: their kind, opcheck in JSON and text, and the exit status."""

from __future__ import annotations

import json

from gradlab.cli import _function_json
from gradlab.model.requests import CheckRequest, Source
from gradlab.model.results import verdict_is_failure
from tests.cli.test_cli_edges import gradlab
from tests.helpers import builtin, data


def test_a_missing_register_fake_fails_with_opcheck_in_the_json():
    result = gradlab("check", data("custom_op_no_fake.py"), "--no-gradgradcheck", "--json")
    assert result.returncode == 1, result.stderr[-2000:]
    (entry,) = json.loads(result.stdout)["functions"]
    assert entry["name"] == "cube" and entry["kind"] == "custom_op" and entry["gradcheck"]["passed"] is True
    opcheck = entry["opcheck"]
    assert opcheck["status"] == "fail"
    assert opcheck["tests"] == {"test_schema": "pass", "test_autograd_registration": "pass", "test_faketensor": "fail", "test_aot_dispatch_dynamic": "fail"}
    assert "register_fake is missing" in opcheck["message"]


def test_the_json_entry_of_a_correct_custom_op_and_of_a_function():
    """What the engine answers ``gradlab check --json`` with, in-process: kind, opcheck (custom ops only)."""
    from gradlab.engine.handlers import handle  # torch, in this process

    op = handle(CheckRequest(Source(builtin("numpy_sin_op.py")), "numpy_sin"))
    entry = _function_json(op)
    assert entry["name"] == "numpy_sin" and entry["kind"] == "custom_op" and not verdict_is_failure(op)
    assert entry["gradcheck"]["passed"] is True and entry["gradgradcheck"]["passed"] is True
    assert entry["opcheck"]["status"] == "pass" and set(entry["opcheck"]["tests"].values()) == {"pass"}
    assert entry["opcheck"]["message"] == "all of opcheck's tests passed"
    function = _function_json(handle(CheckRequest(Source(builtin("sigmoid.py")), "Sigmoid")))
    assert function["kind"] == "Function" and function["opcheck"] is None
