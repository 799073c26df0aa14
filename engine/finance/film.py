"""Film revenue waterfall (collection account), vectorized over scenarios.

Receipts reaching the collection account in each period (``(T,)``,
``(S, T)``, or a dict of those per territory) run down an ordered list of
tiers.  Every tier keeps cumulative state, so receipts arriving in later
periods flow to whoever is still unpaid, and a percentage fee with a cap
stops at its cap whatever the timing.

Tiers
-----
:class:`Fee`
    ``rate`` of the gross receipts (``basis="gross"``) or of what reaches
    this tier (``basis="remaining"``), cumulative, with an optional cap
    (absolute, and/or a share of gross).  ``rate`` may be a dict of rates per
    territory.  CAM fee, sales-agent commission, corridors, guild residuals
    as a percentage.
:class:`Expense`
    recoupment of actual expenses up to a cap (sales-agent marketing
    expenses).  Per territory amounts and caps with
    ``cross_collateralized=False`` recoup each territory's expenses from that
    territory's receipts only.
:class:`Payment`
    a fixed amount (residuals, deferments).
:class:`Recoupment`
    money put in and paid back: ``principal`` plus interest (``accrual``:
    ``"flat"`` = rate x ``term_years``; ``"simple"`` on the outstanding
    principal from the funding date; ``"compound"`` annually effective),
    fees and premium as fractions of principal.  Senior and gap debt, equity
    at 100% + premium.  ``external`` repayments from outside the waterfall
    (a tax credit repaying a tax-credit loan) are applied first.
:class:`PariPassu`
    several claims sharing a tier in proportion to what each is still owed.
:class:`Shared`
    claims (or plain payees) paid at fixed shares until the first claim with
    a target is satisfied (a corridor alongside a recoupment).
:class:`Split`
    the backend: what remains split by fixed shares (net profits 50/50
    between investors and the producers' pool).

Payment order inside a claim: fees and premium, then interest, then
principal.  What is left after the last tier is reported as "Unallocated".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .metrics import Party, summarize
from .timeline import Timeline

EPS = 1e-9


# --- tier definitions -----------------------------------------------------------------

@dataclass
class Fee:
    name: str
    payee: str
    rate: float | Mapping[str, float]
    basis: str = "remaining"          # "remaining" or "gross"
    cap: float | None = None           # absolute cap on the cumulative fee
    cap_pct_of_gross: float | None = None


@dataclass
class Expense:
    name: str
    payee: str
    amount: Any                        # scalar, (S,), or {territory: amount}
    cap: Any = None                    # scalar or {territory: cap}
    cross_collateralized: bool = True


@dataclass
class Payment:
    name: str
    payee: str
    amount: Any                        # scalar or (S,)


@dataclass
class Recoupment:
    name: str
    payee: str
    principal: float
    rate: float = 0.0
    accrual: str = "flat"              # "flat", "simple", "compound"
    term_years: float | None = None    # for flat interest
    fee: float = 0.0                   # fraction of principal
    premium: float = 0.0               # fraction of principal
    funded_at: int = 0                 # period index of the advance
    invested: bool = True              # the payee put the principal in (cash flow for IRR)
    external: Any = None               # (T,) or (S, T) repayments from outside the waterfall


@dataclass
class PariPassu:
    name: str
    claims: list


@dataclass
class Shared:
    name: str
    parts: list                        # [(claim or payee name, share), ...]


@dataclass
class Split:
    name: str
    shares: Mapping[str, float]


# --- runtime claims --------------------------------------------------------------------

class _Claim:
    """Cumulative state of one claim over scenarios."""

    def __init__(self, spec, s: int, tl: Timeline, n_terr: int):
        self.spec = spec
        self.name = spec.name
        self.payee = spec.payee
        self.s = s
        self.tl = tl
        self.paid = np.zeros(s)
        self.received = np.zeros((s, len(tl)))   # waterfall payments by period
        self.external = np.zeros((s, len(tl)))
        self.invested = np.zeros((s, len(tl)))
        if isinstance(spec, Recoupment):
            if spec.accrual not in ("flat", "simple", "compound"):
                raise ValueError(f"{spec.name}: accrual must be flat, simple or compound")
            if spec.accrual == "flat" and spec.rate and spec.term_years is None:
                raise ValueError(f"{spec.name}: flat interest needs term_years")
            if not 0 <= spec.funded_at < len(tl):
                raise ValueError(f"{spec.name}: funded_at {spec.funded_at} is outside the timeline")
            p = float(spec.principal)
            self.addon = np.full(s, p * (spec.fee + spec.premium))        # fees and premium
            flat_int = p * spec.rate * spec.term_years if spec.accrual == "flat" and spec.rate else 0.0
            self.interest = np.full(s, flat_int)
            self.principal = np.full(s, p)
            if spec.invested:
                self.invested[:, spec.funded_at] = p
            if spec.external is not None:
                ext = np.asarray(spec.external, dtype=float)
                self.external[:] = np.broadcast_to(ext if ext.ndim == 2 else ext[None, :], (s, len(tl)))
        elif isinstance(spec, (Payment, Expense)):
            amt = spec.amount
            if isinstance(spec, Expense) and isinstance(amt, Mapping):
                self.target = None    # territorial: set by the runner
            else:
                a = np.broadcast_to(np.asarray(amt, dtype=float), (s,)).astype(float)
                if isinstance(spec, Expense) and spec.cap is not None and not isinstance(spec.cap, Mapping):
                    a = np.minimum(a, float(spec.cap))
                self.target = a
        else:
            raise TypeError(f"{spec!r} cannot be a claim")

    def accrue(self, k: int) -> None:
        spec = self.spec
        if not isinstance(spec, Recoupment) or spec.accrual == "flat" or not spec.rate or k <= spec.funded_at:
            return
        dt = self.tl.t[k] - self.tl.t[k - 1]
        if spec.accrual == "simple":
            self.interest += self.principal * spec.rate * dt
        else:
            f = (1.0 + spec.rate) ** dt - 1.0
            self.interest += (self.principal + self.interest) * f

    def need(self, k: int) -> np.ndarray:
        if isinstance(self.spec, Recoupment):
            if k < self.spec.funded_at:
                return np.zeros(self.s)
            return self.addon + self.interest + self.principal
        return np.maximum(self.target - self.paid, 0.0)

    def pay(self, k: int, amount: np.ndarray, external: bool = False) -> None:
        if isinstance(self.spec, Recoupment):
            rest = amount
            for part in ("addon", "interest", "principal"):
                bal = getattr(self, part)
                x = np.minimum(bal, rest)
                setattr(self, part, bal - x)
                rest = rest - x
        self.paid += amount
        if external:
            self.external[:, k] = amount
        else:
            self.received[:, k] += amount

    @property
    def outstanding(self) -> np.ndarray:
        if isinstance(self.spec, Recoupment):
            return self.addon + self.interest + self.principal
        return np.maximum(self.target - self.paid, 0.0)


# --- results ---------------------------------------------------------------------------

@dataclass
class FilmResult:
    receipts: np.ndarray                              # (S, T) gross receipts
    payments: dict[tuple[str, str], np.ndarray]       # (tier, payee) -> (S, T)
    order: list[tuple[str, str]]
    stakeholders: dict[str, Party]
    claims: dict[str, dict[str, np.ndarray]]          # claim name -> recouped, fully_paid, outstanding...
    unallocated: np.ndarray                            # (S, T)
    timeline: Timeline

    def tier_amounts(self, scenario: int | None = 0) -> list[tuple[str, str, float]]:
        """[(tier, payee, amount)] summed over periods, for one scenario (or
        the mean over scenarios with ``scenario=None``)."""
        out = []
        for key in self.order:
            tot = self.payments[key].sum(axis=1)
            out.append((key[0], key[1], float(tot[scenario] if scenario is not None else tot.mean())))
        return out

    def conservation_error(self) -> float:
        total = sum(self.payments.values()) + self.unallocated
        return float(np.abs(total - self.receipts).max())

    def prob_recoup(self) -> dict[str, float]:
        """P(claim paid at least its principal) for each recoupment claim."""
        return {k: float(np.mean(v["recouped"])) for k, v in self.claims.items() if "recouped" in v}

    def summary(self, percentiles: Sequence[int] = (10, 50, 90)) -> dict[str, Any]:
        return {"scenarios": self.receipts.shape[0],
                "receipts": summarize(self.receipts.sum(axis=1), percentiles),
                "stakeholders": {k: p.summary(percentiles) for k, p in self.stakeholders.items()},
                "prob_recoup": self.prob_recoup(),
                "prob_fully_paid": {k: float(np.mean(v["fully_paid"])) for k, v in self.claims.items()},
                "tiers": [{"tier": t, "payee": p, "mean": a} for t, p, a in self.tier_amounts(None)]}


# --- the waterfall ----------------------------------------------------------------------

def _territories(receipts) -> tuple[list[str], np.ndarray]:
    """(names, array (S, T, n_terr))."""
    if isinstance(receipts, Mapping):
        names = list(receipts)
        arrs = [np.asarray(receipts[k], dtype=float) for k in names]
        arrs = [a[None, :] if a.ndim == 1 else a for a in arrs]
        s = max(a.shape[0] for a in arrs)
        n = arrs[0].shape[1]
        if any(a.shape[1] != n for a in arrs):
            raise ValueError("every territory needs the same number of periods")
        return names, np.stack([np.broadcast_to(a, (s, n)) for a in arrs], axis=2).astype(float)
    a = np.asarray(receipts, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"receipts must be (periods,) or (scenarios, periods), got {a.shape}")
    return ["all"], a[:, :, None].copy()


def _per_terr(value, names: list[str], what: str) -> np.ndarray:
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"{what}: unknown territories {sorted(unknown)}")
        return np.array([float(value.get(k, 0.0)) for k in names])
    return np.full(len(names), float(value))


@dataclass
class FilmWaterfall:
    tiers: list
    discount_rates: dict[str, float] = field(default_factory=dict)   # payee -> rate (default 0.10)

    def __post_init__(self):
        seen = set()
        for t in self.tiers:
            if t.name in seen:
                raise ValueError(f"two tiers are named {t.name!r}")
            seen.add(t.name)
            if isinstance(t, Split):
                tot = sum(t.shares.values())
                if tot > 1 + 1e-9 or any(v < 0 for v in t.shares.values()):
                    raise ValueError(f"{t.name}: shares must be non-negative and add to at most 1")
            if isinstance(t, Shared):
                for part, share in t.parts:
                    if share <= 0:
                        raise ValueError(f"{t.name}: shares must be positive")
            if isinstance(t, Fee) and t.basis not in ("remaining", "gross"):
                raise ValueError(f"{t.name}: basis must be 'remaining' or 'gross'")

    def run(self, receipts, *, dates=None, periods_per_year: int = 1,
            timeline: Timeline | None = None) -> FilmResult:
        names, R = _territories(receipts)
        if np.any(~np.isfinite(R)) or np.any(R < 0):
            raise ValueError("receipts must be finite and non-negative")
        s, n, nt = R.shape
        tl = timeline or Timeline.make(n, dates, periods_per_year)
        if len(tl) != n:
            raise ValueError(f"the timeline has {len(tl)} points but the receipts have {n}")

        # runtime objects
        order: list[tuple[str, str]] = []
        payments: dict[tuple[str, str], np.ndarray] = {}
        claims: dict[str, _Claim] = {}

        def slot(tier: str, payee: str) -> np.ndarray:
            key = (tier, payee)
            if key not in payments:
                payments[key] = np.zeros((s, n))
                order.append(key)
            return payments[key]

        def mk(spec) -> _Claim:
            if spec.name in claims:
                raise ValueError(f"two claims are named {spec.name!r}")
            c = _Claim(spec, s, tl, nt)
            claims[spec.name] = c
            return c

        plan = []
        for t in self.tiers:
            if isinstance(t, Fee):
                plan.append(("fee", t, {"paid": np.zeros((s, nt)), "basis": np.zeros((s, nt)),
                                        "rates": _per_terr(t.rate, names, t.name)}))
                slot(t.name, t.payee)
            elif isinstance(t, Expense) and isinstance(t.amount, Mapping):
                amts = _per_terr(t.amount, names, t.name)
                caps = (_per_terr(t.cap, names, t.name) if isinstance(t.cap, Mapping)
                        else None if t.cap is None else float(t.cap))
                if t.cross_collateralized:
                    total = amts.sum()
                    if caps is not None:
                        total = min(total, caps.sum() if isinstance(caps, np.ndarray) else caps)
                    spec = Payment(t.name, t.payee, total)
                    plan.append(("claims", t, [mk(spec)]))
                else:
                    if caps is not None:
                        amts = np.minimum(amts, caps)
                    plan.append(("terr_expense", t, {"target": amts, "paid": np.zeros((s, nt))}))
                slot(t.name, t.payee)
            elif isinstance(t, (Expense, Payment, Recoupment)):
                plan.append(("claims", t, [mk(t)]))
                slot(t.name, t.payee)
            elif isinstance(t, PariPassu):
                cl = [mk(c) for c in t.claims]
                plan.append(("claims", t, cl))
                for c in cl:
                    slot(t.name, c.payee)
            elif isinstance(t, Shared):
                parts = []
                for part, share in t.parts:
                    if isinstance(part, str):
                        parts.append((None, part, float(share)))
                        slot(t.name, part)
                    else:
                        c = mk(part)
                        parts.append((c, c.payee, float(share)))
                        slot(t.name, c.payee)
                plan.append(("shared", t, parts))
            elif isinstance(t, Split):
                plan.append(("split", t, None))
                for p in t.shares:
                    slot(t.name, p)
            else:
                raise TypeError(f"unknown film tier {t!r}")

        unalloc = np.zeros((s, n))
        cum_gross = np.zeros((s, nt))
        for k in range(n):
            for c in claims.values():
                if k:
                    c.accrue(k)
                ext = c.external[:, k].copy() if np.any(c.external[:, k]) else None
                if ext is not None:
                    x = np.minimum(ext, c.need(k))
                    c.pay(k, x, external=True)   # external receipts beyond the need are not the waterfall's
            avail = R[:, k, :].copy()          # (S, nt)
            cum_gross += avail
            for kind, t, data in plan:
                tot_avail = avail.sum(axis=1)
                if kind == "fee":
                    base = cum_gross if t.basis == "gross" else data["basis"] + avail
                    if t.basis == "remaining":
                        data["basis"] = base
                    u = base * data["rates"][None, :]
                    U = u.sum(axis=1)
                    cap = np.full(s, np.inf)
                    if t.cap is not None:
                        cap = np.minimum(cap, float(t.cap))
                    if t.cap_pct_of_gross is not None:
                        cap = np.minimum(cap, float(t.cap_pct_of_gross) * cum_gross.sum(axis=1))
                    with np.errstate(invalid="ignore", divide="ignore"):
                        scale = np.where(U > cap, cap / np.where(U > 0, U, 1.0), 1.0)
                    target = u * scale[:, None]
                    x = np.clip(np.minimum(avail, target - data["paid"]), 0.0, None)
                    data["paid"] += x
                    avail -= x
                    payments[(t.name, t.payee)][:, k] += x.sum(axis=1)
                elif kind == "terr_expense":
                    x = np.clip(np.minimum(avail, data["target"][None, :] - data["paid"]), 0.0, None)
                    data["paid"] += x
                    avail -= x
                    payments[(t.name, t.payee)][:, k] += x.sum(axis=1)
                elif kind == "claims":
                    needs = [c.need(k) for c in data]
                    tot_need = sum(needs)
                    x = np.minimum(tot_avail, tot_need)
                    for c, nd in zip(data, needs):
                        with np.errstate(invalid="ignore", divide="ignore"):
                            part = np.where(tot_need > 0, x * nd / np.where(tot_need > 0, tot_need, 1.0), 0.0)
                        c.pay(k, part)
                        payments[(t.name, c.payee)][:, k] += part
                    avail = _draw(avail, tot_avail, x)
                elif kind == "shared":
                    lim = np.full(s, np.inf)
                    for c, _p, share in data:
                        if c is not None:
                            lim = np.minimum(lim, c.need(k) / share)
                    total_share = sum(sh for _c, _p, sh in data)
                    x = np.minimum(tot_avail, lim * total_share) if np.isfinite(lim).any() else tot_avail
                    x = np.where(np.isfinite(lim), x, tot_avail)
                    for c, payee, share in data:
                        part = x * share / total_share
                        if c is not None:
                            c.pay(k, part)
                        payments[(t.name, payee)][:, k] += part
                    avail = _draw(avail, tot_avail, x)
                else:   # split
                    shares = t.shares
                    given = np.zeros(s)
                    for payee, share in shares.items():
                        part = tot_avail * share
                        payments[(t.name, payee)][:, k] += part
                        given += part
                    avail = _draw(avail, tot_avail, given)
            left = avail.sum(axis=1)
            unalloc[:, k] = np.where(left > EPS * np.maximum(R[:, k, :].sum(axis=1), 1.0), left, 0.0)
            # tiny rounding leftovers go to the last payment row, so totals reconcile exactly
            tiny = left - unalloc[:, k]
            if order and np.any(tiny):
                payments[order[-1]][:, k] += tiny

        # stakeholders
        payees: list[str] = []
        for _t, p in order:
            if p not in payees:
                payees.append(p)
        stakeholders = {}
        for p in payees:
            by = {t: payments[(t, pp)] for (t, pp) in order if pp == p}
            dist = sum(by.values())
            inv = np.zeros((s, n))
            for c in claims.values():
                if c.payee == p:
                    inv = inv + c.invested
                    if np.any(c.external):
                        by[f"{c.name} (external)"] = c.external
                        dist = dist + c.external
            stakeholders[p] = Party(p, inv, dist, tl, self.discount_rates.get(p, 0.10), by)
        status = {}
        for name, c in claims.items():
            got = c.received.sum(axis=1) + c.external.sum(axis=1)
            st = {"received": got, "outstanding": c.outstanding,
                  "fully_paid": c.outstanding <= EPS * np.maximum(1.0, got)}
            if isinstance(c.spec, Recoupment):
                st["recouped"] = got >= float(c.spec.principal) * (1 - 1e-12) - EPS
            status[name] = st
        rec = R.sum(axis=2)
        return FilmResult(rec, payments, order, stakeholders, status, unalloc, tl)


def _draw(avail: np.ndarray, tot: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Take ``x`` out of the territories' available cash pro rata."""
    if avail.shape[1] == 1:
        out = avail - x[:, None]
        return np.maximum(out, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(tot > 0, 1.0 - x / np.where(tot > 0, tot, 1.0), 0.0)
    return avail * np.clip(f, 0.0, 1.0)[:, None]


def film_waterfall(receipts, tiers: list, *, dates=None, periods_per_year: int = 1,
                   discount_rates: dict[str, float] | None = None) -> FilmResult:
    """One-call film waterfall (see :class:`FilmWaterfall`)."""
    return FilmWaterfall(tiers, discount_rates or {}).run(receipts, dates=dates,
                                                          periods_per_year=periods_per_year)


def film1_tiers(*, sa_on_gross: bool = False, equity_accrual: str = "flat") -> list:
    """The FILM-1 example of the finance reference (constructed): CAM 1% capped
    at 50k, sales agent 15% of receipts net of the CAM fee, expenses 350k
    capped at 300k, residuals 200k, senior 3.0M + 8% x 1.5y + 2% fee, gap 1.5M
    + 12% x 1.5y + 5% fee, equity 3.5M x 120%, deferments 250k + 150k pari
    passu, net profits 50/50."""
    if equity_accrual == "flat":
        equity = Recoupment("Equity recoupment", "Equity", 3_500_000, premium=0.20)
    else:
        equity = Recoupment("Equity recoupment", "Equity", 3_500_000, rate=0.20, accrual=equity_accrual)
    cam = Fee("CAM fee", "CAM", 0.01, basis="gross", cap=50_000)
    sa = Fee("Sales agent commission", "Sales agent", 0.15, basis="gross" if sa_on_gross else "remaining")
    head = [sa, cam] if sa_on_gross else [cam, sa]
    return head + [
        Expense("Sales agent expenses", "Sales agent", 350_000, cap=300_000),
        Payment("Guild residuals", "Guilds", 200_000),
        Recoupment("Senior loan", "Senior lender", 3_000_000, rate=0.08, term_years=1.5, fee=0.02),
        Recoupment("Gap loan", "Gap lender", 1_500_000, rate=0.12, term_years=1.5, fee=0.05),
        equity,
        PariPassu("Deferments", [Recoupment("Producer deferment", "Producer", 250_000, invested=False),
                                 Recoupment("Talent deferment", "Talent", 150_000, invested=False)]),
        Split("Net profits", {"Equity": 0.5, "Producers' pool": 0.5}),
    ]
