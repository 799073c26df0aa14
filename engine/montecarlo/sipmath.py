"""SIPmath libraries (ProbabilityManagement.org's open standard).

* 2.0 stores each SIP's trials directly (``SIP_Array``).
* 3.0 stores *virtual* SIPs: Metalog coefficients plus HDR 2.0 seeds, with an
  optional Gaussian copula, so any environment regenerates identical trials.

``export_library`` writes either form from a simulation result;
``load_library`` regenerates the trials of a library (both forms).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from .distributions import metalog_fit, metalog_quantile
from .results import SimulationResult
from .sampling import hdr_uniform


class SIPmathError(ValueError):
    """A library that cannot be read: the message names the SIP or field."""


def _fit_series(x: np.ndarray, terms: int) -> tuple[list[float], float | None, float | None]:
    """Metalog coefficients fitted to a sample's quantiles (bounded when the
    sample has a natural floor/ceiling is left to the user: unbounded here)."""
    x = np.sort(x[np.isfinite(x)])
    if x.size < terms + 2:
        raise SIPmathError("too few finite trials to fit a metalog")
    probs = (np.arange(1, 200) / 200.0)
    q = np.quantile(x, probs)
    a = metalog_fit(q, probs, terms=terms)
    return [float(v) for v in a], None, None


def export_library(result: SimulationResult, path: str | Path, version: str = "3.0", terms: int = 16,
                   entity: int = 1, include_inputs: bool = True) -> Path:
    """Write a SIPmath JSON library of the result's outputs (and inputs)."""
    series = [(o.name, o.values) for o in result.outputs]
    if include_inputs:
        series = [(i.name, i.values) for i in result.inputs] + series
    lib: dict[str, Any] = {
        "objectType": "sipModel", "name": Path(result.path).stem, "libraryType": "SIPmath_" + version,
        "dateCreated": _dt.date.today().isoformat(), "version": "1.0",
        "provenance": f"GridFlow simulation of {Path(result.path).name}, {result.iterations} trials, "
                      f"{result.sampling} sampling, seed {result.seed}",
        "count": result.iterations,
    }
    if version.startswith("2"):
        lib["sips"] = [{"name": name, "function": "SIP_Array", "arguments": {"type": "array",
                        "values": [None if not math.isfinite(v) else float(v) for v in vals]}}
                       for name, vals in series]
    else:
        names = [n for n, _ in series]
        data = np.column_stack([v for _, v in series])
        ok = np.all(np.isfinite(data), axis=1)
        # the copula carries the dependence: Pearson correlation of normal scores of ranks
        ranks = np.argsort(np.argsort(data[ok], axis=0), axis=0)
        z = special.ndtri((ranks + 0.5) / ok.sum())
        corr = np.corrcoef(z, rowvar=False) if len(names) > 1 else np.ones((1, 1))
        rng = [{"name": f"hdr{j + 1}", "function": "HDR_2_0",
                "arguments": {"counter": "PM_Index", "entity": entity, "varId": j + 1, "seed3": 0, "seed4": 0}}
               for j in range(len(names))]
        layers = [f"cl{j + 1}" for j in range(len(names))]
        lib["globalVariables"] = [{"name": "correlationMatrixValue", "value": {
            "columns": names, "rows": names,
            "matrix": [{"row": names[i], "col": names[j], "value": float(corr[i, j])}
                       for i in range(len(names)) for j in range(i, len(names))]}}]
        lib["U01"] = {"rng": rng, "copula": [{"name": "Gaussian", "function": "GaussianCopula", "arguments": {
            "correlationMatrix": {"type": "globalVariables", "value": "correlationMatrixValue"},
            "rng": [r["name"] for r in rng]}, "copulaLayer": layers}]}
        sips = []
        for j, (name, vals) in enumerate(series):
            a, lo, hi = _fit_series(vals, terms)
            args: dict[str, Any] = {"aCoefficients": a}
            if lo is not None:
                args["lowerBound"] = lo
            if hi is not None:
                args["upperBound"] = hi
            x = vals[np.isfinite(vals)]
            sips.append({"name": name, "ref": {"source": "copula", "name": "Gaussian", "copulaLayer": layers[j]},
                         "function": "Metalog_1_0", "arguments": args,
                         "metadata": {"min": float(x.min()), "mean": float(x.mean()), "max": float(x.max())}})
        lib["sips"] = sips
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(lib, indent=1))
    tmp.replace(path)
    return path


def _seed(v: Any, params: dict[str, float], where: str) -> int:
    if isinstance(v, dict) and v.get("type") == "parameter":
        name = v.get("name")
        if name not in params:
            raise SIPmathError(f"{where}: seed parameter {name!r} was not given")
        return int(params[name])
    try:
        return int(v)
    except (TypeError, ValueError):
        raise SIPmathError(f"{where}: seed {v!r} is not an integer")


def _matrix(lib: dict, ref: Any, names: list[str]) -> np.ndarray:
    gv = {g["name"]: g["value"] for g in lib.get("globalVariables", [])}
    key = ref.get("value") if isinstance(ref, dict) else ref
    if key not in gv:
        raise SIPmathError(f"correlation matrix {key!r} is not in globalVariables")
    m = gv[key]
    cols = m.get("columns") or names
    idx = {n: i for i, n in enumerate(cols)}
    out = np.eye(len(cols))
    for e in m["matrix"]:
        i, j = idx[e["row"]], idx[e["col"]]
        out[i, j] = out[j, i] = float(e["value"])
    return out


def load_library(path: str | Path, trials: int | None = None, params: dict[str, float] | None = None,
                 start: int = 1) -> dict[str, np.ndarray]:
    """Trials of every SIP in a library (counter ``start`` .. ``start+trials-1``)."""
    try:
        lib = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SIPmathError(f"{path}: not a SIPmath JSON library ({exc})")
    params = params or {}
    n = trials or int(lib.get("count") or 1000)
    counter = np.arange(start, start + n, dtype=np.int64)
    u01 = lib.get("U01", {})
    streams: dict[str, np.ndarray] = {}
    for r in u01.get("rng", []):
        if r.get("function") != "HDR_2_0":
            raise SIPmathError(f"rng {r.get('name')!r}: only HDR_2_0 is supported")
        a = r.get("arguments", {})
        where = f"rng {r.get('name')!r}"
        streams[r["name"]] = hdr_uniform(counter, _seed(a.get("varId", 0), params, where),
                                         _seed(a.get("entity", 0), params, where),
                                         _seed(a.get("seed3", 0), params, where),
                                         _seed(a.get("seed4", 0), params, where))
    layers: dict[tuple[str, str], np.ndarray] = {}
    for cop in u01.get("copula", []):
        if cop.get("function") != "GaussianCopula":
            continue
        a = cop["arguments"]
        names = a["rng"]
        sigma = _matrix(lib, a["correlationMatrix"], names)
        z = special.ndtri(np.column_stack([streams[nm] for nm in names]))
        try:
            upper = np.linalg.cholesky(sigma).T       # R with R'R = sigma
        except np.linalg.LinAlgError:
            # an output that is a function of the inputs makes the matrix singular
            from .correlation import repair_correlation
            sigma, _ = repair_correlation(sigma - 1e-9 * np.eye(len(sigma)))
            upper = np.linalg.cholesky(sigma + 1e-10 * np.eye(len(sigma))).T
        for j, layer in enumerate(cop.get("copulaLayer", [])):
            layers[(cop["name"], layer)] = special.ndtr(z[:, : j + 1] @ upper[: j + 1, j])
    out: dict[str, np.ndarray] = {}
    for sip in lib.get("sips", []):
        name = sip.get("name")
        fn = sip.get("function")
        args = sip.get("arguments", {})
        if fn == "SIP_Array":
            vals = args.get("values")
            if vals is None:
                raise SIPmathError(f"SIP {name!r}: SIP_Array without values")
            arr = np.array([np.nan if v is None else float(v) for v in vals])
            out[name] = arr[start - 1: start - 1 + n] if trials else arr
            continue
        if fn != "Metalog_1_0":
            continue   # other environments' entries (PsiNormal, RiskNormal...) describe the same SIP
        ref = sip.get("ref", {})
        if ref.get("source") == "copula":
            u = layers.get((ref.get("name"), ref.get("copulaLayer")))
        else:
            u = streams.get(ref.get("name"))
        if u is None:
            raise SIPmathError(f"SIP {name!r}: its uniform source {ref} is not defined in U01")
        a = args.get("aCoefficients")
        if not a:
            raise SIPmathError(f"SIP {name!r}: aCoefficients missing")
        x = metalog_quantile(u, a, args.get("lowerBound"), args.get("upperBound"))
        if sip.get("rounding") == "nearest":
            x = np.round(x)
        out[name] = x
    return out
