"""The one registry of GridFlow's worksheet functions.

Every function users type in Excel (``GF.NORMAL`` in the Office.js add-in,
``GF_NORMAL`` in classic desktop Excel through xlwings) is defined here
once: name, description, parameters (name, description, type,
dimensionality, optionality, repetition) and result shape.  The add-in's
custom-functions metadata (``addin/functions.json``), its JavaScript
(``addin/functions.js``) and the classic xlwings module
(``udfs/xlwings_udfs.py``) are generated from it (``python -m udfs.generate``).

The structural facts come from the engine, so they cannot drift apart:

* distributions: names, parameter names, which parameters are optional and
  which take a list of values come from ``engine.montecarlo.distributions``;
* property functions, statistics and the other ``GF.`` names come from
  ``engine.montecarlo.functions`` (``PROPERTIES``, ``STATISTICS``, the
  evaluator's special forms).

What the engine does not know (the words users read in Excel's formula
tooltips, and the shape of the few functions whose arguments the engine
parses itself) is in the documentation tables below; ``check_registry()``
fails when a table names a function the engine lacks or misses one it has.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from functools import lru_cache

NAMESPACE = "GF"

# --- types ---------------------------------------------------------------------------------

TYPES = ("number", "string", "boolean", "any")
DIMENSIONALITIES = ("scalar", "matrix")
KINDS = ("distribution", "property", "statistic", "output", "utility", "progress")


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    type: str = "number"               # number | string | boolean | any
    dimensionality: str = "scalar"     # scalar | matrix
    optional: bool = False
    repeating: bool = False            # repeated trailing argument (Excel passes a list)
    default: object = None             # what an omitted optional argument means (documentation)

    @property
    def py_name(self) -> str:
        """The name in Python (and in the VBA wrappers xlwings writes)."""
        return self.name + "_" if keyword.iskeyword(self.name) else self.name


@dataclass(frozen=True)
class UDF:
    name: str                          # without namespace: NORMAL (Excel shows GF.NORMAL)
    kind: str
    description: str
    params: tuple[Param, ...]
    result_type: str = "number"
    result_dimensionality: str = "scalar"
    stream: bool = False
    requires_address: bool = False
    requires_parameter_addresses: bool = False
    engine_name: str = ""              # the engine's own key (distribution / statistic / property)
    aliases: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """The custom-functions id (upper case, never to change once published)."""
        return self.name.upper()

    @property
    def excel_name(self) -> str:
        return f"{NAMESPACE}.{self.name}"

    @property
    def classic_name(self) -> str:
        return f"{NAMESPACE}_{self.name}"

    @property
    def js_name(self) -> str:
        return "gf_" + self.name.lower()

    @property
    def signature(self) -> str:
        parts = []
        for p in self.params:
            s = p.name + ("..." if p.repeating else "")
            parts.append(f"[{s}]" if p.optional or p.repeating else s)
        return f"{self.excel_name}({', '.join(parts)})"


# --- documentation tables (words only; structure comes from the engine) -------------------

DIST_DOCS: dict[str, str] = {
    "NORMAL": "Normal distribution with the given mean and standard deviation.",
    "TRUNCNORMAL": "Normal distribution truncated to [min, max].",
    "LOGNORMAL": "Lognormal distribution given the mean and standard deviation of the variable itself.",
    "LOGNORMAL2": "Lognormal distribution given the mean and standard deviation of its logarithm.",
    "UNIFORM": "Continuous uniform distribution between min and max.",
    "INTUNIFORM": "Whole numbers from min to max, each equally likely.",
    "TRIANGULAR": "Triangular distribution from min to max with the given most likely value.",
    "TRIGEN": "Triangular distribution given two percentiles (bottom and top) and the most likely value.",
    "PERT": "PERT (beta) distribution from min to max around the most likely value.",
    "BETA": "Beta distribution on [0, 1] with two shape parameters.",
    "BETAGENERAL": "Beta distribution rescaled to [min, max].",
    "GAMMA": "Gamma distribution with shape alpha and scale beta.",
    "EXPON": "Exponential distribution with the given mean.",
    "WEIBULL": "Weibull distribution with shape alpha and scale beta.",
    "LOGISTIC": "Logistic distribution with location alpha and scale beta.",
    "STUDENT": "Student's t distribution with nu degrees of freedom.",
    "CHISQ": "Chi-squared distribution with nu degrees of freedom.",
    "PARETO": "Pareto distribution with shape theta and minimum alpha.",
    "BERNOULLI": "1 with probability p, otherwise 0.",
    "BINOMIAL": "Number of successes in n trials with success probability p.",
    "POISSON": "Poisson distribution (number of events) with mean lambda.",
    "NEGBIN": "Negative binomial: failures before the s-th success with success probability p.",
    "GEOMETRIC": "Failures before the first success with success probability p.",
    "DISCRETE": "One of the listed values, drawn with the listed probabilities.",
    "DUNIFORM": "One of the listed values, each equally likely.",
    "CUMUL": "Piecewise-linear cumulative distribution through (value, cumulative probability) points.",
    "GENERAL": "Distribution with a piecewise-linear density through (value, density) points.",
    "HISTOGRAM": "Histogram distribution: equal-width bins from min to max with the given probabilities.",
    "EMPIRICAL": "Resamples the values of a range (historical data).",
    "METALOG": "Metalog distribution fitted to (value, probability) pairs, optionally bounded.",
}

# parameter words shared by many distributions; DIST_PARAM_DOCS overrides per distribution
PARAM_DOCS: dict[str, str] = {
    "mean": "Mean of the distribution.",
    "sd": "Standard deviation (>= 0).",
    "min": "Smallest possible value.",
    "max": "Largest possible value.",
    "mode": "Most likely value.",
    "shape": "Shape (weight of the most likely value); 4 when omitted.",
    "alpha": "Shape parameter alpha (> 0).",
    "beta": "Scale parameter beta (> 0).",
    "alpha1": "First shape parameter (> 0).",
    "alpha2": "Second shape parameter (> 0).",
    "mu": "Mean of the logarithm.",
    "sigma": "Standard deviation of the logarithm (> 0).",
    "nu": "Degrees of freedom (> 0).",
    "theta": "Shape theta (> 0).",
    "p": "Probability of success, between 0 and 1.",
    "n": "Number of trials.",
    "s": "Number of successes (> 0).",
    "lambda": "Mean number of events (> 0).",
    "values": "Range or array of values.",
    "probabilities": "Range or array of probabilities, one per value.",
    "cumulative_probabilities": "Range or array of cumulative probabilities, one per value, increasing.",
    "densities": "Range or array of relative densities, one per value.",
    "bottom": "Value at the bottom percentile.",
    "top": "Value at the top percentile.",
    "bottom_pct": "Percentile of bottom (10 when omitted; 10 or 0.1).",
    "top_pct": "Percentile of top (90 when omitted; 90 or 0.9).",
    "lower": "Lower bound (none when omitted).",
    "upper": "Upper bound (none when omitted).",
    "terms": "Number of metalog terms (as many as pairs when omitted, at most 16).",
}
DIST_PARAM_DOCS: dict[str, dict[str, str]] = {
    "LOGNORMAL": {"mean": "Mean of the variable (> 0).", "sd": "Standard deviation of the variable (> 0)."},
    "EXPON": {"mean": "Mean (> 0)."},
    "LOGISTIC": {"alpha": "Location (the mean).", "beta": "Scale (> 0)."},
    "PARETO": {"alpha": "Minimum value (> 0)."},
    "TRUNCNORMAL": {"min": "Lower truncation bound (none when omitted).",
                    "max": "Upper truncation bound (none when omitted)."},
    "HISTOGRAM": {"probabilities": "Range or array of bin probabilities (equal-width bins)."},
    "METALOG": {"probabilities": "Range or array of cumulative probabilities (strictly between 0 and 1), one per value."},
}

PROPERTIES_PARAM = Param("properties", "Property functions such as GF.NAME, GF.TRUNCATE, GF.CORRMAT.",
                         type="any", repeating=True)

# property functions: parameters are parsed by the engine's evaluator (eval_props)
PROPERTY_DOCS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "NAME": ("Names the random input (used in results and reports).",
             (Param("input_name", "The input's name.", type="string"),)),
    "TRUNCATE": ("Truncates the distribution to [min, max].",
                 (Param("min", "Lower bound (none when omitted).", optional=True),
                  Param("max", "Upper bound (none when omitted).", optional=True))),
    "TRUNCATEP": ("Truncates the distribution between two percentiles.",
                  (Param("min_p", "Lower percentile, 0-1 (0 when omitted).", optional=True),
                   Param("max_p", "Upper percentile, 0-1 (1 when omitted).", optional=True))),
    "SHIFT": ("Adds a constant to every draw.", (Param("amount", "The shift."),)),
    "STATIC": ("The value shown outside a simulation instead of the mean.",
               (Param("value", "The static value."),)),
    "LOCK": ("Keeps the input at its base value during simulations.",
             (Param("locked", "TRUE to lock (TRUE when omitted).", type="boolean", optional=True),)),
    "SEED": ("Gives the input its own random stream.",
             (Param("seed", "The seed (a whole number)."),)),
    "CORRMAT": ("Correlates the input through a correlation matrix on the sheet.",
                (Param("matrix", "The correlation matrix (a square range).", type="any", dimensionality="matrix"),
                 Param("position", "The input's row/column in the matrix (1-based)."),
                 Param("method", "\"gaussian\" for a Gaussian copula (rank correlation when omitted).",
                       type="string", optional=True))),
    "COPULA": ("Correlates the input through a Gaussian copula with the given matrix.",
               (Param("matrix", "The correlation matrix (a square range).", type="any", dimensionality="matrix"),
                Param("position", "The input's row/column in the matrix (1-based)."))),
    "CONVERGENCE": ("Convergence target for the output (accepted, reported).",
                    (Param("tolerance", "Relative tolerance.", optional=True),)),
    "UNITS": ("Units of the input (accepted, reported).", (Param("units", "Units text.", type="string"),)),
    "CATEGORY": ("Category of the input (accepted, reported).",
                 (Param("category", "Category text.", type="string"),)),
    "COLLECT": ("Collects the input's draws (always done by GridFlow).", ()),
    "ISDATE": ("Marks the input as a date (accepted).",
               (Param("is_date", "TRUE for a date.", type="boolean", optional=True),)),
    "ISDISCRETE": ("Marks the input as discrete (accepted).",
                   (Param("is_discrete", "TRUE for discrete.", type="boolean", optional=True),)),
}

_CELL = Param("cell", "A simulated cell: an output or a random input of the last simulation.", type="any")
STATISTIC_DOCS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "MEAN": ("Mean of a cell over the last simulation.", (_CELL,)),
    "STDEV": ("Standard deviation of a cell over the last simulation.", (_CELL,)),
    "STDDEV": ("Standard deviation of a cell over the last simulation (same as GF.STDEV).", (_CELL,)),
    "VARIANCE": ("Variance of a cell over the last simulation.", (_CELL,)),
    "MIN": ("Smallest value of a cell over the last simulation.", (_CELL,)),
    "MAX": ("Largest value of a cell over the last simulation.", (_CELL,)),
    "MEDIAN": ("Median of a cell over the last simulation.", (_CELL,)),
    "SKEWNESS": ("Skewness of a cell over the last simulation.", (_CELL,)),
    "KURTOSIS": ("Kurtosis (3 for a normal) of a cell over the last simulation.", (_CELL,)),
    "PERCENTILE": ("Value of a cell at a percentile of the last simulation.",
                   (_CELL, Param("p", "Percentile, 0-1 (or 0-100)."))),
    "PTOX": ("Value of a cell at a percentile of the last simulation (same as GF.PERCENTILE).",
             (_CELL, Param("p", "Percentile, 0-1 (or 0-100)."))),
    "PROB": ("Probability that a cell is at most x in the last simulation.",
             (_CELL, Param("x", "The threshold."))),
    "TARGET": ("Probability that a cell is at most x in the last simulation (same as GF.PROB).",
               (_CELL, Param("x", "The threshold."))),
    "XTOP": ("Probability that a cell is at most x in the last simulation (same as GF.PROB).",
             (_CELL, Param("x", "The threshold."))),
    "MEANCI": ("Confidence bound of the mean of a cell over the last simulation.",
               (_CELL, Param("level", "Confidence level (0.95 when omitted).", optional=True),
                Param("upper", "TRUE for the upper bound (lower when omitted).", type="boolean", optional=True))),
    "CORREL": ("Correlation of two simulated cells in the last simulation.",
               (_CELL, Param("other", "The other simulated cell.", type="any"),
                Param("method", "1 for Pearson, 2 for rank correlation (2 when omitted).", optional=True))),
    "DATA": ("The value of a cell in one iteration of the last simulation.",
             (_CELL, Param("iteration", "Iteration number (1-based)."))),
}

# the other GF. names of the evaluator
OTHER_DOCS: dict[str, tuple[str, str, tuple[Param, ...], str]] = {
    "OUTPUT": ("output", "Marks a simulation output; returns the value unchanged.",
               (Param("value", "The value (usually a formula).", type="any"),
                Param("label", "The output's name (the cell address when omitted).", type="string",
                      optional=True)), "any"),
    "SIMTABLE": ("utility", "One value per simulation of a multi-simulation run (the first in plain Excel).",
                 (Param("values", "Range or array of values, one per simulation.", type="any",
                        dimensionality="matrix"),), "any"),
    "HDR": ("utility", "SIPmath HDR 2.0 uniform random number for a trial (counter-based, reproducible).",
            (Param("counter", "Trial number."),
             Param("var_id", "Variable id."),
             Param("entity", "Entity id (1 when omitted).", optional=True),
             Param("seed3", "Third seed (0 when omitted).", optional=True),
             Param("seed4", "Fourth seed (0 when omitted).", optional=True)), "number"),
}

# the add-in's own function: not an engine function (only in the Office.js add-in)
PROGRESS = UDF("PROGRESS", "progress",
               "Live progress of the latest GridFlow simulation (streams until it finishes).",
               (Param("job_id", "A job id (the latest job of this workbook when omitted).", type="string",
                      optional=True),),
               result_type="string", stream=True)


# --- the registry ----------------------------------------------------------------------------

def _distribution_udfs() -> list[UDF]:
    from engine.montecarlo.distributions import DISTRIBUTIONS
    out = []
    for name, d in DISTRIBUTIONS.items():
        params = []
        for i, pname in enumerate(d.params):
            doc = DIST_PARAM_DOCS.get(name, {}).get(pname) or PARAM_DOCS.get(pname)
            if doc is None:
                raise RegistryError(f"no description for parameter {pname!r} of {name}")
            if i in d.array_params:
                params.append(Param(pname, doc, type="any", dimensionality="matrix",
                                    optional=pname in d.optional))
            else:
                params.append(Param(pname, doc, optional=pname in d.optional,
                                    default=_json_default(d.optional.get(pname))))
        params.append(PROPERTIES_PARAM)
        doc = DIST_DOCS.get(name)
        if doc is None:
            raise RegistryError(f"no description for distribution {name}")
        out.append(UDF(name, "distribution", doc + " In plain Excel it returns its mean.", tuple(params),
                       engine_name=name))
    return out


def _json_default(v):
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) != float("inf") else None


class RegistryError(Exception):
    pass


@lru_cache(maxsize=1)
def functions() -> tuple[UDF, ...]:
    """Every worksheet function, in a stable order: distributions, property
    functions, statistics, outputs/utilities, then the add-in's own."""
    from engine.montecarlo.functions import PROPERTIES, STATISTICS
    out = _distribution_udfs()
    for name in sorted(PROPERTIES):
        if name not in PROPERTY_DOCS:
            raise RegistryError(f"the engine has property function {name} but the registry does not describe it")
        doc, params = PROPERTY_DOCS[name]
        out.append(UDF(name, "property", doc + " Use it inside a distribution function.", params,
                       result_type="string", engine_name=name))
    for name in sorted(STATISTICS):
        if name not in STATISTIC_DOCS:
            raise RegistryError(f"the engine has statistic {name} but the registry does not describe it")
        doc, params = STATISTIC_DOCS[name]
        # reading the cell's address needs requiresParameterAddresses, which needs a matrix result
        out.append(UDF(name, "statistic", doc, params, result_type="number", result_dimensionality="matrix",
                       requires_address=True, requires_parameter_addresses=True, engine_name=name))
    for name, (kind, doc, params, rtype) in OTHER_DOCS.items():
        out.append(UDF(name, kind, doc, params, result_type=rtype, engine_name=name))
    out.append(PROGRESS)
    result = tuple(out)
    check_registry(result)
    return result


def by_name() -> dict[str, UDF]:
    return {f.name: f for f in functions()}


def lookup(name: str) -> UDF | None:
    """Find a function by any spelling: NORMAL, GF.NORMAL, GF_NORMAL, _xldudf_GF_NORMAL."""
    up = name.strip().upper()
    for prefix in ("_XLDUDF_", "GF.", "GF_"):
        if up.startswith(prefix):
            up = up[len(prefix):]
    return by_name().get(up)


# --- rules (what Excel applies to the metadata, and what xlwings/VBA need) -------------------

ID_RE = re.compile(r"^[A-Z][A-Z0-9_.]{2,127}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{2,127}$")
PARAM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
CELL_REF_RE = re.compile(r"^[A-Z]{1,3}[0-9]{1,7}$|^R[0-9]*C[0-9]*$")
# words VBA will not take as a parameter name in the wrappers xlwings writes
VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "close", "const", "currency", "date",
    "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum", "eqv", "erase", "error",
    "event", "exit", "false", "for", "friend", "function", "get", "global", "gosub", "goto", "if", "imp",
    "implements", "in", "input", "integer", "is", "let", "lib", "like", "line", "lock", "long", "loop", "lset",
    "me", "mod", "name", "new", "next", "not", "nothing", "null", "object", "on", "open", "option", "optional",
    "or", "paramarray", "preserve", "print", "private", "property", "public", "put", "raiseevent", "redim",
    "rem", "resume", "return", "rset", "seek", "select", "set", "single", "static", "step", "stop", "string",
    "sub", "then", "to", "true", "type", "typeof", "unlock", "until", "variant", "wend", "while", "with",
    "withevents", "write", "xor", "caller",
}


def check_registry(funcs: tuple[UDF, ...]) -> None:
    """Raise RegistryError when an entry breaks a rule of Excel's
    custom-functions metadata, of xlwings' classic UDFs or of VBA."""
    seen: set[str] = set()
    for f in funcs:
        where = f.excel_name
        if f.kind not in KINDS:
            raise RegistryError(f"{where}: unknown kind {f.kind!r}")
        if not ID_RE.match(f.id) or not NAME_RE.match(f.name) or CELL_REF_RE.match(f.name):
            raise RegistryError(f"{where}: the name breaks Excel's rules for custom-function ids and names")
        if f.id in seen:
            raise RegistryError(f"{where}: defined twice")
        seen.add(f.id)
        if not f.description or len(f.description) > 512:
            raise RegistryError(f"{where}: needs a description of at most 512 characters")
        if f.result_type not in TYPES or f.result_dimensionality not in DIMENSIONALITIES:
            raise RegistryError(f"{where}: bad result shape")
        if f.requires_parameter_addresses and f.result_dimensionality != "matrix":
            raise RegistryError(f"{where}: requiresParameterAddresses needs a matrix result")
        if f.stream and (f.requires_address or f.requires_parameter_addresses):
            raise RegistryError(f"{where}: a streaming function cannot require addresses")
        names: set[str] = set()
        optional_seen = False
        for i, p in enumerate(f.params):
            if not PARAM_RE.match(p.name):
                raise RegistryError(f"{where}: bad parameter name {p.name!r}")
            if p.name in names:
                raise RegistryError(f"{where}: parameter {p.name!r} twice")
            names.add(p.name)
            if p.py_name.lower() in VBA_RESERVED:
                raise RegistryError(f"{where}: parameter {p.name!r} is a VBA keyword")
            if p.type not in TYPES or p.dimensionality not in DIMENSIONALITIES:
                raise RegistryError(f"{where}: parameter {p.name!r} has a bad type")
            if not p.description or len(p.description) > 512:
                raise RegistryError(f"{where}: parameter {p.name!r} needs a description")
            if p.repeating and i != len(f.params) - 1:
                raise RegistryError(f"{where}: only the last parameter may repeat")
            if p.optional:
                optional_seen = True
            elif optional_seen and not p.repeating:
                raise RegistryError(f"{where}: required parameter {p.name!r} after an optional one")
