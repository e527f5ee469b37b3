"""A custom operator whose forward runs in NumPy: torch.library.custom_op with register_fake and register_autograd.

``torch.library.custom_op`` makes an operator PyTorch treats as opaque: it
cannot look inside (here NumPy computes ``sin``), so autograd needs the
backward registered with ``register_autograd`` (``cos(x) * grad``, from the
input saved in ``setup_context``), and ``torch.compile`` needs
``register_fake`` to know the output's shape and dtype without running it.
``gradlab check`` runs ``torch.library.opcheck`` on it; with ``--transforms``
it shows what forward-mode AD does with an op that has no jvp.
"""
import numpy as np
import torch


@torch.library.custom_op("gradlab_examples::numpy_sin", mutates_args=())
def numpy_sin(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.sin(x.detach().cpu().numpy())).to(x.device)


@numpy_sin.register_fake
def _(x):
    return torch.empty_like(x)


def setup_context(ctx, inputs, output):
    (x,) = inputs
    ctx.save_for_backward(x)


def backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * torch.cos(x)


numpy_sin.register_autograd(backward, setup_context=setup_context)

EXPLORE = {"numpy_sin": {"domain": (-6.0, 6.0)}}
