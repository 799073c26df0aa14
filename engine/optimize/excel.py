"""Writing an Excel Solver model into a workbook (openpyxl), as Excel's
Solver stores it: hidden, sheet-scoped ``solver_*`` names, booleans 1/2.

Used by the template builders and the tests; Excel's own Solver opens the
result ("Data > Solver" shows the model)."""
from __future__ import annotations

from typing import Any, Iterable

REL_CODES = {"<=": 1, "=": 2, ">=": 3, "int": 4, "bin": 5, "dif": 6}
RHS_TEXT = {"int": "integer", "bin": "binary", "dif": "AllDifferent"}
ENGINE_CODES = {"grg": 1, "simplex": 2, "evolutionary": 3}


def _abs(ws, ref: str) -> str:
    """``B2:D2`` -> ``Sheet1!$B$2:$D$2`` (references already qualified are kept)."""
    if "!" in ref:
        return ref
    from openpyxl.utils.cell import absolute_coordinate, quote_sheetname
    parts = [absolute_coordinate(p) for p in ref.split(":")]
    return f"{quote_sheetname(ws.title)}!{':'.join(parts)}"


def add_solver_model(ws, objective: str | None, variables: Iterable[str] | str,
                     constraints: Iterable[tuple[str, str, Any]] = (), *, sense: str = "max",
                     target: float = 0.0, engine: str = "simplex", nonneg: bool = True,
                     options: dict[str, Any] | None = None) -> None:
    """Store a Solver model on worksheet ``ws``.

    ``constraints``: (lhs range, relation, rhs) with relation one of <=, =,
    >=, int, bin, dif and rhs a number, a range ("G5:G6") or a formula
    ("=Sheet1!$B$2*2")."""
    from openpyxl.workbook.defined_name import DefinedName
    names: dict[str, str] = {}
    if objective:
        names["solver_opt"] = _abs(ws, objective)
    names["solver_typ"] = str({"max": 1, "min": 2, "value": 3}[sense])
    names["solver_val"] = repr(float(target)) if target else "0"
    if isinstance(variables, str):
        variables = [variables]
    names["solver_adj"] = ",".join(_abs(ws, v) for v in variables)
    cons = list(constraints)
    names["solver_num"] = str(len(cons))
    for k, (lhs, rel, rhs) in enumerate(cons, start=1):
        names[f"solver_lhs{k}"] = _abs(ws, lhs)
        names[f"solver_rel{k}"] = str(REL_CODES[rel])
        if rel in RHS_TEXT:
            names[f"solver_rhs{k}"] = f'"{RHS_TEXT[rel]}"'
        elif isinstance(rhs, (int, float)):
            names[f"solver_rhs{k}"] = repr(float(rhs)) if not float(rhs).is_integer() else str(int(rhs))
        elif isinstance(rhs, str) and rhs.startswith("="):
            names[f"solver_rhs{k}"] = rhs[1:]
        else:
            names[f"solver_rhs{k}"] = _abs(ws, rhs)
    names["solver_eng"] = str(ENGINE_CODES[engine])
    names["solver_neg"] = "1" if nonneg else "2"
    names["solver_lin"] = "1" if engine == "simplex" else "2"
    defaults = {"solver_ver": "3", "solver_pre": "0.000001", "solver_scl": "1", "solver_sho": "2",
                "solver_rlx": "2", "solver_tol": "0", "solver_tim": "2147483647", "solver_itr": "2147483647",
                "solver_nod": "2147483647", "solver_mip": "2147483647", "solver_cvg": "0.0001",
                "solver_drv": "1", "solver_est": "1", "solver_nwt": "1", "solver_msl": "2", "solver_ssz": "100",
                "solver_rsd": "0", "solver_rbv": "1", "solver_mrt": "0.075", "solver_mni": "30"}
    for k, v in defaults.items():
        names.setdefault(k, v)
    for k, v in (options or {}).items():
        names[k] = str(v)
    for k, v in names.items():
        ws.defined_names[k] = DefinedName(k, attr_text=v, hidden=True)
