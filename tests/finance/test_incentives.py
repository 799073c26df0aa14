"""Film tax incentives from the dated policy records: the reference's
acceptance tests (IE-1, IE-2, CPTC-1, UK-1, QC-1), dating, stacking rules,
monetization, user records."""
from __future__ import annotations

import json

import pytest

from engine.finance.incentives import (PolicyError, PolicyStore, compute_incentives, default_store, program_credit)

AS_OF = "2025-01-01"


def test_ie1_ie2_published():
    r = compute_incentives({"budget": 10e6, "spend": {"IE": {"spend": 4e6}}, "as_of": AS_OF})
    assert r.gross == pytest.approx(1_280_000)
    p = r.program("ie_s481")
    assert p.applied and p.version == "2000-01-01" and p.source_url.startswith("https://")
    r = compute_incentives({"budget": 1e6, "spend": {"IE": {"spend": 1e6}}, "as_of": AS_OF})
    assert r.gross == pytest.approx(256_000)               # 32% of 80%
    # the inconsistent third example: our rule gives 25.6M (EUR 125m cap)
    r = compute_incentives({"budget": 150e6, "spend": {"IE": {"spend": 80e6}}, "as_of": AS_OF})
    assert r.gross == pytest.approx(25_600_000)


def test_ie_sceal_uplift_from_20_may_2025():
    proj = {"budget": 10e6, "spend": {"IE": {"spend": 4e6}},
            "attributes": {"format": "feature", "key_creative_eea": True}}
    assert compute_incentives(dict(proj, as_of="2025-05-19")).gross == pytest.approx(1_280_000)
    r = compute_incentives(dict(proj, as_of="2025-05-20"))
    assert r.gross == pytest.approx(1_600_000)
    assert r.program("ie_s481_sceal").applied and not r.program("ie_s481").applied
    big = {"budget": 40e6, "spend": {"IE": {"spend": 30e6}}, "attributes": proj["attributes"], "as_of": "2025-06-01"}
    assert compute_incentives(big).gross == pytest.approx(0.32 * 30e6)   # qualifying >= EUR 20m: no uplift


def test_cptc1():
    r = compute_incentives({"budget": 10e6, "attributes": {"kind": "domestic"},
                            "spend": {"CA": {"spend": 10e6, "labour": 8e6}}, "as_of": AS_OF})
    assert r.gross == pytest.approx(1_500_000)
    assert r.program("ca_cptc").applied and not r.program("ca_pstc").applied


def test_uk1_gross_and_net_of_corporation_tax():
    proj = {"budget": 10e6, "total_core_costs": 10e6, "spend": {"GB": {"core_costs": 9e6}}, "as_of": AS_OF}
    p = compute_incentives(proj).program("uk_avec")
    assert p.gross == pytest.approx(2_720_000)
    assert p.gross - p.tax == pytest.approx(2_040_000)
    proj["attributes"] = {"format": "animation"}
    p = compute_incentives(proj).program("uk_avec")
    assert p.gross == pytest.approx(3_120_000)
    assert p.gross - p.tax == pytest.approx(2_340_000)
    # before AVEC existed there is no record in force
    assert compute_incentives(dict(proj, as_of="2023-06-01")).gross == 0


def test_qc1_quebec_plus_federal_pstc():
    proj = {"budget": 10e6, "attributes": {"kind": "service"},
            "spend": {"CA-QC": {"spend": 10e6, "labour": 6e6, "vfx_labour": 2e6}}, "as_of": "2024-06-01"}
    r = compute_incentives(proj)
    qc, fed = r.program("qc_pstc"), r.program("ca_pstc")
    assert qc.gross == pytest.approx(2_820_000)
    assert qc.labour_attributable == pytest.approx(1_820_000)
    assert fed.gross == pytest.approx(668_800)
    assert r.gross == pytest.approx(3_488_800)
    assert r.gross / 10e6 == pytest.approx(0.34888)
    assert qc.version == "2024-03-12"
    # the pre-2024 Quebec version (20%) applies before the March 2024 budget
    r = compute_incentives(dict(proj, as_of="2023-12-31"))
    assert r.program("qc_pstc").gross == pytest.approx(0.20 * 10e6 + 0.16 * 2e6)
    assert r.program("qc_pstc").version == "2000-01-01"


def test_stacking_rules():
    proj = {"budget": 10e6, "attributes": {"kind": "service"},
            "spend": {"CA-QC": {"spend": 10e6, "labour": 6e6}}, "as_of": AS_OF}
    with pytest.raises(PolicyError, match="cannot be combined"):
        compute_incentives(proj, programs=["ca_cptc", "qc_pstc"])          # the prior art's mistake
    with pytest.raises(PolicyError, match="mutually exclusive"):
        compute_incentives({"budget": 30e6, "spend": {"AU": {"spend": 20e6}}}, programs=["au_producer_offset",
                                                                                        "au_location_offset"])
    # Australia: only the best offset applies
    r = compute_incentives({"budget": 30e6, "spend": {"AU": {"spend": 20e6}},
                            "attributes": {"theatrical_feature": True}, "as_of": AS_OF})
    applied = [p.program for p in r.applied]
    assert applied == ["au_producer_offset"] and r.gross == pytest.approx(8e6)
    # OCASE needs OPSTC (or OFTTC) and stacks on it
    on = {"budget": 10e6, "attributes": {"kind": "service"},
          "spend": {"CA-ON": {"spend": 8e6, "labour": 4e6, "vfx_labour": 1e6}}, "as_of": AS_OF}
    r = compute_incentives(on)
    assert r.program("on_opstc").gross == pytest.approx(0.215 * 8e6)
    assert r.program("on_ocase").gross == pytest.approx(0.18 * 1e6)
    on["attributes"] = {"kind": "domestic"}
    assert not compute_incentives(on).program("on_ocase").applied


def test_other_jurisdictions():
    r = compute_incentives({"budget": 30e6, "spend": {"FR": {"spend": 20e6, "vfx_spend": 3e6}},
                            "attributes": {"shoot_days": 20}, "as_of": AS_OF})
    assert r.gross == pytest.approx(8_000_000)               # 40% x min(20M, 80% x 30M)
    r = compute_incentives({"budget": 200e6, "spend": {"FR": {"spend": 150e6, "vfx_spend": 3e6}},
                            "attributes": {"shoot_days": 20}, "as_of": AS_OF})
    assert r.gross == pytest.approx(30_000_000)              # EUR 30m cap
    r = compute_incentives({"budget": 10e6, "spend": {"US-GA": {"spend": 10e6}}, "attributes": {"georgia_logo": True},
                            "as_of": AS_OF})
    assert r.gross == pytest.approx(3_000_000)
    r = compute_incentives({"budget": 10e6, "spend": {"US-NM": {"spend": 10e6, "rural_spend": 2e6}}, "as_of": AS_OF})
    p = r.program("us_nm")
    assert p.gross == pytest.approx(2.5e6 + 0.2e6)
    assert any("verify" in w for w in p.warnings)           # the disputed rural uplift is flagged
    ca = {"budget": 10e6, "spend": {"US-CA": {"spend": 10e6}}}
    assert compute_incentives(dict(ca, as_of="2025-06-30")).gross == pytest.approx(2e6)    # Program 3.0
    assert compute_incentives(dict(ca, as_of="2025-07-01")).gross == pytest.approx(3.5e6)  # Program 4.0


def test_monetization_and_present_value():
    proj = {"budget": 10e6, "spend": {"IE": {"spend": 4e6}}, "as_of": AS_OF}
    r = compute_incentives(proj, discount_rate=0.10,
                           monetization={"ie_s481": {"method": "loan", "advance_rate": 0.9, "interest": 0.08,
                                                     "fee": 0.01, "months": 12}})
    p = r.program("ie_s481")
    adv = 0.9 * 1.28e6
    cost = adv * (0.08 + 0.01)
    assert p.monetization_cost == pytest.approx(cost)
    assert p.net == pytest.approx(1.28e6 - cost)
    assert p.cash_flows == [(0.0, pytest.approx(adv)), (12.0, pytest.approx(1.28e6 - adv - cost))]
    assert p.net_pv == pytest.approx(adv + (1.28e6 - adv - cost) / 1.1)
    r = compute_incentives({"budget": 10e6, "spend": {"US-GA": {"spend": 10e6}}, "as_of": AS_OF})
    assert r.net == pytest.approx(0.9 * 2e6)                   # transferable credit sold at 90 cents


def test_program_credit_single_program():
    assert program_credit("ca_cptc", {"spend": 10e6, "labour": 8e6}, budget=10e6).gross == pytest.approx(1.5e6)
    fed = program_credit("ca_pstc", {"labour": 6e6}, assistance_labour=1.82e6)
    assert fed.gross == pytest.approx(668_800)


def test_user_records(tmp_path, monkeypatch):
    rec = {"program": "xx_test", "name": "Test credit", "jurisdiction": "XX", "effective_from": "2020-01-01",
           "components": [{"name": "10% of spend", "rate": 0.10, "base": "spend"}],
           "source_url": "https://example.org/"}
    store = PolicyStore()
    store.add(rec)
    r = compute_incentives({"budget": 1e6, "spend": {"XX": {"spend": 1e6}}, "as_of": AS_OF}, store=store)
    assert r.gross == pytest.approx(100_000)
    (tmp_path / "mine.json").write_text(json.dumps({"records": [dict(rec, effective_from="2024-06-01",
                                                                     components=[dict(rec["components"][0], rate=0.2)])]}))
    store.load(tmp_path)
    assert len(store.versions("xx_test")) == 2
    assert store.in_force("xx_test", "2024-05-31")["components"][0]["rate"] == 0.10
    assert store.in_force("xx_test", "2024-06-01")["components"][0]["rate"] == 0.20
    monkeypatch.setenv("GRIDFLOW_INCENTIVES", str(tmp_path))
    assert "xx_test" in PolicyStore.default().programs()
    with pytest.raises(PolicyError):
        PolicyStore().add({"program": "bad", "name": "x", "jurisdiction": "XX", "effective_from": "2020-01-01",
                           "components": [{"rate": 2.0, "base": "spend"}], "source_url": "u"})


def test_builtin_records_cover_the_required_jurisdictions():
    store = default_store()
    needed = {"ca_cptc", "ca_pstc", "qc_pstc", "on_opstc", "on_ocase", "uk_avec", "ie_s481", "au_producer_offset",
              "au_location_offset", "au_pdv_offset", "fr_trip", "us_ga", "us_nm", "us_ca"}
    assert needed <= set(store.programs())
    for r in store.records:
        assert r["source_url"].startswith("https://") and r["_from"] and "refundable" in r and "transferable" in r
