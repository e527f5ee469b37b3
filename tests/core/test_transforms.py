"""The transform matrix: vmap, jvp, jacrev, jacfwd, hessian and torch.compile against their references."""

import json

import pytest

from gradlab.core.loading import load_function_file
from gradlab.core.transform_refusals import refusal_advice
from gradlab.core.transforms import run_transforms, transform_work
from gradlab.model.progress import finish
from gradlab.model.transforms import TRANSFORMS, TransformResult, transforms_text, transforms_to_json
from tests.helpers import data

FUNCTORCH = TRANSFORMS[:-1]


def spec_of(name: str, function: str | None = None):
    return load_function_file(data(name)).function(function)


@pytest.fixture(scope="module")
def right():
    return run_transforms(spec_of("transforms_exp.py"))


@pytest.fixture(scope="module")
def legacy():
    return run_transforms(spec_of("transforms_legacy.py", "LegacySquare"))


def test_a_function_with_setup_context_vmap_rule_and_right_jvp_passes_every_transform(right):
    assert list(right) == list(TRANSFORMS)
    assert {name: r.status for name, r in right.items()} == dict.fromkeys(TRANSFORMS, "pass")
    assert right["jvp"].detail["reference"] == "autograd of forward"
    assert right["vmap"].detail["reference"] == "the forward called per sample"


def test_it_compiles_cleanly_and_the_compiled_backward_is_the_hand_written_one(right):
    detail = right["compile"].detail
    assert detail["backend"] == "aot_eager"
    assert (detail["graphs"], detail["graph_breaks"], detail["break_reasons"]) == (1, 0, [])
    assert detail["custom_backward_used"] is True
    # torch 2.13 differentiates the traced forward in compiled forward-mode AD; the report says so
    assert isinstance(detail["custom_jvp_used"], bool)
    assert ("ignores the hand-written jvp" in right["compile"].message) == (detail["custom_jvp_used"] is False)


def test_legacy_style_is_unsupported_with_setup_context_advice_and_pytorchs_text(legacy):
    for name in FUNCTORCH:
        result = legacy[name]
        assert result.status == "unsupported", name
        assert "setup_context(ctx, inputs, output)" in result.message
        assert "must override the setup_context staticmethod" in result.detail["refusal"]
        assert not result.failed
    assert "generate_vmap_rule = True" in legacy["vmap"].message
    assert "jvp staticmethod" in legacy["jacfwd"].message
    assert "generate_vmap_rule" not in legacy["jacrev"].message  # jacrev needs only setup_context
    assert legacy["compile"].status == "pass"
    assert legacy["compile"].detail["custom_backward_used"] is True


def test_a_wrong_jvp_fails_jvp_and_jacfwd_and_names_the_worst_element():
    results = run_transforms(spec_of("transforms_wrong_jvp.py"), transforms=FUNCTORCH)
    assert results["jvp"].status == results["jacfwd"].status == "fail"
    assert results["vmap"].status == results["jacrev"].status == "pass"
    assert results["hessian"].status == "fail"  # jacfwd(jacrev(f)) runs the jvp too
    message = results["jvp"].message
    assert "max |difference|" in message and "at tangent of output[" in message and "jvp is wrong" in message
    assert results["jvp"].detail["max_abs_diff"] > 1
    assert results["jacfwd"].detail["where"].startswith("d output[")
    assert results["jvp"].failed


def test_a_legacy_jvp_that_torch_func_cannot_reach_is_still_checked_through_forward_ad():
    result = run_transforms(spec_of("transforms_legacy.py", "LegacyWrongJvp"), transforms=("jvp",))["jvp"]
    assert result.status == "fail"
    assert "torch.func.jvp refuses" in result.message and "forward_ad" in result.message


def test_a_forward_autograd_cannot_follow_is_checked_against_finite_differences():
    results = run_transforms(spec_of("transforms_numpy.py"), transforms=("vmap", "jacrev", "hessian"))
    assert results["jacrev"].status == "pass"
    assert results["jacrev"].detail["reference"] == "finite differences"
    assert results["vmap"].status == "unsupported" and "generate_vmap_rule = True" in results["vmap"].message
    assert results["hessian"].status == "unsupported"


def test_a_graph_break_is_counted_with_its_reason_and_line():
    result = run_transforms(spec_of("transforms_graph_break.py"), transforms=("compile",))["compile"]
    assert result.status == "pass"
    assert result.detail["graph_breaks"] >= 1
    assert any("item()" in reason and "(line 8)" in reason for reason in result.detail["break_reasons"])
    assert "graph break" in result.message


def test_a_forward_that_raises_makes_every_transform_an_error_and_stops_nothing():
    results = run_transforms(spec_of("raises_in_forward.py"))
    assert list(results) == list(TRANSFORMS)
    assert all(r.status == "error" and "raises_in_forward.py:" in r.message for r in results.values())


def test_the_work_yields_each_transform_as_it_finishes():
    steps = []
    results = finish(transform_work(spec_of("transforms_exp.py"), transforms=("jvp", "vmap")), steps.append)
    assert [(s.done, s.total, s.item[0]) for s in steps] == [(1, 2, "jvp"), (2, 2, "vmap")]
    assert list(results) == ["jvp", "vmap"]
    with pytest.raises(ValueError, match="unknown transforms"):
        run_transforms(spec_of("transforms_exp.py"), transforms=("grad",))


def test_refusal_texts_are_recognised_and_other_errors_are_not():
    TransformableExp = spec_of("transforms_exp.py").cls  # noqa: N806 - a Function with every piece
    assert "vmap staticmethod" in refusal_advice("it does not have vmap support. Please override", "vmap", TransformableExp)
    assert "jvp staticmethod" in refusal_advice("You must implement the jvp function for custom", "jvp", TransformableExp)
    assert refusal_advice("RuntimeError: shapes do not match", "vmap", TransformableExp) is None


def test_json_is_keyed_in_order_with_status_message_and_detail(right):
    shaped = transforms_to_json(right)
    assert list(shaped) == list(TRANSFORMS)
    assert set(shaped["compile"]) == {"status", "message", "detail"}
    assert json.loads(json.dumps(shaped))["compile"]["detail"]["graph_breaks"] == 0
    assert transforms_text(right).splitlines()[0].startswith("vmap")
    with pytest.raises(ValueError):
        TransformResult("passed")
