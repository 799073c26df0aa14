"""GridFlow's engine: workbooks in, compiled vectorized programs out.

    >>> import engine
    >>> model = engine.load("workbooks/montecarlo_dcf.xlsx")
    >>> model.calculate().value("Model!B7")
"""
from __future__ import annotations

import os

from .model import Model
from . import montecarlo  # noqa: F401  (Monte Carlo worksheet functions)
from .values import BLANK, XLError

__all__ = ["load", "Model", "BLANK", "XLError"]


def load(path: str | os.PathLike) -> Model:
    """Read a workbook (.xlsx/.xlsm) and parse every formula."""
    from .xlsx import read_workbook
    return Model(read_workbook(path))
