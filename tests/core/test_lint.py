"""Lint of function-file sources: each pattern, its line, and its fix."""

import textwrap

from gradlab.model.lint import lint_source
from tests.helpers import BUILTIN_FILES, builtin, data

BAD = textwrap.dedent(
    '''
    import torch
    from torch.autograd import Function, Variable


    class Bad(Function):
        def forward(ctx, x, y):
            ctx.x = x
            ctx.shape = x.shape
            ctx.alpha = 2.0
            z = torch.exp(x)
            ctx.z = z
            return z * y

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.z
    '''
)


def findings_by_code(source):
    return {(f.code, f.line) for f in lint_source(source)}


def test_each_pattern_is_found_on_its_line_with_a_fix():
    found = findings_by_code(BAD)
    assert ("variable", 3) in found
    assert ("non-static", 7) in found
    assert ("ctx-attribute", 8) in found and ("ctx-attribute", 12) in found
    assert ("gradient-count", 16) in found
    assert all(f.fix for f in lint_source(BAD))


def test_metadata_and_plain_numbers_on_ctx_are_fine():
    lines = {line for code, line in findings_by_code(BAD) if code == "ctx-attribute"}
    assert 9 not in lines and 10 not in lines  # ctx.shape = x.shape, ctx.alpha = 2.0


def test_the_legacy_tutorial_example_gets_its_two_findings():
    codes = {f.code for f in lint_source(open(builtin("multiply_add.py"), encoding="utf-8").read())}
    assert codes == {"variable", "saved-variables"}


def test_modern_builtins_are_clean():
    for path in BUILTIN_FILES:
        if path.stem != "multiply_add":
            assert lint_source(path.read_text(encoding="utf-8")) == [], path


def test_a_backward_returning_too_few_gradients_is_flagged_before_running():
    findings = lint_source(open(data("wrong_count.py"), encoding="utf-8").read())
    assert [f.code for f in findings] == ["gradient-count"]
    assert "forward takes 2 (x, y)" in findings[0].message


def test_unparseable_source_gives_no_findings():
    assert lint_source("def broken(:\n") == []
