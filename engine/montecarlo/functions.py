"""Monte Carlo worksheet functions as the evaluator sees them.

GridFlow's own names (``GF.NORMAL``, spelled ``GF_NORMAL`` in classic
desktop Excel), and the @RISK (``RiskNormal``), Analytic Solver
(``PsiNormal``) and ModelRisk (``VoseNormal``) names of the same
distributions, property functions (``RiskTruncate``...), output markers and
post-run statistics.  Distribution calls are evaluated here rather than in
the function registry because each call *site* is its own random input.

Without a simulation running, a distribution returns its mean (or its
static value), so the workbook stays usable in plain Excel semantics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..eval.context import SPECIAL_FORM_CATEGORY, SPECIAL_FORMS, EvalContext, evaluate
from ..eval.refs import RangeRef
from ..eval.vector import Vec
from ..functions import coerce
from ..parser import ast as A
from ..values import BLANK, MISSING, NA, NUM, VALUE, Array, XLError
from .distributions import DISTRIBUTIONS, Dist, DistributionError

# --- names ---------------------------------------------------------------------------------

_GF = {d: d for d in DISTRIBUTIONS}
_RISK = {"RISKNORMAL": "NORMAL", "RISKLOGNORM": "LOGNORMAL", "RISKLOGNORM2": "LOGNORMAL2",
         "RISKUNIFORM": "UNIFORM", "RISKINTUNIFORM": "INTUNIFORM", "RISKTRIANG": "TRIANGULAR",
         "RISKTRIGEN": "TRIGEN", "RISKPERT": "PERT", "RISKBETA": "BETA", "RISKBETAGENERAL": "BETAGENERAL",
         "RISKGAMMA": "GAMMA", "RISKEXPON": "EXPON", "RISKWEIBULL": "WEIBULL", "RISKLOGISTIC": "LOGISTIC",
         "RISKSTUDENT": "STUDENT", "RISKCHISQ": "CHISQ", "RISKPARETO": "PARETO", "RISKBINOMIAL": "BINOMIAL",
         "RISKPOISSON": "POISSON", "RISKNEGBIN": "NEGBIN", "RISKGEOMET": "GEOMETRIC", "RISKDISCRETE": "DISCRETE",
         "RISKDUNIFORM": "DUNIFORM", "RISKCUMUL": "CUMUL", "RISKGENERAL": "GENERAL", "RISKHISTOGRM": "HISTOGRAM",
         "RISKBERNOULLI": "BERNOULLI"}
_PSI = {"PSINORMAL": "NORMAL", "PSILOGNORMAL": "LOGNORMAL", "PSILOGNORM2": "LOGNORMAL2", "PSIUNIFORM": "UNIFORM",
        "PSIINTUNIFORM": "INTUNIFORM", "PSITRIANGULAR": "TRIANGULAR", "PSIPERT": "PERT", "PSIBETA": "BETA",
        "PSIBETAGEN": "BETAGENERAL", "PSIGAMMA": "GAMMA", "PSIEXPONENTIAL": "EXPON", "PSIWEIBULL": "WEIBULL",
        "PSILOGISTIC": "LOGISTIC", "PSISTUDENT": "STUDENT", "PSICHISQUARE": "CHISQ", "PSIPARETO": "PARETO",
        "PSIBINOMIAL": "BINOMIAL", "PSIPOISSON": "POISSON", "PSINEGBINOMIAL": "NEGBIN", "PSIGEOMETRIC": "GEOMETRIC",
        "PSIDISCRETE": "DISCRETE", "PSIDISUNIFORM": "DUNIFORM", "PSICUMUL": "CUMUL", "PSIGENERAL": "GENERAL",
        "PSIBERNOULLI": "BERNOULLI"}
_VOSE = {"VOSENORMAL": "NORMAL", "VOSELOGNORMAL": "LOGNORMAL", "VOSEUNIFORM": "UNIFORM",
         "VOSEINTUNIFORM": "INTUNIFORM", "VOSETRIANGLE": "TRIANGULAR", "VOSEPERT": "PERT", "VOSEBETA": "BETA",
         "VOSEBETA4": "BETAGENERAL", "VOSEGAMMA": "GAMMA", "VOSEEXPON": "EXPON", "VOSEWEIBULL": "WEIBULL",
         "VOSELOGISTIC": "LOGISTIC", "VOSESTUDENT": "STUDENT", "VOSECHISQ": "CHISQ", "VOSEBINOMIAL": "BINOMIAL",
         "VOSEPOISSON": "POISSON", "VOSENEGBIN": "NEGBIN", "VOSEGEOMETRIC": "GEOMETRIC", "VOSEDISCRETE": "DISCRETE",
         "VOSEDUNIFORM": "DUNIFORM", "VOSECUMULA": "CUMUL", "VOSERELATIVE": "GENERAL", "VOSEHISTOGRAM": "HISTOGRAM",
         "VOSEBERNOULLI": "BERNOULLI"}

PROPERTIES = {"NAME", "TRUNCATE", "SHIFT", "STATIC", "LOCK", "SEED", "CORRMAT", "COPULA", "CONVERGENCE",
              "UNITS", "CATEGORY", "COLLECT", "ISDATE", "ISDISCRETE", "TRUNCATEP"}
OUTPUTS = {"GF.OUTPUT", "RISKOUTPUT", "PSIOUTPUT", "VOSEOUTPUT", "VOSEINPUT"}
STATISTICS = {"MEAN", "STDEV", "STDDEV", "MIN", "MAX", "PERCENTILE", "PTOX", "PROB", "TARGET", "XTOP",
              "MEANCI", "CORREL", "VARIANCE", "MEDIAN", "SKEWNESS", "KURTOSIS", "DATA"}


def canonical(name: str) -> str:
    """Normalise GF_NORMAL / _xldudf_GF_NORMAL / gf.normal to GF.NORMAL."""
    up = name.upper()
    if up.startswith("_XLDUDF_"):
        up = up[8:]
    if up.startswith("GF_"):
        up = "GF." + up[3:]
    return up


def distribution_of(name: str) -> Dist | None:
    up = canonical(name)
    if up.startswith("GF."):
        d = _GF.get(up[3:])
    else:
        d = _RISK.get(up) or _PSI.get(up) or _VOSE.get(up)
    return DISTRIBUTIONS.get(d) if d else None


def property_of(name: str) -> str | None:
    up = canonical(name)
    for prefix in ("GF.", "RISK", "PSI", "VOSE"):
        if up.startswith(prefix) and up[len(prefix):] in PROPERTIES:
            return up[len(prefix):]
    return None


def statistic_of(name: str) -> str | None:
    up = canonical(name)
    for prefix in ("GF.", "RISK", "PSI"):
        if up.startswith(prefix) and up[len(prefix):] in STATISTICS:
            return up[len(prefix):]
    return None


def is_output(name: str) -> bool:
    return canonical(name) in OUTPUTS


EXCEL_RANDOM = ("RAND", "RANDBETWEEN", "RANDARRAY")


def is_random_call(node: A.Node) -> bool:
    return isinstance(node, A.Call) and (distribution_of(node.name) is not None
                                         or node.name in EXCEL_RANDOM)


# --- evaluating a distribution call ------------------------------------------------------------

@dataclass
class Props:
    name: str | None = None
    truncate: tuple[float, float] | None = None
    shift: float = 0.0
    static: Any = None
    lock: bool = False
    seed: int | None = None
    corrmat: tuple[Any, int] | None = None   # (RangeRef/Array, position)
    copula: str = "iman-conover"
    extra: dict = field(default_factory=dict)


def split_args(node: A.Call) -> tuple[list[A.Node], list[A.Call]]:
    params, props = [], []
    for a in node.args:
        if isinstance(a, A.Call) and property_of(a.name):
            props.append(a)
        else:
            params.append(a)
    return params, props


def eval_props(props: list[A.Call], ctx: EvalContext) -> Props:
    p = Props()
    for call in props:
        kind = property_of(call.name)
        args = [evaluate(a, ctx) for a in call.args]
        vals = [ctx.to_scalar_or_array(a) if not isinstance(a, RangeRef) or a.is_cell else a for a in args]
        if kind == "NAME" and vals:
            p.name = coerce.to_text(vals[0])
        elif kind in ("TRUNCATE", "TRUNCATEP"):
            lo = -math.inf if len(vals) < 1 or vals[0] in (MISSING, BLANK) else coerce.to_number(vals[0])
            hi = math.inf if len(vals) < 2 or vals[1] in (MISSING, BLANK) else coerce.to_number(vals[1])
            if kind == "TRUNCATEP":
                p.extra["truncatep"] = (lo if lo != -math.inf else 0.0, hi if hi != math.inf else 1.0)
            else:
                p.truncate = (lo, hi)
        elif kind == "SHIFT" and vals:
            p.shift = coerce.to_number(vals[0])
        elif kind == "STATIC" and vals:
            p.static = vals[0]
        elif kind == "LOCK":
            p.lock = True if not vals else coerce.to_bool(vals[0])
        elif kind == "SEED" and vals:
            # RiskSeed(type, seed) or GF.SEED(seed)
            p.seed = int(coerce.to_number(vals[-1]))
        elif kind in ("CORRMAT", "COPULA") and len(args) >= 2:
            p.corrmat = (args[0], int(coerce.to_number(ctx.to_scalar_or_array(args[1]))))
            if kind == "COPULA" or (len(vals) >= 3 and isinstance(vals[2], str) and vals[2].lower().startswith("gauss")):
                p.copula = "gaussian"
        else:
            p.extra[kind] = vals
    return p


def eval_params(dist: Dist, params: list[A.Node], ctx: EvalContext) -> list[Any]:
    if len(params) < dist.min_args or len(params) > len(dist.params):
        raise XLError("#VALUE!", f"{dist.name} takes {dist.min_args}..{len(dist.params)} parameters, "
                                 f"got {len(params)}")
    out = []
    for i, node in enumerate(params):
        v = evaluate(node, ctx)
        if i in dist.array_params:
            arr = ctx.to_array(v) if not isinstance(v, XLError) else v
            if isinstance(arr, XLError):
                raise arr
            vals = []
            for x in arr:
                if isinstance(x, XLError):
                    raise x
                if isinstance(x, Vec):
                    raise XLError("#VALUE!", f"{dist.name}: value lists cannot be random")
                if isinstance(x, (float, int)) and not isinstance(x, bool):
                    vals.append(float(x))
            out.append(np.array(vals))
            continue
        v = ctx.to_scalar_or_array(v)
        if isinstance(node, A.MissingArg) or v is MISSING:
            name = dist.params[i]
            if name in dist.optional:
                out.append(dist.optional[name])
                continue
        if isinstance(v, Vec):
            if v.data.dtype == object:
                bad = next((x for x in v.data if isinstance(x, XLError)), None)
                if bad is not None:
                    raise bad
                out.append(np.array([coerce.to_number(x) for x in v.data]))
            else:
                out.append(v.data.astype(float))
            continue
        if isinstance(v, Array):
            v = v.data[0][0]
        out.append(coerce.to_number(v))
    for name in dist.params[len(params):]:
        out.append(dist.optional[name])
    if dist.check is not None:
        msg = dist.check(*out)
        if msg:
            raise XLError("#NUM!", f"{dist.name}: {msg}")
    return out


def base_value(dist: Dist, params: list, props: Props) -> float:
    """What the input shows outside a simulation: its static value, else its
    mean (of the truncated distribution when truncated), plus any shift."""
    if props.static is not None and props.static not in (MISSING, BLANK):
        return coerce.to_number(props.static)
    if props.truncate or "truncatep" in props.extra:
        grid = (np.arange(4000) + 0.5) / 4000
        return float(np.mean(sample(dist, params, props, grid)))
    return float(dist.mean(*params)) + props.shift


def sample(dist: Dist, params: list, props: Props, u: np.ndarray) -> np.ndarray:
    """Draws from the uniforms ``u``, honouring truncation and shift."""
    if "truncatep" in props.extra:
        plo, phi = props.extra["truncatep"]
        u = plo + u * (phi - plo)
    elif props.truncate is not None:
        lo, hi = props.truncate
        if dist.cdf is None:
            raise XLError("#VALUE!", f"{dist.name} cannot be truncated")
        with np.errstate(all="ignore"):
            flo = dist.cdf(lo - (0.5 if dist.discrete else 0.0), *params) if np.isfinite(lo) else 0.0
            fhi = dist.cdf(hi, *params) if np.isfinite(hi) else 1.0
        if np.any(np.asarray(fhi) <= np.asarray(flo)):
            raise XLError("#NUM!", f"{dist.name}: truncation leaves no probability")
        u = flo + u * (np.asarray(fhi) - np.asarray(flo))
    with np.errstate(all="ignore"):
        x = np.asarray(dist.ppf(u, *params), dtype=float)
    if props.shift:
        x = x + props.shift
    return x


def _eval_distribution(node: A.Call, ctx: EvalContext) -> Any:
    dist = distribution_of(node.name)
    params, prop_nodes = split_args(node)
    try:
        props = eval_props(prop_nodes, ctx)
        vals = eval_params(dist, params, ctx)
        sim = ctx.model.simulation
        if sim is None or props.lock:
            return base_value(dist, vals, props)
        u = sim.uniforms_for(node)
        if u is None:
            return base_value(dist, vals, props)
        x = sample(dist, vals, props, u)
    except XLError as e:
        return e
    except (DistributionError, ValueError, ZeroDivisionError) as exc:
        return XLError("#NUM!", f"{dist.name}: {exc}")
    if not np.all(np.isfinite(x)):
        obj = x.astype(object)
        obj[~np.isfinite(x)] = NUM
        out = Vec(obj)
    else:
        out = Vec(x)
    sim.record_input(node, x)
    return out


def _eval_rand(node: A.Call, ctx: EvalContext) -> Any:
    """RAND()/RANDBETWEEN() are random inputs while a simulation runs."""
    sim = ctx.model.simulation
    from ..eval.context import call as plain_call
    if sim is None:
        return _plain_call(node, ctx)
    u = sim.uniforms_for(node)
    if u is None:
        return _plain_call(node, ctx)
    if node.name == "RAND":
        x = u.copy()
    else:
        if len(node.args) != 2:
            return VALUE
        lo = coerce.to_number(ctx.scalar(node.args[0]))
        hi = coerce.to_number(ctx.scalar(node.args[1]))
        lo, hi = math.ceil(lo), math.floor(hi)
        if lo > hi:
            return NUM
        x = np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)
    sim.record_input(node, x)
    del plain_call
    return Vec(x)


def randarray_size(node: A.Call, ctx: EvalContext) -> tuple[int, int]:
    """RANDARRAY's rows x cols as evaluated now (raises XLError)."""
    from ..functions.dynamic import _dim
    if len(node.args) > 5:
        raise VALUE.with_message("RANDARRAY takes 0..5 arguments")
    vals = [evaluate(a, ctx) for a in node.args[:2]]
    while len(vals) < 2:
        vals.append(MISSING)
    return _dim(ctx, vals[0]), _dim(ctx, vals[1])


def randarray_bounds(node: A.Call, ctx: EvalContext) -> tuple[float, float, bool]:
    """RANDARRAY's fixed (min, max, whole); raises XLError (#VALUE! when
    min > max, or when whole numbers are asked for between bounds that are not)."""
    from ..functions.dynamic import randarray_bounds as bounds
    vals = [evaluate(a, ctx) for a in node.args[2:5]]
    while len(vals) < 3:
        vals.append(MISSING)
    for v in vals:
        if isinstance(ctx.to_scalar_or_array(v), Vec):
            raise VALUE.with_message("RANDARRAY: bounds depend on random cells")
    return bounds(ctx, *vals)


def _per_scenario_number(ctx: EvalContext, v: Any, default: float, n: int):
    """A bound as a float or a per-scenario float array, with the scenarios
    where it is not a number (None when there are none)."""
    v = ctx.to_scalar_or_array(v)
    if isinstance(v, Array):
        v = v.data[0][0]
    if v is MISSING:
        return default, None
    if not isinstance(v, Vec):
        return coerce.to_number(v), None      # an error or text raises for every scenario
    if v.data.dtype != object:
        return v.data.astype(float), None
    out = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    for i, x in enumerate(v.data):
        try:
            out[i] = coerce.to_number(x)
        except XLError:
            bad[i] = True
    return out, bad


def _eval_randarray(node: A.Call, ctx: EvalContext) -> Any:
    """RANDARRAY(rows, cols, min, max, whole) in a simulation: an array of
    random inputs (one uniform stream per element, planned by
    plan_simulation), each element a per-scenario vector; outside a
    simulation, Excel's volatile random array."""
    sim = ctx.model.simulation
    planned = sim.array_inputs(node) if sim is not None and hasattr(sim, "array_inputs") else None
    if not planned:
        return _plain_call(node, ctx)
    rows, cols, indices = planned
    n = sim.u.shape[0]
    vals = [evaluate(a, ctx) for a in node.args[2:5]]
    while len(vals) < 3:
        vals.append(MISSING)
    bad = None
    try:
        if any(isinstance(ctx.to_scalar_or_array(v), Vec) for v in vals):
            from ..functions.dynamic import _opt_bool
            whole_v = ctx.to_scalar_or_array(vals[2])
            if isinstance(whole_v, Vec):
                return VALUE.with_message("RANDARRAY: whole_number cannot be random")
            whole = _opt_bool(ctx, vals[2], False)
            lo, bad_lo = _per_scenario_number(ctx, vals[0], 0.0, n)
            hi, bad_hi = _per_scenario_number(ctx, vals[1], 1.0, n)
            with np.errstate(invalid="ignore"):
                bad = np.broadcast_to(np.asarray(lo) > np.asarray(hi), (n,)).copy()
                if whole:
                    bad |= np.broadcast_to((np.floor(lo) != lo) | (np.floor(hi) != hi), (n,))
            for extra in (bad_lo, bad_hi):
                if extra is not None:
                    bad |= extra
        else:
            lo, hi, whole = randarray_bounds(node, ctx)
    except XLError as e:
        return e
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            i = indices[r * cols + c]
            u = sim.u[:, i]
            with np.errstate(invalid="ignore"):
                if whole:
                    x = np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)
                else:
                    x = lo + u * (hi - lo)
            x = np.array(np.broadcast_to(x, (n,)), dtype=float)
            if bad is not None and bad.any():
                x[bad] = np.nan
                obj = x.astype(object)
                obj[bad] = VALUE
                row.append(Vec(obj))
            else:
                row.append(Vec(x))
            sim.record(i, x)
        out.append(row)
    return Array(out)


def _plain_call(node: A.Call, ctx: EvalContext) -> Any:
    from ..functions import registry
    spec = registry.get(node.name)
    if spec is None:
        return XLError("#NAME?", f"unknown function {node.name}")
    return registry.invoke(spec, [evaluate(a, ctx) for a in node.args], ctx)


def _eval_output(node: A.Call, ctx: EvalContext) -> Any:
    if canonical(node.name) == "GF.OUTPUT":
        if not node.args:
            return VALUE
        return ctx.to_scalar_or_array(evaluate(node.args[0], ctx))
    return 0.0   # RiskOutput()/PsiOutput() are added to the formula: they contribute 0


def _eval_property_alone(node: A.Call, ctx: EvalContext) -> Any:
    return XLError("#VALUE!", f"{node.name} is a property: use it inside a distribution function")


def _eval_statistic(node: A.Call, ctx: EvalContext) -> Any:
    stat = statistic_of(node.name)
    results = ctx.model.simulation_results
    if not node.args:
        return VALUE
    target = evaluate(node.args[0], ctx)
    if results is None:
        return NA.with_message("no simulation has run yet")
    series = results.series_for(target, ctx.model)
    if series is None:
        return NA.with_message(f"{node.name}: the cell was not recorded in the last simulation")
    x = series[np.isfinite(series)]
    if x.size == 0:
        return NUM
    rest = [ctx.to_scalar_or_array(evaluate(a, ctx)) for a in node.args[1:]]
    try:
        if stat == "MEAN":
            return float(np.mean(x))
        if stat in ("STDEV", "STDDEV"):
            return float(np.std(x, ddof=1)) if x.size > 1 else 0.0
        if stat == "VARIANCE":
            return float(np.var(x, ddof=1)) if x.size > 1 else 0.0
        if stat == "MIN":
            return float(np.min(x))
        if stat == "MAX":
            return float(np.max(x))
        if stat == "MEDIAN":
            return float(np.median(x))
        if stat == "SKEWNESS":
            from scipy.stats import skew
            return float(skew(x))
        if stat == "KURTOSIS":
            from scipy.stats import kurtosis
            return float(kurtosis(x, fisher=False))
        if stat in ("PERCENTILE", "PTOX"):
            p = coerce.to_number(rest[0])
            if p > 1:
                p /= 100.0
            if not 0 <= p <= 1:
                return NUM
            return float(np.quantile(x, p))
        if stat in ("PROB", "TARGET", "XTOP"):
            t = coerce.to_number(rest[0])
            return float(np.mean(x <= t))
        if stat == "MEANCI":
            from scipy.stats import t as student
            level = coerce.to_number(rest[0]) if rest else 0.95
            half = student.ppf(0.5 + level / 2, x.size - 1) * np.std(x, ddof=1) / math.sqrt(x.size)
            upper = bool(coerce.to_bool(rest[1])) if len(rest) > 1 else False
            return float(np.mean(x) + half) if upper else float(np.mean(x) - half)
        if stat == "DATA":
            i = int(coerce.to_number(rest[0]))
            return float(series[i - 1]) if 1 <= i <= series.size else NA
        if stat == "CORREL":
            other = results.series_for(evaluate(node.args[1], ctx), ctx.model)
            if other is None:
                return NA
            ok = np.isfinite(series) & np.isfinite(other)
            kind = coerce.to_number(rest[1]) if len(rest) > 1 else 2
            a, b = series[ok], other[ok]
            if kind == 2:
                from scipy.stats import rankdata
                a, b = rankdata(a), rankdata(b)
            return float(np.corrcoef(a, b)[0, 1])
    except XLError as e:
        return e
    return VALUE


def _eval_simtable(node: A.Call, ctx: EvalContext) -> Any:
    if not node.args:
        return VALUE
    arr = ctx.to_array(evaluate(node.args[0], ctx))
    vals = [v for v in arr]
    k = ctx.model.simulation_index
    return vals[k] if k < len(vals) else NA


def _eval_hdr(node: A.Call, ctx: EvalContext) -> Any:
    """GF.HDR(counter, var_id, [entity], [seed3], [seed4]): the SIPmath HDR 2.0 uniform."""
    from .sampling import hdr_uniform
    vals = [ctx.scalar(a) for a in node.args]
    if not 2 <= len(vals) <= 5:
        return VALUE
    try:
        nums = [coerce.to_number(v) if not isinstance(v, Vec) else v.data for v in vals]
    except XLError as e:
        return e
    while len(nums) < 5:
        nums.append(1.0 if len(nums) == 2 else 0.0)
    r = hdr_uniform(np.asarray(nums[0], dtype=np.int64), *(int(x) for x in nums[1:]))
    return Vec(np.asarray(r, float)) if np.ndim(r) else float(r)


def register() -> None:
    """Install the Monte Carlo names in the evaluator's special forms."""
    for prefix_map, prefix in ((_GF, "GF."), (_RISK, ""), (_PSI, ""), (_VOSE, "")):
        for k in prefix_map:
            for name in ((prefix + k, "GF_" + k) if prefix else (k,)):
                SPECIAL_FORMS[name] = _eval_distribution
                SPECIAL_FORM_CATEGORY[name] = "montecarlo"
    for prop in PROPERTIES:
        for prefix in ("GF.", "GF_", "RISK", "PSI", "VOSE"):
            SPECIAL_FORMS[prefix + prop] = _eval_property_alone
            SPECIAL_FORM_CATEGORY[prefix + prop] = "montecarlo"
    for out in OUTPUTS | {"GF_OUTPUT"}:
        SPECIAL_FORMS[out] = _eval_output
        SPECIAL_FORM_CATEGORY[out] = "montecarlo"
    for stat in STATISTICS:
        for prefix in ("GF.", "GF_", "RISK", "PSI"):
            SPECIAL_FORMS[prefix + stat] = _eval_statistic
            SPECIAL_FORM_CATEGORY[prefix + stat] = "montecarlo"
    for name in ("GF.SIMTABLE", "GF_SIMTABLE", "RISKSIMTABLE", "PSISIMTABLE"):
        SPECIAL_FORMS[name] = _eval_simtable
        SPECIAL_FORM_CATEGORY[name] = "montecarlo"
    for name in ("GF.HDR", "GF_HDR"):
        SPECIAL_FORMS[name] = _eval_hdr
        SPECIAL_FORM_CATEGORY[name] = "montecarlo"
    SPECIAL_FORMS["RAND"] = _eval_rand
    SPECIAL_FORMS["RANDBETWEEN"] = _eval_rand
    SPECIAL_FORMS["RANDARRAY"] = _eval_randarray


register()
