"""A correct NumPy-backed custom op without register_fake: opcheck's fake-tensor tests fail."""
import numpy as np
import torch


@torch.library.custom_op("gradlab_tests::cube_no_fake", mutates_args=())
def cube(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.power(x.detach().numpy(), 3))


def setup_context(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])


def backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return 3 * x * x * grad


cube.register_autograd(backward, setup_context=setup_context)
