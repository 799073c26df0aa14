"""Monte Carlo simulation of workbooks: distributions, sampling,
correlation, the simulation loop, results and reports."""
from . import functions  # noqa: F401  (registers GF./Risk/Psi/Vose names with the evaluator)
from .simulate import SimulationError, count_simulations, simulate, simulate_table
from .results import SimulationResult

__all__ = ["simulate", "simulate_table", "count_simulations", "SimulationError", "SimulationResult"]
