"""GF.WATERFALL, GF.FILMWATERFALL, GF.INCENTIVE, GF.PARETOFRONT and the
small conversions, evaluated by the engine in a workbook."""
from __future__ import annotations

import pytest
from openpyxl import Workbook

import engine
from engine.finance import film1_tiers, film_waterfall, re_waterfall
from engine.finance.realestate import Hurdle, Split
from engine.finance.tables import FILM_HEADER, RE_HEADER, TableError, film_tiers, re_tiers
from workbooks.finance_templates import FILM_TABLE, RE_TIERS


def _book(tmp_path, fill) -> engine.Model:
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    fill(ws)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    return engine.load(p).calculate()


def test_gf_waterfall_re2(tmp_path):
    def fill(ws):
        for row in RE_TIERS:
            ws.append(row)
        for j, v in enumerate([-10e6, 5e5, 6e5, 7e5, 8e5, 15e6]):
            ws.cell(7, 1 + j, v)
        for r in range(5):
            for c in range(4):
                ws.cell(10 + r, 1 + c, f"=INDEX(GF.WATERFALL($A$1:$F$4,$A$7:$F$7,,0.9),{r + 1},{c + 1})")
                ws.cell(20 + r, 1 + c, f'=INDEX(GF.WATERFALL($A$1:$F$4,$A$7:$F$7,,0.9,"annual","metrics"),{r + 1},{c + 1})')
        for c in range(6):
            ws.cell(30, 1 + c, f'=INDEX(GF_WATERFALL($A$1:$F$4,$A$7:$F$7,,0.9,"annual","lp"),1,{c + 1})')
        ws["A31"] = '=GF.WATERFALL(A1:F1,A7:F7)'
    m = _book(tmp_path, fill)
    assert not m.internal_errors
    assert m.value("S!A10") == "Tier" and m.value("S!A14") == "Total"
    assert m.value("S!B14") == pytest.approx(15_223_811.23584)
    assert m.value("S!C14") == pytest.approx(2_376_188.76416)
    assert m.value("S!D14") == pytest.approx(17_600_000)
    assert m.value("S!B21") == pytest.approx(0.121340, abs=5e-7)
    assert m.value("S!C21") == pytest.approx(0.203347, abs=5e-7)
    assert m.value("S!D21") == pytest.approx(0.130735, abs=5e-7)
    assert m.value("S!B22") == pytest.approx(820_303, abs=0.5)
    assert m.value("S!B24") == pytest.approx(4.517, abs=5e-4)
    assert [round(m.value(f"S!{c}30")) for c in "ABCDEF"] == [-9_000_000, 450_000, 540_000, 630_000, 720_000,
                                                               12_883_811]
    assert isinstance(m.value("S!A31"), engine.XLError)              # a header-only tier table


def test_gf_filmwaterfall_film1(tmp_path):
    def fill(ws):
        for row in FILM_TABLE:
            ws.append(row)
        ws["A20"], ws["B20"] = 0, 16_000_000
        for r in range(13):
            for c in range(3):
                ws.cell(30 + r, 1 + c, f"=INDEX(GF.FILMWATERFALL($A$1:$J$12,$A$20:$B$20),{r + 1},{c + 1})")
        for r in range(1, 4):
            for c in range(6):
                ws.cell(50 + r, 1 + c, f'=INDEX(GF.FILMWATERFALL($A$1:$J$12,$A$20:$B$20,,"stakeholders"),{r + 1},{c + 1})')
    m = _book(tmp_path, fill)
    assert not m.internal_errors
    want = film_waterfall([0, 16e6], film1_tiers()).tier_amounts(0)
    for i, (t, p, a) in enumerate(want, start=31):
        assert (m.value(f"S!A{i}"), m.value(f"S!B{i}")) == (t, p)
        assert m.value(f"S!C{i}") == pytest.approx(a)
    assert m.value("S!A42") == "Total" and m.value("S!C42") == pytest.approx(16e6)
    names = [m.value(f"S!A{r}") for r in range(51, 54)]
    assert names == ["CAM", "Sales agent", "Guilds"]        # not investors: no IRR
    assert isinstance(m.value("S!D51"), engine.XLError)


def test_gf_incentive_and_helpers(tmp_path):
    def fill(ws):
        ws["A1"] = '=GF.INCENTIVE("ie_s481",4000000,,10000000,,"2025-01-01")'
        ws["A2"] = '=GF.INCENTIVE("ie_s481",1000000,,1000000,,"2025-01-01")'
        ws["A3"] = "=GF.INCENTIVE(\"ca_cptc\",10000000,8000000,10000000)"
        ws["A4"] = '=GF.INCENTIVE("uk_avec",9000000,,10000000,,"2025-01-01")'
        ws["A5"] = '=GF.INCENTIVE("uk_avec",9000000,,10000000,,"2025-01-01","tax")'
        ws["A6"] = '=GF.INCENTIVE("qc_pstc",10000000,6000000,10000000,2000000,"2024-06-01")'
        ws["A7"] = '=GF.INCENTIVE("nope",1,,1)'
        ws["A8"] = '=GF.INCENTIVE("uk_avec",9000000,,10000000,,"2025-01-01","gross",D1:E1)'
        ws["D1"], ws["E1"] = "format", "animation"
        ws["A9"] = "=GF.CATCHUP(80000,0.2)"
        ws["A10"] = "=GF.CATCHUP(80000,0.2,0.5)"
        ws["A11"] = "=GF.PROMOTE(0.6,0.9)"
        ws["A12"] = "=GF.PROMOTEDSPLIT(0.2,0.1)"
        for j, (a, b) in enumerate([(1, 5), (2, 4), (3, 3), (1, 1), (2, 2)]):
            ws.cell(20 + j, 1, a)
            ws.cell(20 + j, 2, b)
            ws.cell(20 + j, 4, f"=INDEX(GF.PARETOFRONT($A$20:$B$24),{j + 1},1)")
            ws.cell(20 + j, 5, f'=INDEX(GF.PARETOFRONT($A$20:$B$24,{{"max","min"}}),{j + 1},1)')
    m = _book(tmp_path, fill)
    assert not m.internal_errors
    assert m.value("S!A1") == pytest.approx(1_280_000)
    assert m.value("S!A2") == pytest.approx(256_000)
    assert m.value("S!A3") == pytest.approx(1_500_000)
    assert m.value("S!A4") == pytest.approx(2_720_000)
    assert m.value("S!A5") == pytest.approx(680_000)
    assert m.value("S!A6") == pytest.approx(2_820_000)
    assert m.value("S!A7").code == "#N/A"
    assert m.value("S!A8") == pytest.approx(3_120_000)
    assert m.value("S!A9") == pytest.approx(20_000)
    assert m.value("S!A10") == pytest.approx(80_000 * 0.2 / 0.3)
    assert m.value("S!A11") == pytest.approx(1 / 3)
    assert m.value("S!A12") == pytest.approx(0.28)
    assert [m.value(f"S!D{r}") for r in range(20, 25)] == [True, True, True, False, False]
    assert [m.value(f"S!E{r}") for r in range(20, 25)] == [False, False, True, True, True]


def test_tier_tables_parse_and_errors():
    tiers = re_tiers([RE_HEADER, ["PREF", None, "8%"], ["CATCHUP", None, 1.0], ["SPLIT", None, None, 0.8, 0.2]])
    r = re_waterfall([-1_000_000, 1_450_000], [t for t in tiers])
    assert r.gp.distributions.sum() == pytest.approx(90_000)
    tiers = re_tiers([["ROC", None, None, None, None, "lp_first"], ["IRR", "x", 0.1, None, None, "daily"],
                      ["SPLIT", None, None, None, None, 0.2]])
    assert tiers[0].order == "lp_first" and tiers[1].compounding == "daily" and tiers[2].promote == 0.2
    with pytest.raises(TableError, match="row 2"):
        re_tiers([RE_HEADER, ["BOGUS", None, 1]])
    with pytest.raises(TableError):
        re_tiers([["PREF"]])
    ft = film_tiers(FILM_TABLE)
    assert [type(t).__name__ for t in ft] == [type(t).__name__ for t in film1_tiers()]
    assert film_waterfall([0, 16e6], ft).tier_amounts(0) == film_waterfall([0, 16e6], film1_tiers()).tier_amounts(0)
    with pytest.raises(TableError):
        film_tiers([FILM_HEADER, ["x", "y", "LOAN", 0.1, 100]])          # interest without a term
    assert isinstance(Hurdle(0.1), Hurdle) and isinstance(Split(), Split)


def test_gf_waterfall_in_a_simulation_matches_the_vectorized_engine(tmp_path):
    """A workbook simulation: the cash-flow row has a random exit; GF.WATERFALL
    runs per scenario, and engine.finance on the recorded cash-flow cells
    (cash_flows_from_simulation) gives the same LP IRR in every iteration."""
    import numpy as np

    from engine.finance import cash_flows_from_simulation

    def fill(ws):
        for row in RE_TIERS:
            ws.append(row)
        ws["A7"] = -10e6
        for j in range(1, 5):
            ws.cell(7, 1 + j, 5e5 + 1e5 * (j - 1))
        ws["F7"] = '=GF.NORMAL(15000000,3000000,GF.NAME("Exit"))'
        ws["A10"] = '=GF.OUTPUT(INDEX(GF.WATERFALL($A$1:$F$4,$A$7:$F$7,,0.9,"annual","metrics"),2,2),"LP IRR")'
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    fill(ws)
    p = tmp_path / "sim.xlsx"
    wb.save(p)
    m = engine.load(p)
    addrs = [f"S!{c}7" for c in "ABCDEF"]
    r = m.simulate(200, seed=5, outputs=addrs)
    cf = cash_flows_from_simulation(r, addrs)
    assert cf.shape == (200, 6)
    res = re_waterfall(cf, re_tiers(RE_TIERS), lp_share=0.9)
    np.testing.assert_allclose(res.lp.irr, r.output("LP IRR").values, rtol=1e-12, atol=1e-12)
