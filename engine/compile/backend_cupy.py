"""The CuPy backend: the NumPy backend's code on an NVIDIA GPU (extra ``gpu``).

The register file of a chunk lives in GPU memory; draws go up and outputs
come back once per chunk.  Importing this module does not need CuPy;
creating the backend does (and a GPU)."""
from __future__ import annotations

from . import ir
from .backend_numpy import NumpyBackend


class CupyBackend(NumpyBackend):
    name = "cupy"

    def __init__(self, program: ir.Program):
        try:
            import cupy
        except ImportError as exc:
            raise RuntimeError("the cupy backend needs CuPy: pip install 'gridflow[gpu]'") from exc
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("the cupy backend needs an NVIDIA GPU")
        super().__init__(program, xp=cupy)

    def chunk_limit(self) -> int:
        # GPU memory is larger and bandwidth higher: allow a bigger register file
        return max(256, (2 << 30) // (8 * max(1, self.p.n_slots)))
