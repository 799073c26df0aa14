"""Where the conformance corpus is: ``$GRIDFLOW_CORPUS``, else ``../shared/corpus``
beside the checkout, else the workplace's ``/work/shared/corpus``."""
from __future__ import annotations

import os
from pathlib import Path


def corpus_dir() -> Path:
    candidates = [os.environ.get("GRIDFLOW_CORPUS"),
                  Path(__file__).resolve().parents[2] / "shared" / "corpus",
                  "/work/shared/corpus"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


CORPUS = corpus_dir()
