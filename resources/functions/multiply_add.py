"""MultiplyAdd w * x + b: the tutorial's first Function, in its legacy style.

Computes ``w * x + b`` elementwise. The backward is the product rule written
out: ``grad_w = grad * x``, ``grad_x = grad * w``, ``grad_b = grad * 1``, one
gradient per forward argument, in order.

The file keeps the tutorial's 2018 style on purpose: it imports ``Variable``,
forward and backward print the type of ``x``, and backward reads
``ctx.saved_variables``, a deprecated alias of ``ctx.saved_tensors`` that now
raises a DeprecationWarning (use ``ctx.saved_tensors`` in new code). Since
PyTorch 0.4 merged Variable into Tensor, both prints show
``<class 'torch.Tensor'>``; the tutorial showed FloatTensor and Variable.

The tutorial calls it two ways, with ``x = torch.ones(1)`` not requiring grad
and ``w``, ``b`` requiring it. First, ``z = MultiplyAdd.apply(w, x, b)`` then
``z.backward()``: w.grad and b.grad become 1, and x.grad stays None because x
does not require grad. Second, ``z.grad_fn.apply(torch.ones(1))`` calls
backward directly and returns its raw tuple ``(grad_w, grad_x, grad_b)``,
which is ``(1, w, 1)`` at x = 1, grad_x included.

gradcheck passes; gradgradcheck passes (backward uses differentiable tensor
ops). Plots sweep x with w = 0.5 and b = 0.25: a line of slope 0.5, f'' = 0.
Expect the prints and the DeprecationWarning in the captured output.
"""
from torch.autograd import Function, Variable


class MultiplyAdd(Function):
    @staticmethod
    def forward(ctx, w, x, b):
        print('type in forward', type(x))
        ctx.save_for_backward(w, x)
        output = w * x + b
        return output

    @staticmethod
    def backward(ctx, grad_output):
        w, x = ctx.saved_variables
        print('type in backward', type(x))
        grad_w = grad_output * x
        grad_x = grad_output * w
        grad_b = grad_output * 1
        return grad_w, grad_x, grad_b


EXPLORE = {
    "MultiplyAdd": {
        "domain": (-3.0, 3.0),
        "sweep": 1,                   # plot against x
        "fixed": (0.5, 1.0, 0.25),    # w = 0.5, b = 0.25; the x entry is ignored
    },
}
