"""The processor this process runs on, as Linux's /proc/cpuinfo names it: its model and its feature flags.

One reader for three callers: the fast path (has the CPU bf16 units?), the benchmarks' header
line and a recording's machine record. Elsewhere (macOS, Windows) or when the file cannot be
read, the flags are empty and the name comes from `platform`.
"""

import functools
import platform
import sys

CPUINFO = "/proc/cpuinfo"
LIMIT = 1 << 20  # bytes read at most (the first processor's block is the first few KiB)


@functools.cache
def _first_processor() -> dict[str, str]:
    """The first processor's "key : value" lines; {} off Linux or when unreadable."""
    if not sys.platform.startswith("linux"):
        return {}
    try:
        with open(CPUINFO, encoding="utf-8", errors="replace") as f:
            text = f.read(LIMIT)
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def flags() -> frozenset[str]:
    """The x86 feature flags ("avx2", "avx512_bf16", "amx_bf16", ...); empty elsewhere."""
    return frozenset(_first_processor().get("flags", "").split())


def model_name() -> str:
    """The processor's name as the machine reports it, or "unknown"."""
    return _first_processor().get("model name") or platform.processor() or "unknown"
