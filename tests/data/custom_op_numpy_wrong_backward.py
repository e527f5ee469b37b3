"""A NumPy-backed custom op whose registered backward is wrong (2x² for x³): autograd of forward cannot say more than finite differences."""
import numpy as np
import torch


@torch.library.custom_op("gradlab_tests::cube_wrong", mutates_args=())
def cube(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.power(x.detach().numpy(), 3))


@cube.register_fake
def _(x):
    return torch.empty_like(x)


def setup_context(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])


def backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return 2 * x * x * grad


cube.register_autograd(backward, setup_context=setup_context)
