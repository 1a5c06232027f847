"""Run every benchmark and print one table of figures against their targets.

Placeholder header; the runner is below.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / ".data"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine moves every figure."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def describe_machine(database_url: str | None = None) -> str:
    where = database_url or "SQLite files in bench/.data/"
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gb():.0f} GB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}\n"
        f"database: {where}\nload average at the start: {load_average()} (1, 5, 15 min)"
    )
