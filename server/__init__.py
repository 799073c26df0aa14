"""GridFlow's local server: a FastAPI application over the engine.

    gridflow serve [--host 127.0.0.1] [--port 8000] [--data DIR] [--token T] [--max-jobs N]

``create_app(Settings(...))`` builds the ASGI application; ``run(...)`` serves
it with uvicorn.  Dependencies point one way: the server uses the engine (in
worker processes), the engine never imports the server.
"""
from __future__ import annotations

from .config import Settings

__all__ = ["Settings", "create_app", "run"]


def create_app(settings: Settings | None = None):
    from .app import create_app as _create
    return _create(settings)


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info",
        ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM stop running jobs, which are marked interrupted).
    With a certificate and key, serve HTTPS (what the Office add-in needs)."""
    import uvicorn
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=3,
                            access_log=log_level == "debug", server_header=False,
                            ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    uvicorn.Server(config).run()
