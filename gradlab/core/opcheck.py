"""``torch.library.opcheck`` on a custom op, each failed test explained (:mod:`gradlab.model.opcheck`)."""

from __future__ import annotations

import torch

from gradlab.core.capture import captured_output
from gradlab.core.loading import FunctionSpec
from gradlab.model.opcheck import OPCHECK_MEANING, OPCHECK_TESTS, OpcheckResult


def run_opcheck(spec: FunctionSpec, inputs: tuple) -> OpcheckResult | None:
    """opcheck's four tests on ``spec``'s op with ``inputs``; None for a classic Function (opcheck is for operators)."""
    if spec.op is None:
        return None
    with captured_output():
        try:
            raw = torch.library.opcheck(spec.op, inputs, raise_exception=False)
        except Exception as exc:  # noqa: BLE001 - opcheck itself refused (e.g. unsupported arguments)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return OpcheckResult("fail", dict.fromkeys(OPCHECK_TESTS, "skipped"), f"opcheck could not run: {first}", {"opcheck": first})
    tests, errors, reasons = {}, {}, []
    for name in OPCHECK_TESTS:
        outcome = raw.get(name, "skipped")
        if outcome == "SUCCESS":
            tests[name] = "pass"
        elif isinstance(outcome, BaseException):
            tests[name] = "fail"
            errors[name] = str(outcome).strip().splitlines()[0] if str(outcome).strip() else type(outcome).__name__
            reasons.append(f"{name}: {OPCHECK_MEANING[name]} (PyTorch: {errors[name]})")
        else:
            tests[name] = "skipped"
    status = "fail" if errors else "pass"
    return OpcheckResult(status, tests, "; ".join(reasons) if reasons else "all of opcheck's tests passed", errors)
