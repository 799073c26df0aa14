"""Time axes for waterfalls: dated or periodic points, year fractions for
IRR/NPV, and the accrual steps of each compounding convention.

A :class:`Timeline` has ``T`` points.  Cash flows are arrays of shape
``(scenarios, T)``; point ``k`` is at ``t[k]`` years from the first point.

* **Dated**: ``Timeline.from_dates(dates)``; ``t = (d - d0) / 365`` (the
  XIRR/XNPV convention: actual days over 365).
* **Periodic**: ``Timeline.periodic(T, periods_per_year)``; ``t = k / ppy``.

Compounding conventions of a balance accruing at an annual rate ``h``
(preferred return, hurdle balances, interest):

``daily``   ``(1 + h) ** (days / 365)`` between points (on a periodic axis
            ``(1 + h) ** (1 / ppy)`` per period).  A balance accrued this
            way reaches zero exactly when the XIRR of its flows equals ``h``.
``annual``  compounds once a year, on the anniversaries of the first point;
            within a year the balance accrues simple interest in proportion
            to the days elapsed in that year (a full year accrues exactly
            ``h``).  On an annual periodic axis: ``(1 + h)`` per period.
``monthly`` nominal ``h / 12`` compounded on each monthly anniversary of
            the first point (simple within a month): $100 at 8% for 5 years
            grows to 148.98.
``simple``  never compounds: interest accrues on the capitalised balance
            (contributions) only, ``h * days / 365`` (or ``h / ppy`` per
            period): $100 at 8% for 5 years owes 140.00.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

EXCEL_EPOCH = _dt.date(1899, 12, 30)
CONVENTIONS = ("daily", "annual", "monthly", "simple")
_ALIASES = {"actual": "daily", "effective": "daily", "act/365": "daily", "xirr": "daily",
            "yearly": "annual", "annually": "annual", "month": "monthly", "none": "simple",
            "non-compounding": "simple", "noncompounding": "simple"}


def convention_name(name: str | None, default: str = "annual") -> str:
    """Canonical name of a compounding convention (ValueError if unknown)."""
    if name is None or name == "":
        return default
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in CONVENTIONS:
        raise ValueError(f"unknown compounding convention {name!r}; use one of {', '.join(CONVENTIONS)}")
    return key


def to_serial(d) -> int:
    """Excel serial day number of a date given as a ``datetime.date``,
    ``datetime``, ``numpy.datetime64``, ISO text or an Excel serial number."""
    if isinstance(d, _dt.datetime):
        d = d.date()
    if isinstance(d, _dt.date):
        return (d - EXCEL_EPOCH).days
    if isinstance(d, np.datetime64):
        return int((d.astype("datetime64[D]") - np.datetime64(EXCEL_EPOCH, "D")).astype(int))
    if isinstance(d, str):
        return (_dt.date.fromisoformat(d.strip()[:10]) - EXCEL_EPOCH).days
    if isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(d, bool):
        if not np.isfinite(d):
            raise ValueError(f"bad date {d!r}")
        return int(np.floor(d))
    raise ValueError(f"bad date {d!r}")


def serial_to_date(s: int) -> _dt.date:
    return EXCEL_EPOCH + _dt.timedelta(days=int(s))


def _add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (nxt - _dt.timedelta(days=1)).day
    return _dt.date(year, month, min(d.day, last))


@dataclass(frozen=True)
class Timeline:
    """The points of a cash-flow axis."""
    t: np.ndarray                                  # (T,) years from the first point
    serials: np.ndarray | None = None              # (T,) Excel serial days, when dated
    periods_per_year: int | None = None            # when periodic
    _steps: dict = field(default_factory=dict, compare=False, repr=False)

    # --- constructors -----------------------------------------------------------------
    @classmethod
    def from_dates(cls, dates: Iterable) -> "Timeline":
        s = np.array([to_serial(d) for d in dates], dtype=np.int64)
        if s.size == 0:
            raise ValueError("a timeline needs at least one date")
        if np.any(np.diff(s) < 0):
            raise ValueError("dates must be in ascending order")
        return cls(t=(s - s[0]) / 365.0, serials=s)

    @classmethod
    def periodic(cls, n: int, periods_per_year: int = 1) -> "Timeline":
        if n < 1:
            raise ValueError("a timeline needs at least one period")
        ppy = int(periods_per_year)
        if ppy < 1:
            raise ValueError("periods_per_year must be a positive integer")
        return cls(t=np.arange(n) / ppy, periods_per_year=ppy)

    @classmethod
    def make(cls, n: int, dates: Sequence | None = None, periods_per_year: int = 1) -> "Timeline":
        """A dated timeline when ``dates`` is given (its length must be n),
        else a periodic one."""
        if isinstance(dates, Timeline):
            if len(dates) != n:
                raise ValueError(f"the timeline has {len(dates)} points but the cash flows have {n}")
            return dates
        if dates is not None:
            tl = cls.from_dates(dates)
            if len(tl) != n:
                raise ValueError(f"{len(tl)} dates for {n} cash-flow periods")
            return tl
        return cls.periodic(n, periods_per_year)

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def dated(self) -> bool:
        return self.serials is not None

    def dates(self) -> list[_dt.date] | None:
        return None if self.serials is None else [serial_to_date(s) for s in self.serials]

    def sub(self, indices: Sequence[int]) -> "Timeline":
        idx = np.asarray(indices, dtype=int)
        if self.serials is not None:
            return Timeline.from_dates(self.serials[idx])
        return Timeline(t=self.t[idx] - self.t[idx[0]], periods_per_year=self.periods_per_year)

    # --- accrual ----------------------------------------------------------------------
    def steps(self, convention: str) -> list[list[tuple]]:
        """Accrual steps for each period k = 1..T-1 (index 0 is empty):
        ``("pow", dt)`` multiplies the balance by ``(1+h)**dt``;
        ``("lin", x, cap)`` accrues ``h*x`` on the capitalised balance and,
        when ``cap``, capitalises everything accrued."""
        conv = convention_name(convention)
        hit = self._steps.get(conv)
        if hit is not None:
            return hit
        n = len(self)
        out: list[list[tuple]] = [[] for _ in range(n)]
        if self.serials is None:
            ppy = self.periods_per_year or 1
            for k in range(1, n):
                if conv == "daily":
                    out[k] = [("pow", 1.0 / ppy)]
                elif conv == "simple":
                    out[k] = [("lin", 1.0 / ppy, False)]
                elif conv == "annual":
                    out[k] = [("lin", 1.0 / ppy, k % ppy == 0)]
                else:   # monthly
                    if 12 % ppy:
                        raise ValueError(f"monthly compounding needs whole months per period "
                                         f"({ppy} periods a year)")
                    out[k] = [("lin", 1.0 / 12.0, True)] * (12 // ppy)
        else:
            s = self.serials
            if conv in ("annual", "monthly"):
                d0 = serial_to_date(int(s[0]))
                step = 12 if conv == "annual" else 1
                bounds = [int(s[0])]
                j = 1
                while bounds[-1] < s[-1]:
                    bounds.append(to_serial(_add_months(d0, step * j)))
                    j += 1
                bounds_arr = np.array(bounds)
                scale = 1.0 if conv == "annual" else 1.0 / 12.0
            for k in range(1, n):
                a, b = int(s[k - 1]), int(s[k])
                if a == b:
                    continue
                if conv == "daily":
                    out[k] = [("pow", (b - a) / 365.0)]
                elif conv == "simple":
                    out[k] = [("lin", (b - a) / 365.0, False)]
                else:
                    steps = []
                    i = int(np.searchsorted(bounds_arr, a, side="right")) - 1   # bounds[i] <= a < bounds[i+1]
                    p = a
                    while p < b:
                        lo, hi = bounds[i], bounds[i + 1]
                        q = min(b, hi)
                        steps.append(("lin", scale * (q - p) / (hi - lo), q == hi))
                        p = q
                        i += 1
                    out[k] = steps
        self._steps[conv] = out
        return out


class Accounts:
    """Balances accruing at annual rates under a compounding convention,
    vectorized over scenarios: ``B`` capitalised (contributions and
    compounded interest), ``A`` accrued but not yet capitalised.  Each
    column is one account with its own rate and convention."""

    def __init__(self, n_scenarios: int, rates: Sequence[float], conventions: Sequence[str],
                 timeline: Timeline):
        self.rates = np.asarray(rates, dtype=float)
        m = self.rates.shape[0]
        self.B = np.zeros((n_scenarios, m))
        self.A = np.zeros((n_scenarios, m))
        self.timeline = timeline
        self.groups: dict[str, np.ndarray] = {}
        for j, c in enumerate(conventions):
            c = convention_name(c)
            self.groups.setdefault(c, [])
            self.groups[c].append(j)
        self.groups = {c: np.array(v, dtype=int) for c, v in self.groups.items()}

    def accrue(self, k: int) -> None:
        """Accrue from point k-1 to point k."""
        for conv, cols in self.groups.items():
            h = self.rates[cols]
            for step in self.timeline.steps(conv)[k]:
                if step[0] == "pow":
                    f = (1.0 + h) ** step[1]
                    self.B[:, cols] *= f
                    self.A[:, cols] *= f
                else:
                    _, x, cap = step
                    self.A[:, cols] += self.B[:, cols] * (h * x)
                    if cap:
                        self.B[:, cols] += self.A[:, cols]
                        self.A[:, cols] = 0.0

    def balance(self, j: int) -> np.ndarray:
        return self.B[:, j] + self.A[:, j]

    def add(self, j: int, amount: np.ndarray) -> None:
        self.B[:, j] += amount

    def reduce(self, j: int, amount: np.ndarray, capital_first: bool = False) -> None:
        """Apply a payment; accrued interest first (or capital first).  A
        balance never goes below zero: returns above it are not banked."""
        first, second = (self.B, self.A) if capital_first else (self.A, self.B)
        x = np.minimum(first[:, j], amount)
        first[:, j] -= x
        rest = amount - x
        y = np.minimum(second[:, j], rest)
        second[:, j] -= y
