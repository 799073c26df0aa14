"""Request and response shapes of the HTTP API (they make the OpenAPI schema)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
Sampling = Literal["lhs", "mc", "sobol", "hdr"]


class ErrorInfo(BaseModel):
    code: str = Field(description="machine-readable error code, e.g. not_found, validation_error")
    message: str = Field(description="what went wrong, naming the field, cell or limit")
    details: Any = Field(None, description="more context: the offending field, cell or limit")


class ErrorResponse(BaseModel):
    error: ErrorInfo


class SimulationRequest(BaseModel):
    """Start a Monte Carlo simulation of an uploaded workbook."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "simulation", "workbook_id": "3f0c9a1e5b7d4c2a9e8f6d4b2a0c1e3f", "iterations": 10000,
         "seed": 1, "sampling": "lhs", "outputs": ["CashFlow!B18"]}]})

    type: Literal["simulation"] = Field("simulation", description="job type (optimization and waterfall jobs "
                                                                  "arrive with their modules)")
    workbook_id: str = Field(description="id returned by the upload", max_length=64)
    iterations: int = Field(10_000, ge=1, le=10_000_000)
    seed: Optional[int] = Field(None, ge=0, le=2**32 - 1,
                                description="makes the run reproducible; chosen at random (and recorded) if omitted")
    sampling: Sampling = Field("lhs", description="lhs (Latin hypercube), mc, sobol or hdr (SIPmath)")
    outputs: list[str] = Field(default_factory=list, max_length=500,
                               description="output cells besides GF.OUTPUT/RiskOutput ones, e.g. Sheet1!B7 or "
                                           "'My sheet'!C3:C5")
    backend: Literal["numpy"] = Field("numpy", description="evaluation backend")
    chunk_size: Optional[int] = Field(None, ge=100, le=1_000_000, description="iterations evaluated at once")
    converge: Optional[float] = Field(None, gt=0, lt=1, description="stop early once every output mean is known "
                                                                    "within this relative tolerance")
    simulation: int = Field(1, ge=1, le=1000, description="which GF.SIMTABLE simulation to run (1-based)")


class Progress(BaseModel):
    done: int
    total: int
    fraction: float
    rate: Optional[float] = Field(None, description="iterations per second")
    elapsed_s: float
    eta_s: Optional[float] = None
    phase: Optional[str] = None


class Job(BaseModel):
    id: str
    type: str
    workbook_id: str
    status: JobStatus
    params: dict[str, Any]
    progress: Progress
    created_at: str
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    error: Optional[ErrorInfo] = None
    summary: Optional[dict[str, Any]] = Field(None, description="short statistics once done")
    links: dict[str, str]


class JobList(BaseModel):
    jobs: list[Job]
    total: int
    limit: int
    offset: int


class WorkbookSummary(BaseModel):
    sheets: int
    formulas: int
    random_inputs: int
    outputs: int
    unsupported_functions: int
    simulation_ready: bool


class Workbook(BaseModel):
    id: str
    filename: str
    format: Literal["xlsx", "xlsm"]
    size: int
    sha256: str
    uploaded_at: str
    summary: WorkbookSummary
    links: dict[str, str]


class WorkbookDetail(Workbook):
    inspection: dict[str, Any] = Field(description="sheets, formula count, random inputs, outputs, Solver models, "
                                                   "unsupported functions with their cells, parse errors, problems")


class WorkbookList(BaseModel):
    workbooks: list[Workbook]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: str
    version: str
    workers_ready: bool
    jobs: dict[str, int]


class Results(BaseModel):
    """Statistics, histogram, cumulative curve, sensitivity (tornado) and
    convergence per output; summary statistics per input."""
    model_config = ConfigDict(extra="allow")
    job_id: str
    iterations: int
    seed: int
    sampling: str
    seconds: float
    outputs: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    links: dict[str, Any]
