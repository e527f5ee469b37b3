"""``torch.library.opcheck``'s verdict on a custom op, with each failure said in words.  No torch here."""

from __future__ import annotations

from dataclasses import dataclass, field

#: opcheck's tests, in the order it runs them.
OPCHECK_TESTS = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")

#: What a failure of each test usually means, and what to do.
OPCHECK_MEANING = {
    "test_schema": "the schema does not match what the op does: it mutates an input it does not declare in mutates_args, or returns an alias of an input",
    "test_autograd_registration": "autograd is registered the wrong way: use op.register_autograd(backward, setup_context=...) rather than a kernel for the Autograd key",
    "test_faketensor": "register_fake is missing, or returns a wrong shape/stride/dtype: add @op.register_fake returning torch.empty_like(...) of the right shape",
    "test_aot_dispatch_dynamic": "the op does not trace under torch.compile's AOT dispatch with dynamic shapes: its fake implementation or its backward does something traced code cannot (data-dependent shapes, numpy on fake tensors)",
}


@dataclass
class OpcheckResult:
    """``status`` is ``"pass"`` or ``"fail"``; ``tests`` maps each of :data:`OPCHECK_TESTS` to ``"pass"``, ``"fail"`` or ``"skipped"``; ``message`` says why in words."""

    status: str
    tests: dict[str, str] = field(default_factory=dict)
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"status": self.status, "tests": dict(self.tests), "message": self.message, "errors": dict(self.errors)}

    def summary(self) -> str:
        """One line: ``opcheck: FAILED test_faketensor — register_fake is missing, …``."""
        if self.status == "pass":
            return "opcheck: passed (" + ", ".join(f"{name} {verdict}" for name, verdict in self.tests.items()) + ")"
        return f"opcheck: FAILED \u2014 {self.message}"
