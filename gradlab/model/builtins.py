"""Where the built-in function files live, installed or in a source checkout.  No torch here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: The example opened when gradlab starts without a file.
DEFAULT_EXAMPLE = "sigmoid.py"


def builtin_functions_dir() -> Path:
    """The folder of built-in function files.

    ``resources/`` is installed as the package ``gradlab.resources``; in a
    source checkout that is not installed it is found beside the package.
    """
    try:
        spec = importlib.util.find_spec("gradlab.resources.functions")
    except ModuleNotFoundError:  # a source checkout on PYTHONPATH, not installed
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "resources" / "functions"


def builtin_function_files() -> list[Path]:
    """The built-in function files, sorted by name."""
    return sorted(p for p in builtin_functions_dir().glob("*.py") if p.name != "__init__.py")


def default_example() -> Path:
    """The built-in Sigmoid, opened when no file is given."""
    return builtin_functions_dir() / DEFAULT_EXAMPLE


def new_function_template() -> str:
    """The text of File › New: a small Function to start from."""
    return (builtin_functions_dir().parent / "templates" / "new_function.py").read_text(encoding="utf-8")


def describe_file(path: str | Path) -> str:
    """The first line of a function file's docstring, read without running the file."""
    import ast

    try:
        source = Path(path).read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(source)) or ""
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
