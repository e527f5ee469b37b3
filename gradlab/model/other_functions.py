"""Other Functions a benchmark can time against the current one.  No torch, no Qt.

A user who writes a second version of a Function — in the same file or in
another open one — wants the two in one table.  Only Functions whose
``forward`` takes as many arguments as the current one's qualify: the same
inputs are fed to every implementation.
"""

from __future__ import annotations

import os

from gradlab.model.results import FileInfo, FunctionInfo


def other_label(name: str, path: str, same_file: bool) -> str:
    """How another Function is named among the implementations: ``Fast.apply`` or ``Fast.apply (fast.py)``."""
    return f"{name}.apply" if same_file else f"{name}.apply ({os.path.basename(path)})"


def same_signature(current, candidate) -> bool:
    """Whether ``candidate`` can be called with ``current``'s inputs (FunctionInfos or FunctionSpecs: their ``arg_names``)."""
    return len(candidate.arg_names) == len(current.arg_names)


def other_functions(current_path: str, current: FunctionInfo, files: dict[str, FileInfo]) -> dict[str, tuple[str, str]]:
    """Label → (path, Function name) of every other Function with the same arguments.

    Parameters
    ----------
    current_path : str
        The file of the Function being benchmarked.
    current : FunctionInfo
        The Function being benchmarked.
    files : dict of str to FileInfo
        The loaded files to look in, by path; the current file among them.
    """
    found: dict[str, tuple[str, str]] = {}
    for path, info in files.items():
        same_file = os.path.abspath(path) == os.path.abspath(current_path)
        for candidate in info.functions:
            if (same_file and candidate.name == current.name) or not same_signature(current, candidate):
                continue
            found[other_label(candidate.name, path, same_file)] = (path, candidate.name)
    return found
