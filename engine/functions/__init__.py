"""Excel's function library: one module per family, each registering its
functions (with their metadata) in ``registry.REGISTRY`` on import."""
import importlib
import pkgutil

_INFRA = {"registry", "helpers", "coerce", "catalog"}


def load_all() -> None:
    """Import every family module in this package (each registers itself)."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name not in _INFRA and not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


load_all()
