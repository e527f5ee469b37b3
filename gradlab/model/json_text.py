"""Strict JSON (RFC 8259) for everything gradlab writes: no bare NaN or Infinity, which most parsers reject."""

from __future__ import annotations

import json
import math


def finite(value):
    """``value`` ready for strict JSON: NaN and infinities become None (``null``), numpy values plain ones."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return finite(value.tolist())
    return value


def json_text(data) -> str:
    """``data`` as strict, indented JSON."""
    return json.dumps(finite(data), indent=2, allow_nan=False)
