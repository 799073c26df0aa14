"""Request and response shapes of the HTTP API (they make the OpenAPI schema)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

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

    type: Literal["simulation"] = Field("simulation", description="job type (the default)")
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


OptimizationBackend = Literal["highs", "ortools", "scipy"]
SolvingMethod = Literal["auto", "simplex", "grg", "evolutionary"]
WaterfallKind = Literal["re", "film", "incentives", "stacks"]
MAX_SPEC_ITERATIONS = 1_000_000


class OptimizationRequest(BaseModel):
    """Solve the Excel Solver model (or GF.DECISION model) of an uploaded workbook."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "optimization", "workbook_id": "3f0c9a1e5b7d4c2a9e8f6d4b2a0c1e3f", "sheet": "Deals",
         "engine": "highs"}]})

    type: Literal["optimization"]
    workbook_id: str = Field(description="id returned by the upload", max_length=64)
    sheet: Optional[str] = Field(None, min_length=1, max_length=31,
                                 description="the sheet whose Solver model to solve (default: the first with one)")
    engine: Optional[OptimizationBackend] = Field(None, description="LP/MILP solver: highs (default), ortools or "
                                                                    "scipy")
    method: Optional[SolvingMethod] = Field(None, description="Excel's solving method: simplex, grg (GRG "
                                                              "Nonlinear), evolutionary; default: the model's own "
                                                              "(a linear model is always solved as an LP)")
    time_limit: Optional[float] = Field(None, gt=0, le=3600, description="seconds the solver may take")


class WaterfallRequest(BaseModel):
    """Run a distribution waterfall, film incentive or capital-stack comparison from a JSON spec
    (the shapes of `engine/finance/jobs.py`); no workbook needed."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "waterfall", "kind": "film", "spec": {"template": "film1", "iterations": 10000, "seed": 1}},
        {"type": "waterfall", "kind": "re", "spec": {
            "tiers": [["PREF", "", 0.08], ["CATCHUP", "", 1.0], ["SPLIT", "", None, 0.8, 0.2]],
            "cash_flows": [-1000000, 200000, 1450000]}}]})

    type: Literal["waterfall"]
    kind: WaterfallKind = Field(description="re (real-estate equity waterfall), film (film revenue waterfall), "
                                            "incentives (film tax incentives), stacks (film capital stacks)")
    spec: dict[str, Any] = Field(description="the spec, as engine/finance/jobs.py documents it")


def _job_type(v: Any) -> str:
    if isinstance(v, dict):
        t = v.get("type", "simulation")
        return t if isinstance(t, str) else "?"
    return getattr(v, "type", "simulation")


JobRequest = Annotated[Union[Annotated[SimulationRequest, Tag("simulation")],
                             Annotated[OptimizationRequest, Tag("optimization")],
                             Annotated[WaterfallRequest, Tag("waterfall")]],
                       Discriminator(_job_type)]
JOB_TYPES = ("simulation", "optimization", "waterfall")


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
    type: Literal["simulation", "optimization", "waterfall"]
    workbook_id: Optional[str] = Field(None, description="null for a waterfall job")
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


class OptimizationResults(BaseModel):
    """What Excel's Answer and Sensitivity reports hold: status and message, objective, variable cells,
    constraints (Binding / Not Binding, slack), LP sensitivity (shadow prices, reduced costs, allowable
    ranges) where the solve has it, and for an infeasible model the conflicting constraints."""
    model_config = ConfigDict(extra="allow")
    job_id: str
    sheet: str
    code: int = Field(description="Excel Solver's result code (0: found a solution, 5: not feasible...)")
    message: str = Field(description="Excel Solver's message")
    status: str = Field(description="optimal, infeasible, unbounded, not_linear, time_limit, error...")
    objective: Optional[float] = None
    values: dict[str, float] = Field(description="final value of each decision cell, by address")
    variables: list[dict[str, Any]]
    constraints: list[dict[str, Any]]
    sensitivity: Optional[dict[str, Any]] = None
    conflicts: list[str] = Field(description="for an infeasible model: constraints that cannot hold together")
    links: dict[str, Any]


class WaterfallResults(BaseModel):
    """Exactly what the `engine/finance/jobs.py` entry point returned for the spec (e.g. `summary`,
    `tiers`, `periods` for re and film)."""
    model_config = ConfigDict(extra="allow")


class ModuleRequest(BaseModel):
    """Input of a real-estate optimization module and optional what-if changes."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"input": None, "what_if": {"budget": 90000000}}]})
    input: Optional[dict[str, Any]] = Field(None, description="the module's input (see GET /modules for an "
                                                              "example each); omitted: the example input")
    what_if: Optional[dict[str, Any]] = Field(None, description="top-level input fields to change and re-solve; "
                                                                "the answer then has the diff")


class ModuleAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")
    module: str
    result: dict[str, Any] = Field(description="status, message, objective, plan, decisions, binding "
                                               "constraints, shadow prices, metrics")
    what_if: Optional[dict[str, Any]] = Field(None, description="objective delta, changed decisions, binding "
                                                                "constraints added/removed")


class ModuleInfo(BaseModel):
    name: str
    title: str
    description: str
    example: dict[str, Any] = Field(description="an input that can be posted as is (the template workbook's data)")
    input_schema: dict[str, Any]
    links: dict[str, str]


class ModuleList(BaseModel):
    modules: list[ModuleInfo]
