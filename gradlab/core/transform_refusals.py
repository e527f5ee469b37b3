"""PyTorch refusing a torch.func transform for a Function, recognised, with how to enable it.

The texts are torch 2.13's (``torch/autograd/function.py`` and
``torch/_functorch/autograd_function.py``, ``vmap``'s own errors); a refusal
that is not recognised stays an error.
"""

from __future__ import annotations

from torch.autograd import Function

SETUP_CONTEXT = "split forward(ctx, ...) into forward(...) and setup_context(ctx, inputs, output)"
VMAP_RULE = "set generate_vmap_rule = True on the class or write a vmap staticmethod"
JVP = "add a jvp staticmethod, jvp(ctx, *input_tangents) -> output tangents (save what it needs with ctx.save_for_forward)"

#: What each transform needs of a Function (``hessian`` is ``jacfwd(jacrev(f))``).
NEEDS = {
    "vmap": ("setup_context", "vmap"),
    "jvp": ("setup_context", "jvp"),
    "jacrev": ("setup_context",),
    "jacfwd": ("setup_context", "vmap", "jvp"),
    "hessian": ("setup_context", "vmap", "jvp"),
}

#: (text in PyTorch's message, the fix) for refusals whose fix is the same whatever the class has.
_FIXED_ADVICE = (
    ("both generate_vmap_rule=True and an overridden vmap", "keep one of generate_vmap_rule = True and the vmap staticmethod"),
    (
        "calling .item() on a Tensor",
        "vmap cannot run Python that reads a tensor's value (.item()): compute it with torch ops, or write a vmap staticmethod",
    ),
    (
        "data-dependent control flow",
        "vmap cannot run an `if` on a tensor's value: use torch.where, or write a vmap staticmethod",
    ),
    (
        "doesn't have storage",
        "vmap cannot pass batched tensors through numpy or data pointers: use torch ops, or write a vmap staticmethod",
    ),
    ("Batching rule not implemented", "an op the Function uses has no vmap batching rule: write a vmap staticmethod"),
    ("Trying to use forward AD with", "an op the Function uses has no forward-mode formula: add a jvp staticmethod"),
)

#: Refusals that name one missing piece of the Function; the advice lists every piece the transform still lacks.
_MISSING_PIECE = (
    ("must override the setup_context staticmethod", "setup_context"),
    ("does not have vmap support", "vmap"),
    ("override the vmap staticmethod or set generate_vmap_rule=True", "vmap"),
    ("must implement the jvp function", "jvp"),
)


def has_pieces(cls: type) -> dict[str, bool]:
    """Which pieces the transforms need ``cls`` defines: setup_context, a vmap rule, a jvp."""
    return {
        "setup_context": cls.setup_context is not Function.setup_context,
        "vmap": bool(getattr(cls, "generate_vmap_rule", False)) or cls.vmap is not Function.vmap,
        "jvp": cls.jvp is not Function.jvp,
    }


def refusal_advice(message: str, transform: str, cls: type) -> str | None:
    """How to enable ``transform`` when ``message`` is PyTorch refusing it for ``cls``; None when it is not a refusal."""
    for text, advice in _FIXED_ADVICE:
        if text in message:
            return advice
    for text, piece in _MISSING_PIECE:
        if text in message:
            pieces = has_pieces(cls)
            missing = [name for name in NEEDS.get(transform, (piece,)) if not pieces[name]] or [piece]
            fixes = {"setup_context": SETUP_CONTEXT, "vmap": VMAP_RULE, "jvp": JVP}
            return "; ".join(fixes[name] for name in missing)
    return None
