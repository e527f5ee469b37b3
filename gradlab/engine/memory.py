"""How much memory an engine may take: the machine's effective limit, shared between a client's engines.

The effective limit is the smaller of physical memory and the memory cgroup's
limit (cgroup v2 ``memory.max``, or v1 ``memory.limit_in_bytes``), which is what a
container or a systemd slice actually allows.  Imports no torch.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable: each engine's memory limit in MB (0 switches it off); overrides the budget.
MEMORY_LIMIT_VARIABLE = "GRADLAB_ENGINE_MEMORY_LIMIT_MB"
#: The part of the effective limit that a client's engines share; the rest is left to the client and the system.
BUDGET_FRACTION = 0.75


def physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def cgroup_memory_limit(proc_cgroup: str, root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The memory limit of the cgroup named in ``proc_cgroup`` (the text of ``/proc/self/cgroup``), or None when unlimited.

    Every ancestor's limit counts too: the smallest one applies.
    """
    limits = []
    for line in proc_cgroup.splitlines():
        hierarchy, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if hierarchy == "0" and controllers == "":  # cgroup v2, unified
            files, base = ("memory.max",), root
        elif "memory" in controllers.split(","):  # cgroup v1
            files, base = ("memory.limit_in_bytes",), root / "memory"
        else:
            continue
        folder = base / path.lstrip("/")
        while True:
            for name in files:
                limits.append(_read_limit(folder / name))
            if folder == base or folder.parent == folder:
                break
            folder = folder.parent
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _read_limit(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    value = int(text)
    return value if value < 2**60 else None  # v1 writes a huge number for "no limit"


def effective_memory() -> int | None:
    """The memory this process may really use: physical memory, or its cgroup's limit when smaller."""
    try:
        cgroup = cgroup_memory_limit(Path("/proc/self/cgroup").read_text())
    except OSError:
        cgroup = None
    candidates = [m for m in (physical_memory(), cgroup) if m is not None]
    return min(candidates) if candidates else None


def engine_memory_limit(share: float) -> int | None:
    """The byte limit of one engine that gets ``share`` of the budget (None: no limit)."""
    value = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if value is not None:
        megabytes = int(value)
        return megabytes * 2**20 if megabytes > 0 else None
    total = effective_memory()
    return None if total is None else int(total * BUDGET_FRACTION * share)
