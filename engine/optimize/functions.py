"""Worksheet functions that declare an optimization model in cells.

``=GF.DECISION(initial, [lower], [upper], ["int"|"bin"])`` is a decision
variable (in a plain recalculation it shows ``initial``);
``=GF.OBJECTIVE(value, ["max"|"min"|target])`` the objective (shows
``value``); ``=GF.CONSTRAINT(lhs, "<=", rhs)`` a constraint (shows ``lhs``).
Classic desktop Excel spells them ``GF_DECISION``...  The optimizer reads
their arguments from the formulas (engine.optimize.spec.from_cells); as
worksheet functions they only pass their first argument through.
"""
from __future__ import annotations

from ..functions.registry import function
from ..values import BLANK, MISSING


def _first(value, *_rest):
    return 0.0 if value is BLANK or value is MISSING else value


function("GF.DECISION", "any, any?, any?, any?", category="optimize", aliases=("GF_DECISION",),
         description="A decision variable for optimization: shows its initial value")(_first)
function("GF.OBJECTIVE", "any, any?", category="optimize", aliases=("GF_OBJECTIVE",),
         description="The objective of an optimization model: shows its value")(_first)
function("GF.CONSTRAINT", "any, any, any", category="optimize", aliases=("GF_CONSTRAINT",),
         description="A constraint lhs relation rhs of an optimization model: shows the left side")(_first)
