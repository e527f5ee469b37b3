"""Export as pytest: a test file that reruns gradlab's checks with plain PyTorch (File › Export test…, ``check --export-test``).

:func:`pytest_file_text` writes the text; nothing here imports torch.  The
file it writes imports the function file by path, draws the inputs as
``gradlab.core.invoke.make_inputs`` does (its own copy of that logic, reading
the file's ``EXPLORE`` when the tests run), and calls PyTorch's own checks
with the options gradlab ran them with, one test per Function and check.
It needs torch and pytest, never gradlab.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence

from gradlab import __version__
from gradlab.model import pytest_template as template
from gradlab.model.options import CheckOptions

#: The torch.func transforms the file checks (gradlab's ``compile`` is left out: its backends are machine-specific).
EXPORTED_TRANSFORMS = ("vmap", "jvp", "jacrev", "jacfwd", "hessian")
#: torch.allclose tolerances of a transform against its reference, as ``gradlab.core.transforms``.
TRANSFORM_RTOL, TRANSFORM_ATOL = 1e-7, 1e-9


def pytest_file_text(
    path: str,
    functions: Sequence[str],
    options: CheckOptions,
    fixed: dict[str, float] | None = None,
    transforms: bool | None = None,
    *,
    ops: Sequence[str] = (),
    test_path: str | None = None,
    made_by: str = "gradlab check --export-test",
) -> str:
    """The text of a pytest file that reproduces gradlab's checks of ``functions`` in the file ``path``.

    Parameters
    ----------
    path : str
        The function file.
    functions : sequence of str
        The Functions to test (class names, or a custom op's variable name).
    options : CheckOptions
        seed, eps, atol, rtol, nondet_tol, fast_mode, dtype, shape,
        check_undefined_grad, and which checks run: gradgradcheck, forward AD,
        batched grad.
    fixed : dict of str to float, optional
        Values that replace the file's own ``fixed`` entries, by argument
        name: those arguments are drawn around them (gradlab's checks use the
        file's, so the default, None, reproduces them).
    transforms : bool, optional
        Also compare vmap, jvp, jacrev, jacfwd and hessian of each Function
        with the same transform of its forward under plain autograd (vmap:
        with a per-sample loop).  By default ``options.transforms``.
    ops : sequence of str
        Which of ``functions`` are ``torch.library.custom_op`` operators:
        they also get ``torch.library.opcheck``.
    test_path : str, optional
        Where the test file will be written: the function file is then
        imported by a path relative to it, when they share a folder above
        the file system's root.  Otherwise, and by default, by its absolute path.
    made_by : str
        What wrote it, for the header.

    Returns
    -------
    str
        Python source, with a header docstring saying how it was made and how to run it.
    """
    path = os.path.abspath(path)
    transforms = options.transforms if transforms is None else transforms
    ops = [name for name in functions if name in ops]
    sections = (
        ("gradgradcheck", options.gradgradcheck, template.GRADGRADCHECK),
        ("forward AD", options.forward_ad, template.FORWARD_AD),
        ("batched grad", options.batched_grad, template.BATCHED_GRAD),
        ("opcheck", bool(ops), template.OPCHECK),
        ("transforms", transforms, _transforms_section()),
    )
    chosen = [(name, code) for name, on, code in sections if on]
    head = "\n\n".join(part.strip("\n") for part in (
        _header(path, functions, options, fixed, ["gradcheck"] + [name for name, _ in chosen], made_by, test_path),
        template.IMPORTS,
        _module_path(path, test_path),
        _constants(functions, ops, options, fixed),
    ))
    parts = (head, template.HELPERS, template.GRADCHECK, *(code for _, code in chosen))
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def _transforms_section() -> str:
    text = template.TRANSFORMS
    for name, value in (("$NAMES", EXPORTED_TRANSFORMS), ("$RTOL", TRANSFORM_RTOL), ("$ATOL", TRANSFORM_ATOL)):
        text = text.replace(name, repr(value))
    return text


def export_problem(path: str) -> str:
    """Why a test file cannot be written at ``path`` (checked before a long run), or ``""``."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"folder {folder} does not exist"
    if os.path.lexists(path) and not os.path.isfile(path):
        return "exists and is not a regular file; name a new file or a .py file to replace"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "not writable"
    return ""


def write_pytest_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename); an existing file keeps its mode.

    Raises
    ------
    OSError
        When ``path`` exists but is not a regular file (a folder, a FIFO, a
        device, a link to one), or cannot be written.
    """
    target = os.path.realpath(path)
    if os.path.lexists(target) and not os.path.isfile(target):
        raise OSError("exists and is not a regular file")
    mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=".gradlab-", suffix=".tmp", dir=os.path.dirname(target))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _module_path(path: str, test_path: str | None) -> str:
    """The lines that set ``FUNCTION_FILE``: relative to the test file when they share a folder below the root, else absolute."""
    if test_path is not None:
        folder = os.path.dirname(os.path.abspath(test_path))
        try:
            shared = os.path.commonpath([folder, path])
        except ValueError:  # another drive
            shared = ""
        if shared and os.path.dirname(shared) != shared:
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            return "\n".join([
                "# The function file, relative to this test file: move them together.",
                f"# Exported from {path!r}.",
                "HERE = os.path.dirname(os.path.abspath(__file__))",
                f"FUNCTION_FILE = os.path.join(HERE, {relative!r})",
            ])
    return "# The function file, by its absolute path: edit it if the file moves.\n" + f"FUNCTION_FILE = {path!r}"


def _plain(text: str) -> str:
    """``text`` safe inside a docstring: no quotes or backslashes."""
    return text.replace("\\", "/").replace('"', "'")


def _header(path, functions, options: CheckOptions, fixed, checks, made_by, test_path) -> str:
    name = _plain(os.path.basename(test_path)) if test_path else "THIS_FILE.py"
    lines = [
        f'"""PyTorch\'s checks of {", ".join(functions)} from {_plain(os.path.basename(path))}, as gradlab ran them.',
        "",
        f"Written by gradlab {__version__} ({_plain(made_by)}). It needs torch and pytest, not gradlab:",
        "",
        f"    pytest {name}",
        "",
        f"Checks: {', '.join(checks)}.",
        f"Options: seed={options.seed}, dtype={options.dtype}, shape={tuple(options.shape)}, eps={options.eps!r},",
        f"atol={options.atol!r}, rtol={options.rtol!r}, nondet_tol={options.nondet_tol!r}, fast_mode={options.fast_mode},",
        f"check_undefined_grad={options.undefined_grad}" + (f", fixed={_plain(repr(dict(fixed)))}." if fixed else "."),
        "",
        "The inputs are drawn as gradlab draws them, from the file's EXPLORE options (domain, fixed,",
        "constants, inputs) with torch.Generator().manual_seed(SEED). Unlike gradlab, this file does not",
        "move input elements off kinks (points where f is not differentiable) before checking.",
        '"""',
    ]
    return "\n".join(lines)


def _constants(functions, ops, options: CheckOptions, fixed) -> str:
    check = {"eps": options.eps, "atol": options.atol, "rtol": options.rtol, "nondet_tol": options.nondet_tol, "fast_mode": options.fast_mode}
    return "\n".join([
        f"FUNCTIONS = {list(functions)!r}",
        f"OPS = {list(ops)!r}  # torch.library.custom_op operators among them",
        f"SEED = {options.seed!r}",
        f"SHAPE = {tuple(options.shape)!r}",
        f"DTYPE = torch.{options.dtype}",
        "# gradcheck's and gradgradcheck's options",
        f"CHECK = {check!r}",
        f"UNDEFINED_GRAD = {options.undefined_grad!r}",
        "# values that replace the file's own `fixed` entries, by argument name",
        f"FIXED = {dict(fixed or {})!r}",
    ]) + "\n"
