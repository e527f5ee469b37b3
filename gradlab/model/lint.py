"""Lint a function file's source for legal-but-wrong autograd patterns.  Reads the AST; runs nothing.

Each finding comes with a one-line fix.  No torch here, so the window lints as
you type without asking the engine.
"""

from __future__ import annotations

import ast

from gradlab.model.results import LintFinding
from gradlab.model.words import counted

_METHODS = ("forward", "backward", "setup_context", "jvp", "vmap")
#: Attribute reads that give metadata, not tensors: ``ctx.shape = x.shape`` is fine.
_METADATA = {"shape", "dtype", "device", "ndim", "requires_grad", "size", "dim", "numel", "is_cuda", "layout"}


def _is_function_class(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name in ("Function", "InplaceFunction") or name.endswith("Function"):
            return True
    return False


def _is_staticmethod(function: ast.FunctionDef) -> bool:
    return any(getattr(d, "id", getattr(d, "attr", "")) == "staticmethod" for d in function.decorator_list)


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in _METHODS}


def _forward_arguments(forward: ast.FunctionDef, setup_context: bool) -> list[str]:
    args = [a.arg for a in forward.args.posonlyargs + forward.args.args]
    required = len(args) - len(forward.args.defaults)
    args = args[:required]
    return args if setup_context else args[1:]


def _looks_like_tensor(value: ast.expr, tensor_names: set[str]) -> bool:
    """A value stored on ctx that is probably a tensor: an input or output name, or arithmetic/calls on one."""
    if isinstance(value, ast.Name):
        return value.id in tensor_names
    if isinstance(value, ast.Attribute):
        return value.attr not in _METADATA and _looks_like_tensor(value.value, tensor_names)
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in _METADATA:
            return False
        if isinstance(func, ast.Attribute):
            return _looks_like_tensor(func.value, tensor_names) or getattr(func.value, "id", "") in ("torch", "F")
        return False
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return any(_looks_like_tensor(child, tensor_names) for child in ast.iter_child_nodes(value) if isinstance(child, ast.expr))
    return False


def _returned_count(backward: ast.FunctionDef) -> set[int]:
    """How many values each ``return`` of backward gives, where the source makes it plain."""
    counts = set()
    for node in ast.walk(backward):
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Tuple):
                if not any(isinstance(e, ast.Starred) for e in node.value.elts):
                    counts.add(len(node.value.elts))
            elif isinstance(node.value, (ast.BinOp, ast.UnaryOp, ast.Constant)) or (
                isinstance(node.value, ast.Call) and not isinstance(node.value.func, ast.Name)
            ):
                counts.add(1)
    return counts


def _lint_class(cls: ast.ClassDef) -> list[LintFinding]:
    findings = []
    methods = _methods(cls)
    for name, method in methods.items():
        if not _is_staticmethod(method):
            findings.append(
                LintFinding(method.lineno, "non-static", f"{cls.name}.{name} is not a @staticmethod", f"put @staticmethod above def {name}: PyTorch calls it on the class, with ctx first")
            )
    forward = methods.get("forward")
    setup_context = "setup_context" in methods
    if forward is not None:
        arguments = _forward_arguments(forward, setup_context)
        tensor_names = set(arguments)
        for node in ast.walk(forward):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
                tensor_names.add(node.value.id)
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.BinOp, ast.Call, ast.UnaryOp)):
                tensor_names.update(t.id for t in node.targets if isinstance(t, ast.Name) and _looks_like_tensor(node.value, tensor_names))
        for node in ast.walk(forward):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Attribute) and getattr(target.value, "id", "") == "ctx" and _looks_like_tensor(node.value, tensor_names):
                    findings.append(
                        LintFinding(
                            node.lineno,
                            "ctx-attribute",
                            f"ctx.{target.attr} holds a tensor",
                            "use ctx.save_for_backward(...) and ctx.saved_tensors, so autograd catches in-place changes and frees it in time",
                        )
                    )
        backward = methods.get("backward")
        if backward is not None:
            counts = _returned_count(backward)
            wrong = sorted(c for c in counts if c != len(arguments))
            if wrong and arguments:
                findings.append(
                    LintFinding(
                        backward.lineno,
                        "gradient-count",
                        f"backward returns {counted(wrong[0], 'value')} but forward takes {len(arguments)} ({', '.join(arguments)})",
                        "return one gradient per forward argument, in order, None for those that need none",
                    )
                )
    return findings


def lint_source(source: str) -> list[LintFinding]:
    """Findings for every Function class in ``source``, sorted by line; [] when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_function_class(node):
            findings += _lint_class(node)
        elif isinstance(node, ast.Attribute) and node.attr == "saved_variables":
            findings.append(LintFinding(node.lineno, "saved-variables", "ctx.saved_variables is deprecated", "use ctx.saved_tensors"))
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "Variable" for alias in node.names):
            findings.append(
                LintFinding(node.lineno, "variable", "Variable is a no-op since PyTorch 0.4", "use tensors directly: torch.tensor(..., requires_grad=True)")
            )
        elif isinstance(node, ast.Attribute) and node.attr == "Variable" and getattr(node.value, "attr", getattr(node.value, "id", "")) == "autograd":
            findings.append(
                LintFinding(node.lineno, "variable", "torch.autograd.Variable is a no-op since PyTorch 0.4", "use tensors directly: torch.tensor(..., requires_grad=True)")
            )
    return sorted(findings, key=lambda f: (f.line, f.code))
