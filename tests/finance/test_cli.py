"""``gridflow waterfall``: re / film / incentives / stacks / policies."""
from __future__ import annotations

import json

import pytest

from gridflow.cli import main


def _run(capsys, *argv):
    rc = main(["waterfall", *argv])
    out = capsys.readouterr().out
    return rc, out


def test_re_default_example_json(capsys):
    rc, out = _run(capsys, "re", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["periods"]["LP"]["irr"] == pytest.approx(0.121340, abs=5e-7)
    assert d["periods"]["GP"]["irr"] == pytest.approx(0.203347, abs=5e-7)


def test_re_spec_file_american(capsys, tmp_path):
    spec = {"tiers": [["ROC"], ["PREF", "", 0.08], ["CATCHUP", "", 1.0], ["SPLIT", "", None, 0.8, 0.2]],
            "deals": [[-100, 0, 60], [-100, 0, 200]], "structure": "american"}
    p = tmp_path / "re.json"
    p.write_text(json.dumps(spec))
    rc, out = _run(capsys, "re", str(p), "--json")
    d = json.loads(out)
    assert d["summary"]["clawback"]["mean"] == pytest.approx(8.0)
    assert sum(d["periods"]["GP"]["net"]) == pytest.approx(12.0)
    rc, out = _run(capsys, "re", str(p))
    assert rc == 0 and "clawback" in out


def test_re_monte_carlo_text(capsys):
    rc, out = _run(capsys, "re", "-n", "2000", "--seed", "3")
    assert rc == 0 and "2,000 scenario(s)" in out and "P(LP reaches" in out


def test_film_default_and_mc(capsys):
    rc, out = _run(capsys, "film", "--json")
    d = json.loads(out)
    assert sum(t["amount"] for t in d["tiers"]) == pytest.approx(16_000_000)
    assert d["tiers"][1]["amount"] == pytest.approx(2_392_500)
    rc, out = _run(capsys, "film", "-n", "5000", "--seed", "1")
    assert rc == 0 and "5,000 scenario(s)" in out and "P(Equity recoupment recouped)" in out


def test_incentives_and_policies(capsys):
    rc, out = _run(capsys, "incentives", "--json")
    assert json.loads(out)["gross"] == pytest.approx(3_488_800)
    rc, out = _run(capsys, "incentives", '{"budget": 10000000, "spend": {"IE": {"spend": 4000000}}}',
                   "--as-of", "2025-01-01", "--json")
    assert json.loads(out)["gross"] == pytest.approx(1_280_000)
    rc, out = _run(capsys, "policies", "--as-of", "2024-06-01")
    assert rc == 0 and "qc_pstc" in out and "25%+16%" in out and "us_ca" in out


def test_stacks(capsys):
    rc, out = _run(capsys, "stacks", "-n", "2000", "--budget", "10000000", "--json")
    d = json.loads(out)
    assert [t["name"] for t in d["templates"]] == ["debt_heavy", "equity_heavy", "balanced", "presale_focused",
                                                   "incentive_maximized"]
    assert set(d["rankings"]) == {"equity", "producer", "lender", "balanced"}
    rc, out = _run(capsys, "stacks", "-n", "1000", "--frontier", "equity_irr,debt_risk")
    assert rc == 0 and "Pareto frontier equity_irr vs debt_risk" in out


def test_bad_spec(capsys):
    assert main(["waterfall", "re", '{"tiers": [["NOPE"]], "cash_flows": [-1, 2]}']) == 2
