"""Compiled simulation: stochastic cone, formula groups, a backend-neutral
IR and its NumPy / Numba / CuPy backends.

    program = compile_plan(model, plan)        # ir.Program, or CompileError
    backend = make_backend("numba", program)
    outputs = backend.run(X)                   # X: (inputs, scenarios) draws

``engine.montecarlo.simulate(..., backend=...)`` uses this; any cone cell the
IR cannot express makes the compile step raise ``CompileError`` with the
cell and the reason, and the simulation falls back to the interpreter.
"""
from .ir import Program
from .lower import COMPILED_FUNCTIONS, CompileError
from .program import compile_plan
from .runner import BACKENDS, CompiledRun, choose_backend, gpu_available, make_backend

__all__ = ["Program", "CompileError", "compile_plan", "make_backend", "choose_backend", "CompiledRun",
           "BACKENDS", "COMPILED_FUNCTIONS", "gpu_available"]
