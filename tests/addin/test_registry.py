"""The function registry follows the engine's tables and Excel's naming rules,
and the plain-Excel values are the engine's."""
from __future__ import annotations

import math

import pytest

from engine.eval.context import SPECIAL_FORMS
from engine.montecarlo.distributions import DISTRIBUTIONS
from engine.montecarlo.functions import PROPERTIES, STATISTICS
from udfs import core, registry
from udfs.core import Call, CallError, evaluate


def test_distributions_come_from_the_engine_table():
    reg = {f.name: f for f in registry.functions() if f.kind == "distribution"}
    assert set(reg) == set(DISTRIBUTIONS)
    for name, d in DISTRIBUTIONS.items():
        f = reg[name]
        params = [p for p in f.params if not p.repeating]
        assert [p.name for p in params] == d.params, name
        assert [p.optional for p in params] == [n in d.optional for n in d.params], name
        assert [p.dimensionality == "matrix" for p in params] == [i in d.array_params for i in range(len(d.params))]
        assert f.params[-1].repeating and f.params[-1].name == "properties"


def test_properties_statistics_and_other_names_are_all_there():
    kinds = {}
    for f in registry.functions():
        kinds.setdefault(f.kind, set()).add(f.name)
    assert kinds["property"] == set(PROPERTIES)
    assert kinds["statistic"] == set(STATISTICS)
    # every GF. name the evaluator knows has exactly one registry entry
    gf_names = {k[3:] for k in SPECIAL_FORMS if k.startswith("GF.")}
    assert gf_names <= {f.name for f in registry.functions()}, gf_names - {f.name for f in registry.functions()}


def test_rules_hold_and_are_enforced():
    funcs = registry.functions()
    registry.check_registry(funcs)                       # no exception
    assert len({f.id for f in funcs}) == len(funcs)
    bad = registry.UDF("A1", "utility", "x", ())
    with pytest.raises(registry.RegistryError):
        registry.check_registry((bad,))                  # looks like a cell reference
    bad = registry.UDF("THING", "utility", "x", (registry.Param("type", "a VBA keyword"),))
    with pytest.raises(registry.RegistryError):
        registry.check_registry((bad,))
    bad = registry.UDF("THING", "statistic", "x", (), requires_parameter_addresses=True)
    with pytest.raises(registry.RegistryError):
        registry.check_registry((bad,))                  # needs a matrix result
    bad = registry.UDF("THING", "utility", "x", (registry.Param("a", "x", repeating=True), registry.Param("b", "y")))
    with pytest.raises(registry.RegistryError):
        registry.check_registry((bad,))                  # repeating must be last


@pytest.mark.parametrize("spelling", ["NORMAL", "GF.NORMAL", "gf_normal", "_xldudf_GF_NORMAL"])
def test_lookup_accepts_every_spelling(spelling):
    assert registry.lookup(spelling).name == "NORMAL"


def test_plain_excel_values_are_the_engine_means():
    from tests.formula_helpers import evaluate_formula
    cases = [
        ("NORMAL", [0.03, 0.01, []], "GF.NORMAL(0.03,0.01)"),
        ("PERT", [0.03, 0.05, 0.12, None, []], "GF.PERT(0.03,0.05,0.12)"),
        ("TRIANGULAR", [0.32, 0.35, 0.42, ["GF.NAME[\"Opex\"]"]], "GF.TRIANGULAR(0.32,0.35,0.42)"),
        ("NORMAL", [100, 10, ["GF.TRUNCATE[90,130]"]], "GF.NORMAL(100,10,GF.TRUNCATE(90,130))"),
        ("NORMAL", [1, 2, ["GF.SHIFT[7]"]], "GF.NORMAL(1,2,GF.SHIFT(7))"),
        ("NORMAL", [1, 2, ["GF.STATIC[5]"]], "GF.NORMAL(1,2,GF.STATIC(5))"),
        ("DISCRETE", [[[1, 2, 3]], [[0.2, 0.3, 0.5]], []], "GF.DISCRETE({1,2,3},{0.2,0.3,0.5})"),
        ("EMPIRICAL", [[[1], [2], [None], [6]], []], "GF.EMPIRICAL({1;2;6})"),
        ("LOGNORMAL", [10, 2, []], "GF.LOGNORMAL(10,2)"),
        ("WEIBULL", [2, 3, []], "GF.WEIBULL(2,3)"),
        ("POISSON", [4, []], "GF.POISSON(4)"),
        ("TRIGEN", [1, 2, 3, None, None, []], "GF.TRIGEN(1,2,3)"),
        ("OUTPUT", [5, "x"], "GF.OUTPUT(5,\"x\")"),
        ("HDR", [1, 1, None, None, None], "GF.HDR(1,1)"),
    ]
    got = evaluate([Call(n, a) for n, a, _ in cases])
    for (name, _args, formula), res in zip(cases, got):
        assert "value" in res, (name, res)
        assert math.isclose(res["value"], evaluate_formula(formula), rel_tol=1e-12), (name, res)


def test_wrong_arguments_give_excel_errors_with_messages():
    got = evaluate([Call("NORMAL", ["abc", 1, []]), Call("NORMAL", [1, -1, []]), Call("NORMAL", [1]),
                    Call("NORMAL", [1, 2, ["not a property"]]), Call("NOPE", []), Call("NORMAL", [[[1, 2]], 1, []]),
                    Call("NORMAL", [1, 2, 3, 4]), Call("DISCRETE", [[[1, 2]], "x", []]),
                    Call("NORMAL", [10 ** 400, 1, []]), Call("MEAN", [1])])
    codes = [r["error"]["code"] for r in got]
    assert codes == ["#VALUE!", "#NUM!", "#VALUE!", "#VALUE!", "#NAME?", "#VALUE!", "#VALUE!", "#NUM!", "#NUM!",
                     "#N/A"]
    assert "mean must be a number" in got[0]["error"]["message"]
    assert "sd" in got[1]["error"]["message"]
    assert "argument sd is missing" in got[2]["error"]["message"]
    assert "not a property function" in got[3]["error"]["message"]


def test_property_tokens_round_trip():
    trunc = registry.lookup("TRUNCATE")
    assert core.property_token(trunc, [80.0, 120.0]) == "GF.TRUNCATE[80,120]"
    assert core.property_token(trunc, [None, 120.0]) == "GF.TRUNCATE[null,120]"
    assert core.parse_token("GF.TRUNCATE[null,120]") == (trunc, [None, 120])
    assert core.parse_token("GF.NORMAL[1,2]") is None            # not a property
    assert evaluate([Call("CORRMAT", [[[1, 0.5], [0.5, 1]], 1, None])])[0]["value"] == \
        "GF.CORRMAT[[[1,0.5],[0.5,1]],1]"
    assert core.formula_for(registry.lookup("NORMAL"), [1.0, 2.0, ["GF.NAME[\"a \\\"b\\\"\"]"]]) == \
        'GF.NORMAL(1,2,GF.NAME("a ""b"""))'


def test_statistics_match_the_engine_definitions():
    import numpy as np
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 10.0])
    ok = x[np.isfinite(x)]
    assert core.compute_statistic("MEAN", x, []) == pytest.approx(ok.mean())
    assert core.compute_statistic("PERCENTILE", x, [90]) == pytest.approx(np.quantile(ok, 0.9))
    assert core.compute_statistic("PROB", x, [3]) == pytest.approx(0.6)
    assert core.compute_statistic("DATA", x, [2]) == 2.0
    with pytest.raises(CallError):
        core.compute_statistic("PERCENTILE", x, [-1])
    assert core.split_address("'[My Book.xlsx]Cash Flow'!$B$18") == ("My Book.xlsx", "Cash Flow", "B18", None)
    assert core.cell_key("[Book1.xlsx]CashFlow!$b$18") == ("cashflow", "B18")
