"""Per-scenario values.

A ``Vec`` holds one Excel value per scenario.  The fast form is a float64
(or bool) NumPy array with no errors; as soon as one scenario holds an error
or text, the array is of dtype object and holds Python scalars (errors as
``XLError``), so errors still travel per scenario.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..values import XLError


class Vec:
    __slots__ = ("data",)

    def __init__(self, data: np.ndarray):
        self.data = data

    @property
    def n(self) -> int:
        return self.data.shape[0]

    @property
    def is_numeric(self) -> bool:
        return self.data.dtype == np.float64

    @property
    def is_bool(self) -> bool:
        return self.data.dtype == np.bool_

    def item(self, i: int) -> Any:
        v = self.data[i]
        if isinstance(v, np.floating):
            return float(v)
        if isinstance(v, np.bool_):
            return bool(v)
        return v

    def to_objects(self) -> np.ndarray:
        if self.data.dtype == object:
            return self.data
        out = np.empty(self.n, dtype=object)
        if self.is_bool:
            out[:] = [bool(x) for x in self.data]
        else:
            out[:] = [float(x) for x in self.data]
        return out

    def __repr__(self) -> str:
        return f"Vec({self.data!r})"


def from_values(values: list[Any]) -> Any:
    """Build the tightest Vec from per-scenario Python scalars (a scalar if all
    scenarios agree, which keeps constant work out of the vector path)."""
    first = values[0]
    if all(type(v) is type(first) and v == first for v in values[1:]) and not isinstance(first, float):
        return first
    if all(type(v) is float for v in values):
        arr = np.fromiter(values, dtype=np.float64, count=len(values))
        return Vec(arr)
    if all(type(v) is bool for v in values):
        return Vec(np.array(values, dtype=np.bool_))
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return Vec(out)


def normalize(arr: np.ndarray) -> Vec:
    """Object arrays that turned out all-float go back to the fast form."""
    if arr.dtype == object and all(type(v) is float for v in arr):
        return Vec(arr.astype(np.float64))
    return Vec(arr)


def has_error(v: Vec) -> bool:
    return v.data.dtype == object and any(isinstance(x, XLError) for x in v.data)
