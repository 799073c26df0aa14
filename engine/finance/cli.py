"""``gridflow waterfall``: run a waterfall, an incentive calculation or a
capital-stack comparison from a JSON spec (see :mod:`engine.finance.jobs`)
and print the result (tables, or JSON with ``--json``).

    gridflow waterfall re [SPEC.json]            # default: the RE-2 example
    gridflow waterfall film [SPEC.json] [-n N]   # default: FILM-1; -n: Monte Carlo of revenue
    gridflow waterfall incentives [SPEC.json]    # default: the QC-1 example
    gridflow waterfall stacks [SPEC.json] [--budget B] [-n N] [--frontier X,Y] [--optimize PERSPECTIVE]
    gridflow waterfall policies [--as-of DATE]   # the incentive records in force
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from . import jobs

DEFAULTS: dict[str, dict] = {
    "re": {"tiers": [["IRR", "Tier 1: to 8% IRR", 0.08, None, None, 0.0],
                     ["IRR", "Tier 2: to 15% IRR", 0.15, None, None, 0.2],
                     ["SPLIT", "Tier 3: residual", None, None, None, 0.3]],
           "cash_flows": [-10_000_000, 500_000, 600_000, 700_000, 800_000, 15_000_000], "lp_share": 0.9},
    "film": {"template": "film1", "receipts": [0, 16_000_000]},
    "incentives": {"budget": 10_000_000, "attributes": {"kind": "service"},
                   "spend": {"CA-QC": {"spend": 10_000_000, "labour": 6_000_000, "vfx_labour": 2_000_000}},
                   "as_of": "2025-01-01"},
    "stacks": {"budget": 10_000_000, "revenue": {"dist": "LOGNORMAL", "params": [14_000_000, 8_000_000]},
               "incentive_amount": 2_385_764},
}


def _load_spec(text: str | None, kind: str) -> dict:
    if not text:
        return json.loads(json.dumps(DEFAULTS.get(kind, {})))
    if text.lstrip().startswith("{"):
        return json.loads(text)
    return json.loads(Path(text).read_text(encoding="utf-8"))


def _f(x: Any, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return f"{x * 100:8.3f}%" if pct else f"{x:,.2f}" if 0 < abs(x) < 100 else f"{x:,.0f}"
    return str(x)


def _dist_line(label: str, d: dict | None, pct: bool = False) -> str:
    if not d or not d.get("count"):
        return f"  {label:18} n/a"
    return (f"  {label:18} mean {_f(d.get('mean'), pct):>14}  P10 {_f(d.get('P10'), pct):>14}  "
            f"P50 {_f(d.get('P50'), pct):>14}  P90 {_f(d.get('P90'), pct):>14}")


def _print_party(name: str, s: dict) -> None:
    print(f"{name}: received {_f(s['received'].get('mean'))} (mean), invested {_f(s['invested'].get('mean'))}")
    if "irr" in s:
        print(_dist_line("IRR", s["irr"], True))
        print(_dist_line("NPV", s["npv"]))
        print(_dist_line("multiple", s["multiple"]))
        print(_dist_line("payback (years)", s["payback_years"]))
        print(f"  P(recoup)          {s['prob_recoup'] * 100:.2f}%")


def main(args) -> int:
    kind = args.kind
    progress = None
    if not getattr(args, "json", False) and sys.stderr.isatty():
        def progress(done, total):
            print(f"\r{kind}: step {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
    try:
        if kind == "policies":
            from .incentives import default_store
            rows = default_store().table(getattr(args, "as_of", None))
            if args.json:
                json.dump(rows, sys.stdout, indent=1)
                print()
                return 0
            for r in rows:
                rates = "+".join(f"{x * 100:g}%" for x in r["rates"])
                print(f"{r['program']:20} {r['jurisdiction']:6} {rates:18} from {r['effective_from']}  "
                      f"{r['name']}  [{r['source_url']}]")
            return 0
        spec = _load_spec(getattr(args, "spec", None), kind)
        if args.iterations is not None:
            spec["iterations"] = args.iterations
            if kind == "film" and "receipts" in spec and getattr(args, "spec", None) is None:
                del spec["receipts"]      # the default example becomes a Monte Carlo of revenue
            if kind == "re" and "property" not in spec and getattr(args, "spec", None) is None:
                spec.pop("cash_flows", None)
                spec["property"] = {"iterations": args.iterations, "equity": 10_000_000, "years": 5}
        if args.seed is not None:
            spec["seed"] = args.seed
            if "property" in spec:
                spec["property"]["seed"] = args.seed
        if getattr(args, "as_of", None):
            spec["as_of"] = args.as_of
        if getattr(args, "budget", None):
            spec["budget"] = args.budget
        if getattr(args, "frontier", None):
            x, _, y = args.frontier.partition(",")
            spec["frontier"] = {"x": x or "equity_irr", "y": y or "p_recoup"}
        if getattr(args, "optimize", None):
            spec["optimize"] = {"perspective": args.optimize}
        t0 = time.perf_counter()
        run = {"re": jobs.run_re_job, "film": jobs.run_film_job, "incentives": jobs.run_incentive_job,
               "stacks": jobs.run_stack_job}[kind]
        out = run(spec, progress)
        secs = time.perf_counter() - t0
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as exc:
        print(f"gridflow: waterfall {kind}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    if kind == "re":
        s = out["summary"]
        print(f"{s['structure']} waterfall, {s['scenarios']:,} scenario(s) in {secs:.2f}s")
        print(f"{'tier':34} {'LP':>16} {'GP':>16}" + ("   (mean over scenarios)" if s["scenarios"] > 1 else ""))
        for name, v in s["tiers"].items():
            print(f"{name[:34]:34} {_f(v['LP']):>16} {_f(v['GP']):>16}")
        for p in ("LP", "GP", "project"):
            _print_party(p, s[p])
        for name, pr in s.get("prob_hurdle", {}).items():
            print(f"P(LP reaches {name}): {pr * 100:.2f}%")
        if "clawback" in s:
            print(_dist_line("clawback", s["clawback"]))
    elif kind == "film":
        s = out["summary"]
        print(f"film waterfall, {s['scenarios']:,} scenario(s) in {secs:.2f}s")
        for t in out.get("tiers") or s["tiers"]:
            amt = t.get("amount", t.get("mean"))
            print(f"{t['tier'][:34]:34} {t['payee'][:20]:20} {_f(amt):>16}")
        for name, ps in s["stakeholders"].items():
            if "irr" in ps:
                _print_party(name, ps)
        for name, pr in s["prob_recoup"].items():
            print(f"P({name} recouped): {pr * 100:.2f}%")
    elif kind == "incentives":
        for p in out["programs"]:
            state = "applied" if p["applied"] else "not applied: " + "; ".join(p["reasons"])
            print(f"{p['program']:20} {p['jurisdiction']:6} gross {_f(p['gross']):>14}  net {_f(p['net']):>14}  "
                  f"PV {_f(p['net_pv']):>14}  ({state})")
            for w in p["warnings"]:
                print(f"    warning: {w}")
        print(f"total gross {_f(out['gross'])}, net {_f(out['net'])}, PV {_f(out['net_pv'])}; "
              f"{out['effective_rate'] * 100:.2f}% of the budget gross")
    else:
        print(f"capital stacks: {secs:.2f}s")
        for t in out["templates"]:
            c = t["criteria"]
            print(f"{t['name']:20} equity IRR P50 {_f(c['equity_irr'], True)}  P(recoup) {c['p_recoup'] * 100:6.2f}%  "
                  f"WACC {_f(c['wacc'], True)}  soft money {c['soft_money'] * 100:5.1f}%  debt risk "
                  f"{c['debt_risk'] * 100:5.1f}%" + ("  pareto" if t["pareto_irr_vs_recoup"] else "")
                  + ("  [" + "; ".join(t["violations"]) + "]" if t["violations"] else ""))
        for p, ranking in out["rankings"].items():
            print(f"{p:9}: " + ", ".join(f"{r['rank']}. {r['name']} ({r['score']:.3f})" for r in ranking))
        if "frontier" in out:
            f = out["frontier"]
            print(f"Pareto frontier {f['x']} vs {f['y']}: " + ", ".join(
                f"{p['name']} ({_f(p[f['x']])}, {_f(p[f['y']])})" for p in f["frontier"]))
        if "optimized" in out:
            o = out["optimized"]
            print(f"optimized for {o['perspective']}: score {o['score']:.3f}; shares " +
                  ", ".join(f"{k} {v * 100:.1f}%" for k, v in o["shares"].items()))
    return 0
