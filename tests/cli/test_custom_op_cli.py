"""``gradlab check --json`` on a file of custom ops: their kind, opcheck in JSON, and the exit status."""

from __future__ import annotations

import json

from tests.cli.test_cli_edges import gradlab
from tests.helpers import data


def test_a_missing_register_fake_fails_with_opcheck_in_the_json():
    result = gradlab("check", data("custom_op_no_fake.py"), "--no-gradgradcheck", "--json")
    assert result.returncode == 1, result.stderr[-2000:]
    (entry,) = json.loads(result.stdout)["functions"]
    assert entry["name"] == "cube" and entry["kind"] == "custom_op" and entry["gradcheck"]["passed"] is True
    opcheck = entry["opcheck"]
    assert opcheck["status"] == "fail"
    assert opcheck["tests"] == {"test_schema": "pass", "test_autograd_registration": "pass", "test_faketensor": "fail", "test_aot_dispatch_dynamic": "fail"}
    assert "register_fake is missing" in opcheck["message"]

