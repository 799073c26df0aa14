"""GridFlow's worksheet functions: one registry (``udfs.registry``), their
plain-Excel values (``udfs.core``), and what is generated from the registry:
the Office.js add-in's custom-functions metadata and JavaScript (``addin/``)
and the classic desktop xlwings module (``udfs/xlwings_udfs.py``).

Regenerate after changing the registry or the engine's distribution table::

    python -m udfs.generate          # or: gridflow addin build
    python -m udfs.generate --check  # fails when a generated file is stale

Importing this package does not import the engine; ``udfs.registry.functions()``
and ``udfs.core`` do, when first used.
"""
from __future__ import annotations

__all__ = ["registry", "core", "generate"]
