"""Server settings: command-line flags, environment variables, defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The Office add-in's development origin (Office add-ins are served over
# HTTPS; the Yeoman/office-addin tooling uses port 3000 by default).
DEFAULT_ADDIN_ORIGINS = ("https://localhost:3000",)


def default_data_dir() -> Path:
    env = os.environ.get("GRIDFLOW_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "gridflow"


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    # Bearer token required on every request when set (GRIDFLOW_TOKEN).
    token: str | None = field(default_factory=lambda: os.environ.get("GRIDFLOW_TOKEN") or None)
    # Simulations running at once; more wait in a queue.
    max_jobs: int = field(default_factory=lambda: _env_int("GRIDFLOW_MAX_JOBS", max(1, min(4, (os.cpu_count() or 2) // 2))))
    max_queue: int = 1000
    max_upload_bytes: int = field(default_factory=lambda: _env_int("GRIDFLOW_MAX_UPLOAD_MB", 50) * 1024 * 1024)
    max_body_bytes: int = 1024 * 1024            # every request that is not an upload
    max_iterations: int = 10_000_000
    max_cells: int = 5_000_000                   # cells stored over a whole uploaded workbook
    inspect_workers: int = 2                     # uploads validated and inspected at once
    inspect_timeout: float = 120.0               # seconds for reading + inspecting one upload
    render_timeout: float = 600.0                # seconds for writing a report / CSV
    module_timeout: float = 60.0                 # seconds for solving one real-estate module request
    addin_origins: tuple[str, ...] = field(default_factory=lambda: tuple(
        o.strip() for o in os.environ.get("GRIDFLOW_ADDIN_ORIGIN", ",".join(DEFAULT_ADDIN_ORIGINS)).split(",")
        if o.strip()))

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser().resolve()
        self.max_jobs = max(1, int(self.max_jobs))
