"""Real-estate private-equity distribution waterfall, vectorized over
scenarios.

Two partner classes, ``LP`` (limited partners) and ``GP`` (sponsor), put in
capital in fixed co-investment shares (``lp_share`` / ``1 - lp_share``).
Each period's distributable cash runs down an ordered list of tiers:

:class:`ReturnOfCapital`
    unreturned capital back to the partners, pro rata (or LP first).
:class:`PreferredReturn`
    the preferred return at ``rate`` on each partner's unreturned capital,
    cumulative, under a stated compounding convention (see
    :mod:`engine.finance.timeline`).  Without a ReturnOfCapital tier in the
    waterfall it pays capital *and* pref ("to an 8% IRR").
:class:`CatchUp`
    ``rate`` (1.0 = full, 0.5 = 50/50...) of the cash to the GP until the GP
    holds ``target`` (by default the GP share of the next split) of all
    profit distributed so far: ``CU = Pref*carry/(c - carry)``.
:class:`Hurdle`
    a promote tier paid at (LP, GP) shares until the measured party (the LP
    by default; "all" for the whole project) reaches an IRR hurdle (an
    accruing hurdle balance reduced by all of its receipts, floored at zero)
    or an equity-multiple hurdle (distributions >= multiple x contributions).
:class:`Split`
    the residual split (no hurdle).  A waterfall whose last tier is not a
    Split gets a pro-rata residual tier.

Splits are given either straight (``split=(0.6, 0.4)``) or as a promoted
interest (``promote=0.2``: GP = GP_own + promote x LP_own, so 90/10 with a
20% promote pays 72/28); :func:`split_to_promote` converts.

Structures: European (whole fund: one waterfall on the fund's cash flows)
and American (deal by deal: one waterfall per deal, with an optional
clawback at the last date of what the GP received above the whole-fund
result).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np

from .metrics import Party, _2d
from .timeline import Accounts, Timeline, convention_name


# --- tiers ------------------------------------------------------------------------------

@dataclass
class ReturnOfCapital:
    order: str = "pro_rata"        # or "lp_first"
    name: str = "Return of capital"


@dataclass
class PreferredReturn:
    rate: float
    compounding: str | None = None   # None: the waterfall's convention
    name: str = "Preferred return"


@dataclass
class CatchUp:
    rate: float = 1.0                # GP share of the cash in this tier
    target: float | None = None      # GP share of profit to reach (default: next split's GP share)
    name: str = "GP catch-up"


@dataclass
class Hurdle:
    hurdle: float                    # IRR (0.15) or equity multiple (1.8)
    kind: str = "irr"                # "irr" or "multiple"
    split: tuple[float, float] | None = None
    promote: float | None = None
    measured: str = "lp"             # "lp", "gp" or "all" (project)
    compounding: str | None = None
    name: str = ""


@dataclass
class Split:
    split: tuple[float, float] | None = None
    promote: float | None = None
    name: str = "Residual split"


Tier = ReturnOfCapital | PreferredReturn | CatchUp | Hurdle | Split


def promoted_split(promote: float, gp_share: float) -> tuple[float, float]:
    """(LP, GP) shares of a promoted-interest tier: GP = GP_own + promote x LP_own."""
    gp = gp_share + promote * (1.0 - gp_share)
    return 1.0 - gp, gp


def split_to_promote(lp_split: float, lp_share: float) -> float:
    """The promote equivalent to a straight split: 1 - LP_split / LP_own
    (90/10 co-invest with a 60/40 split: 33.33%)."""
    return 1.0 - lp_split / lp_share


def catch_up_amount(pref: float, carry: float, rate: float = 1.0) -> float:
    """Catch-up paid after a pref when the GP has no capital: Pref*carry/(c-carry)."""
    return pref * carry / (rate - carry)


def _resolve_split(split, promote, gp_share: float) -> tuple[float, float]:
    if split is not None and promote is not None:
        raise ValueError("give a tier either a split or a promote, not both")
    if split is not None:
        lp, gp = float(split[0]), float(split[1])
        if lp < 0 or gp < 0 or abs(lp + gp - 1.0) > 1e-9:
            raise ValueError(f"split {split} must be two non-negative shares adding to 1")
        return lp, gp
    if promote is not None:
        if not 0 <= promote <= 1:
            raise ValueError(f"promote {promote} must be between 0 and 1")
        return promoted_split(float(promote), gp_share)
    return 1.0 - gp_share, gp_share


# --- results ----------------------------------------------------------------------------

@dataclass
class WaterfallResult:
    """Per partner per period flows, by tier, and metrics (see
    :class:`engine.finance.metrics.Party`)."""
    lp: Party
    gp: Party
    project: Party
    tiers: list[str]
    hurdles: dict[str, float] = field(default_factory=dict)   # tier name -> IRR hurdle
    clawback: np.ndarray | None = None                          # (S,), American structure
    structure: str = "european"
    deals: list["WaterfallResult"] = field(default_factory=list)

    @property
    def parties(self) -> dict[str, Party]:
        return {"LP": self.lp, "GP": self.gp}

    def tier_totals(self, scenario: int | None = None) -> dict[str, dict[str, float]]:
        """{tier: {"LP": x, "GP": y}} summed over periods (one scenario, or the
        mean over scenarios)."""
        out = {}
        for name in self.tiers:
            row = {}
            for pname, p in self.parties.items():
                a = p.by_tier.get(name)
                if a is None:
                    row[pname] = 0.0
                    continue
                tot = a.sum(axis=1)
                row[pname] = float(tot[scenario] if scenario is not None else tot.mean())
            out[name] = row
        return out

    def conservation_error(self) -> float:
        """max |LP + GP - project| over scenarios and periods (distributions
        and contributions)."""
        d = np.abs(self.lp.distributions + self.gp.distributions - self.project.distributions).max()
        c = np.abs(self.lp.contributions + self.gp.contributions - self.project.contributions).max()
        return float(max(d, c))

    def hurdle_probabilities(self) -> dict[str, float]:
        """P(LP IRR >= hurdle) for each IRR hurdle tier."""
        return {name: self.lp.prob_irr_at_least(h) for name, h in self.hurdles.items()}

    def summary(self, percentiles: Sequence[int] = (10, 50, 90)) -> dict[str, Any]:
        d = {"structure": self.structure, "scenarios": self.lp.n_scenarios,
             "LP": self.lp.summary(percentiles), "GP": self.gp.summary(percentiles),
             "project": self.project.summary(percentiles),
             "tiers": self.tier_totals(),
             "prob_hurdle": self.hurdle_probabilities()}
        if self.clawback is not None:
            from .metrics import summarize
            d["clawback"] = summarize(self.clawback, percentiles)
            d["prob_clawback"] = float(np.mean(self.clawback > 1e-9))
        return d


# --- the waterfall ----------------------------------------------------------------------

@dataclass
class EquityWaterfall:
    """An LP/GP equity waterfall.  ``run`` evaluates it on one set of
    project cash flows (European / single deal), ``run_american`` deal by
    deal with clawback."""
    tiers: list
    lp_share: float = 1.0                  # LP share of contributions (co-investment)
    compounding: str = "annual"            # default convention for pref and IRR hurdles
    discount_rates: dict[str, float] = field(default_factory=lambda: {"LP": 0.10, "GP": 0.10, "project": 0.10})

    def __post_init__(self):
        if not 0 <= self.lp_share <= 1:
            raise ValueError("lp_share must be between 0 and 1")
        self.compounding = convention_name(self.compounding)
        tiers = list(self.tiers)
        if not tiers or not isinstance(tiers[-1], Split):
            tiers.append(Split(name="Residual (pro rata)"))
        names = set()
        for i, t in enumerate(tiers):
            if isinstance(t, Hurdle) and not t.name:
                goal = f"{t.hurdle:g}x" if t.kind == "multiple" else f"{t.hurdle * 100:g}% IRR"
                t = replace(t, name=f"Tier {i + 1}: to {goal}")
                tiers[i] = t
            if t.name in names:
                t = replace(t, name=f"{t.name} ({i + 1})")
                tiers[i] = t
            names.add(t.name)
            if isinstance(t, Hurdle):
                if t.kind not in ("irr", "multiple"):
                    raise ValueError(f"{t.name}: hurdle kind must be 'irr' or 'multiple'")
                if t.measured not in ("lp", "gp", "all"):
                    raise ValueError(f"{t.name}: measured must be 'lp', 'gp' or 'all'")
            if isinstance(t, CatchUp) and not 0 < t.rate <= 1:
                raise ValueError(f"{t.name}: catch-up rate must be in (0, 1]")
        self.tiers = tiers

    @property
    def gp_share(self) -> float:
        return 1.0 - self.lp_share

    def _splits(self) -> list[tuple[float, float] | None]:
        out = []
        for t in self.tiers:
            if isinstance(t, (Hurdle, Split)):
                out.append(_resolve_split(t.split, t.promote, self.gp_share))
            else:
                out.append(None)
        return out

    def run(self, cash_flows=None, *, dates=None, periods_per_year: int = 1, contributions=None,
            distributions=None, timeline: Timeline | None = None) -> WaterfallResult:
        """Run the waterfall.  Either signed ``cash_flows`` (negative =
        capital call, positive = distributable cash) or non-negative
        ``contributions`` and ``distributions``; each ``(T,)`` or ``(S, T)``."""
        contrib, dist = _split_flows(cash_flows, contributions, distributions)
        s, n = dist.shape
        tl = timeline or Timeline.make(n, dates, periods_per_year)
        if len(tl) != n:
            raise ValueError(f"the timeline has {len(tl)} points but the cash flows have {n}")
        return self._run(contrib, dist, tl)

    def _run(self, contrib: np.ndarray, dist: np.ndarray, tl: Timeline) -> WaterfallResult:
        s, n = dist.shape
        g = self.gp_share
        shares = np.array([self.lp_share, g])
        splits = self._splits()
        has_roc = any(isinstance(t, ReturnOfCapital) for t in self.tiers)
        # hurdle accounts: (party, rate, convention) -> column
        keys: list[tuple[str, float, str]] = []

        def account(party: str, rate: float, conv: str | None) -> int:
            k = (party, float(rate), convention_name(conv, self.compounding))
            if k not in keys:
                keys.append(k)
            return keys.index(k)

        tier_acc: list[Any] = []
        for t in self.tiers:
            if isinstance(t, PreferredReturn):
                tier_acc.append((account("lp", t.rate, t.compounding), account("gp", t.rate, t.compounding)))
            elif isinstance(t, Hurdle) and t.kind == "irr":
                tier_acc.append(account(t.measured, t.hurdle, t.compounding))
            else:
                tier_acc.append(None)
        acc = Accounts(s, [k[1] for k in keys], [k[2] for k in keys], tl)
        party_cols = {p: [j for j, k in enumerate(keys) if k[0] == p] for p in ("lp", "gp", "all")}
        # catch-up targets: the GP share of the next split
        cu_target = []
        for i, t in enumerate(self.tiers):
            if isinstance(t, CatchUp):
                tgt = t.target
                if tgt is None:
                    nxt = next((splits[j] for j in range(i + 1, len(self.tiers)) if splits[j] is not None), None)
                    tgt = nxt[1] if nxt else g
                if tgt >= t.rate:
                    raise ValueError(f"{t.name}: the catch-up rate {t.rate} must exceed the target share {tgt}")
                cu_target.append(tgt)
            else:
                cu_target.append(None)

        names = [t.name for t in self.tiers]
        pay = {p: {nm: np.zeros((s, n)) for nm in names} for p in ("LP", "GP")}
        C = np.zeros((s, 2))        # cumulative contributions
        D = np.zeros((s, 2))        # cumulative distributions
        K = np.zeros((s, 2))        # unreturned capital (ReturnOfCapital tier)
        pc = contrib[:, :, None] * shares[None, None, :]     # (S, T, 2)

        def receive(i_party: int, amount: np.ndarray, capital_first: bool = False) -> None:
            D[:, i_party] += amount
            pname = "lp" if i_party == 0 else "gp"
            for j in party_cols[pname] + party_cols["all"]:
                acc.reduce(j, amount, capital_first)

        for k in range(n):
            if k:
                acc.accrue(k)
            for ip, pname in enumerate(("lp", "gp")):
                x = pc[:, k, ip]
                if np.any(x):
                    C[:, ip] += x
                    K[:, ip] += x
                    for j in party_cols[pname] + party_cols["all"]:
                        acc.add(j, x)
            avail = dist[:, k].copy()
            if not np.any(avail > 0):
                continue
            for ti, t in enumerate(self.tiers):
                nm = t.name
                if isinstance(t, ReturnOfCapital):
                    if t.order == "lp_first":
                        lp_amt = np.minimum(avail, K[:, 0])
                        gp_amt = np.minimum(avail - lp_amt, K[:, 1])
                    else:
                        need = K.sum(axis=1)
                        x = np.minimum(avail, need)
                        with np.errstate(invalid="ignore", divide="ignore"):
                            frac = np.where(need > 0, K[:, 0] / np.where(need > 0, need, 1.0), 0.0)
                        lp_amt = x * frac
                        gp_amt = x - lp_amt
                    amts = (lp_amt, gp_amt)
                    for ip in range(2):
                        K[:, ip] -= amts[ip]
                        receive(ip, amts[ip], capital_first=True)
                elif isinstance(t, PreferredReturn):
                    needs = []
                    for ip, j in enumerate(tier_acc[ti]):
                        h = acc.balance(j)
                        needs.append(np.maximum(h - K[:, ip], 0.0) if has_roc else h)
                    tot = needs[0] + needs[1]
                    x = np.minimum(avail, tot)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        frac = np.where(tot > 0, needs[0] / np.where(tot > 0, tot, 1.0), 0.0)
                    lp_amt = x * frac
                    gp_amt = x - lp_amt
                    amts = (lp_amt, gp_amt)
                    for ip in range(2):
                        receive(ip, amts[ip])
                        if not has_roc:   # capital and pref paid together
                            K[:, ip] = np.maximum(K[:, ip] - amts[ip], 0.0)
                elif isinstance(t, CatchUp):
                    c = t.rate
                    tgt = cu_target[ti]
                    profit = D.sum(axis=1) - C.sum(axis=1)
                    gp_profit = D[:, 1] - C[:, 1]
                    need = np.maximum((tgt * profit - gp_profit) / (c - tgt), 0.0)
                    x = np.minimum(avail, need)
                    amts = (x * (1.0 - c), x * c)
                    for ip in range(2):
                        receive(ip, amts[ip])
                elif isinstance(t, Hurdle):
                    lp_s, gp_s = splits[ti]
                    m_share = {"lp": lp_s, "gp": gp_s, "all": 1.0}[t.measured]
                    if t.kind == "irr":
                        need_m = acc.balance(tier_acc[ti])
                    else:
                        if t.measured == "all":
                            need_m = np.maximum(t.hurdle * C.sum(axis=1) - D.sum(axis=1), 0.0)
                        else:
                            ip = 0 if t.measured == "lp" else 1
                            need_m = np.maximum(t.hurdle * C[:, ip] - D[:, ip], 0.0)
                    if m_share <= 0:
                        raise ValueError(f"{nm}: the measured party gets no share of this tier")
                    x = np.minimum(avail, need_m / m_share)
                    amts = (x * lp_s, x * gp_s)
                    for ip in range(2):
                        receive(ip, amts[ip])
                else:   # Split
                    lp_s, gp_s = splits[ti]
                    x = avail
                    amts = (x * lp_s, x * gp_s)
                    for ip in range(2):
                        receive(ip, amts[ip])
                pay["LP"][nm][:, k] = amts[0]
                pay["GP"][nm][:, k] = amts[1]
                avail = avail - (amts[0] + amts[1])
                avail = np.where(avail < 1e-9 * np.maximum(dist[:, k], 1.0), 0.0, avail)
                if not np.any(avail > 0):
                    break
        lp_d = sum(pay["LP"].values())
        gp_d = sum(pay["GP"].values())
        dr = self.discount_rates
        lp = Party("LP", pc[:, :, 0], lp_d, tl, dr.get("LP", 0.10), pay["LP"])
        gp = Party("GP", pc[:, :, 1], gp_d, tl, dr.get("GP", 0.10), pay["GP"])
        proj = Party("project", contrib, dist, tl, dr.get("project", 0.10))
        hurdles = {}
        for t in self.tiers:
            if isinstance(t, Hurdle) and t.kind == "irr" and t.measured == "lp":
                hurdles[t.name] = t.hurdle
            elif isinstance(t, PreferredReturn):
                hurdles[t.name] = t.rate
        return WaterfallResult(lp, gp, proj, names, hurdles)

    def run_american(self, deal_flows: Sequence, *, dates=None, periods_per_year: int = 1,
                     clawback: bool = True, timeline: Timeline | None = None) -> WaterfallResult:
        """Deal-by-deal waterfall: one run per deal (each deal's signed flows,
        ``(T,)`` or ``(S, T)`` on a common timeline), summed per partner.  With
        ``clawback`` the GP returns, at the last date, what it received above
        the whole-fund (European) waterfall of the summed flows."""
        deals = [_2d(d) for d in deal_flows]
        if not deals:
            raise ValueError("no deals")
        s = max(d.shape[0] for d in deals)
        n = deals[0].shape[1]
        if any(d.shape[1] != n for d in deals):
            raise ValueError("every deal needs the same number of periods (a common timeline)")
        deals = [np.broadcast_to(d, (s, n)) for d in deals]
        tl = timeline or Timeline.make(n, dates, periods_per_year)
        runs = [self.run(d, timeline=tl) for d in deals]
        fund = np.sum(deals, axis=0)
        euro = self.run(fund, timeline=tl)
        names = runs[0].tiers
        by = {p: {nm: sum(r.parties[p].by_tier[nm] for r in runs) for nm in names} for p in ("LP", "GP")}
        lp_d = sum(by["LP"].values())
        gp_d = sum(by["GP"].values())
        claw = None
        if clawback:
            excess = gp_d.sum(axis=1) - euro.gp.distributions.sum(axis=1)
            claw = np.maximum(excess, 0.0)
            cb = np.zeros((s, n))
            cb[:, -1] = claw
            by["LP"]["Clawback"] = cb
            by["GP"]["Clawback"] = -cb
            lp_d = lp_d + cb
            gp_d = gp_d - cb
            names = names + ["Clawback"]
        dr = self.discount_rates
        lp = Party("LP", sum(r.lp.contributions for r in runs), lp_d, tl, dr.get("LP", 0.10), by["LP"])
        gp = Party("GP", sum(r.gp.contributions for r in runs), gp_d, tl, dr.get("GP", 0.10), by["GP"])
        proj = Party("project", sum(r.project.contributions for r in runs),
                     sum(r.project.distributions for r in runs), tl, dr.get("project", 0.10))
        return WaterfallResult(lp, gp, proj, names, runs[0].hurdles, claw, "american", runs)


def _split_flows(cash_flows, contributions, distributions) -> tuple[np.ndarray, np.ndarray]:
    if cash_flows is not None:
        cf = _2d(cash_flows)
        if not np.all(np.isfinite(cf)):
            raise ValueError("cash flows must be finite numbers")
        return np.maximum(-cf, 0.0), np.maximum(cf, 0.0)
    if contributions is None or distributions is None:
        raise ValueError("give cash_flows, or contributions and distributions")
    c, d = _2d(contributions), _2d(distributions)
    if np.any(c < 0) or np.any(d < 0):
        raise ValueError("contributions and distributions must be non-negative")
    s = max(c.shape[0], d.shape[0])
    return np.broadcast_to(c, (s, c.shape[1])).copy(), np.broadcast_to(d, (s, d.shape[1])).copy()


def re_waterfall(cash_flows, tiers: list, *, dates=None, periods_per_year: int = 1, lp_share: float = 1.0,
                 compounding: str = "annual", structure: str = "european", deals: Sequence | None = None,
                 clawback: bool = True, discount_rate: float | dict = 0.10) -> WaterfallResult:
    """One-call real-estate waterfall.  ``structure="american"`` needs
    ``deals`` (a list of per-deal signed flows); ``cash_flows`` is then
    ignored (the fund's flows are their sum)."""
    dr = discount_rate if isinstance(discount_rate, dict) else {"LP": discount_rate, "GP": discount_rate,
                                                                "project": discount_rate}
    wf = EquityWaterfall(tiers, lp_share=lp_share, compounding=compounding, discount_rates=dr)
    if structure == "american":
        if deals is None:
            raise ValueError("the American structure needs per-deal cash flows (deals=[...])")
        return wf.run_american(deals, dates=dates, periods_per_year=periods_per_year, clawback=clawback)
    if structure != "european":
        raise ValueError("structure must be 'european' or 'american'")
    if cash_flows is None and deals is not None:
        cash_flows = np.sum([_2d(d) for d in deals], axis=0)
    return wf.run(cash_flows, dates=dates, periods_per_year=periods_per_year)
