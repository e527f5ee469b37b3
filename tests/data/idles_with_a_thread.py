"""A Function file whose module level starts a non-daemon thread and a `sleep` process, both forever.

The sleep's argument is $GRADLAB_TEST_SLEEP (default 1000).
"""
import os
import subprocess
import threading
import time

from torch.autograd import Function

subprocess.Popen(["sleep", os.environ.get("GRADLAB_TEST_SLEEP", "1000")])
threading.Thread(target=lambda: time.sleep(10**6), daemon=False).start()


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output
