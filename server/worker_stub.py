"""Process entry points named by the server without importing the engine.

The server process hands these functions to multiprocessing; children (forked
from a fork server that preloaded ``server.worker``) run the real code.
"""
from __future__ import annotations


def noop() -> None:
    from . import worker  # noqa: F401  (imported already in the fork server; a no-op there)


def task_entry(conn, name: str, args: tuple) -> None:
    from .worker import task_entry as run
    run(conn, name, args)


def simulation_entry(conn, job_id: str, path: str, params: dict, out_dir: str, display_name: str) -> None:
    from .worker import simulation_entry as run
    run(conn, job_id, path, params, out_dir, display_name)


def job_entry(conn, job_type: str, job_id: str, path: str | None, params: dict, out_dir: str,
              display_name: str) -> None:
    from .worker import job_entry as run
    run(conn, job_type, job_id, path, params, out_dir, display_name)
