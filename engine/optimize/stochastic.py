"""Stochastic optimization by sample average approximation.

The objective is a statistic of the objective cell over a fixed sample of
the workbook's random inputs (common random numbers: every candidate sees
the same draws); constraints hold on average over the sample.  A batch of
K candidate decision vectors and N scenarios is one vectorized pass of
K x N scenarios.

``spec.stochastic``: {"statistic": "mean" | "percentile" | "prob_above" |
"prob_below", "p": 0.05, "target": 0.0, "scenarios": 1000, "seed": 1,
"sampling": "lhs"}.
"""
from __future__ import annotations

import numpy as np

from ..montecarlo.simulate import SimulationState, _correlator, plan_simulation
from ..montecarlo.sampling import UniformSource, stable_id
from .evaluate import Problem
from .nlp import NLPResult, solve_evolutionary, solve_grg
from .spec import ModelError, OptSpec


class SampleEvaluator:
    def __init__(self, problem: Problem, cfg: dict):
        model = problem.model
        self.problem = problem
        self.stat = str(cfg.get("statistic", "mean")).lower()
        if self.stat not in ("mean", "percentile", "prob_above", "prob_below"):
            raise ModelError(f"stochastic statistic {self.stat!r}: use mean, percentile, prob_above or prob_below")
        self.p = float(cfg.get("p", 0.5))
        self.target = float(cfg.get("target", 0.0))
        self.N = int(cfg.get("scenarios", 1000))
        model.simulation = None
        model.overrides.clear()
        model.calculate()
        self.plan = plan_simulation(model)
        if not self.plan.inputs:
            raise ModelError("a stochastic objective needs random inputs (GF.NORMAL(...), RiskNormal(...), RAND()...)")
        ids = [stable_id(f"{inp.address}|{inp.name}|{inp.index if inp.name == inp.address else ''}")
               for inp in self.plan.inputs]
        src = UniformSource(cfg.get("sampling", "lhs"), int(cfg.get("seed", 1)), self.N, ids,
                            [inp.seed for inp in self.plan.inputs], 1, block_transform=_correlator(self.plan))
        self.U = src.draws(0, self.N)
        self.passes = 0

    def statistic(self, x: np.ndarray) -> np.ndarray:       # (K, N) -> (K,)
        if self.stat == "mean":
            return np.nanmean(x, axis=1)
        if self.stat == "percentile":
            return np.nanpercentile(x, 100 * self.p, axis=1)
        if self.stat == "prob_above":
            return np.mean(x > self.target, axis=1)
        return np.mean(x <= self.target, axis=1)

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.atleast_2d(X)
        K = X.shape[0]
        group = max(1, self.problem._chunk() // self.N)
        objs, gs = [], []
        model = self.problem.model
        for i in range(0, K, group):
            Xi = X[i:i + group]
            k = Xi.shape[0]
            model.simulation = SimulationState(self.plan, np.tile(self.U, (k, 1)))
            try:
                v = self.problem.evaluate_rows(self.problem.rows, np.repeat(Xi, self.N, axis=0), objective=True)
            finally:
                model.simulation = None
            self.passes += 1
            objs.append(self.statistic(v.obj.reshape(k, self.N)))
            gs.append(v.g.reshape(k, self.N, -1).mean(axis=1))
        return np.concatenate(objs), np.vstack(gs)


def solve_stochastic(problem: Problem, spec: OptSpec, engine: str) -> NLPResult:
    ev = SampleEvaluator(problem, spec.stochastic or {})
    if ev.stat.startswith("prob") and engine != "grg":
        engine = "evolutionary"       # a probability is piecewise constant: no useful gradient
    res = solve_evolutionary(problem, spec.options, evaluator=ev) if engine == "evolutionary" else \
        solve_grg(problem, spec.options, evaluator=ev)
    if res.x is not None:
        res.objective = float(ev(res.x[None, :])[0][0])
    res.notes.append(f"sample average approximation: {ev.stat} of the objective over {ev.N} scenarios")
    res.evaluations = ev.passes
    return res
