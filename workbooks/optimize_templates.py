"""Template workbooks of the four real-estate optimization modules.

Each holds its data tables, the formulas of the model and an Excel Solver
model in Excel's own hidden names, so Excel's Solver, OpenSolver and
``gridflow solve`` all open it.  The data are the modules' ``example_input()``
so that the workbook and the Python API solve the same problem.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from engine.optimize.excel import add_solver_model
from engine.optimize.modules import capex, deal_picker, debt_stack, leasing

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
DECISION_FILL = PatternFill("solid", fgColor="FCE4D6")
OUTPUT_FILL = PatternFill("solid", fgColor="E2EFDA")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def _col(c: int) -> str:
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _title(ws, title: str, note: str) -> None:
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = note


def _save(wb: Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --- Deal Picker ---------------------------------------------------------------------------

def build_deal_picker(path: Path) -> Path:
    inp = deal_picker.example_input()
    wb = Workbook()
    ws = wb.active
    ws.title = "Deals"
    _title(ws, "GridFlow template: Deal Picker",
           "Orange: decisions (1 = acquire). Solve: Data > Solver in Excel, or gridflow solve workbooks/deal_picker.xlsx")
    params = [("Budget (equity)", inp.budget), ("Risk penalty (per risk point per $)", inp.risk_penalty),
              ("Minimum deals", inp.min_deals), ("Maximum deals", inp.max_deals)]
    for i, (lab, v) in enumerate(params, start=4):
        ws.cell(i, 1, lab)
        ws.cell(i, 2, v).fill = INPUT_FILL
    heads = ["Deal", "Sector", "City", "Equity", "Expected value", "Risk score", "Acquire", "Risk-adjusted value",
             "Equity used", "Value chosen", "Objective term", "Share of portfolio"]
    top = 10
    for j, h in enumerate(heads, start=1):
        ws.cell(top, j, h).font = BOLD
    first = top + 1
    last = first + len(inp.deals) - 1
    for i, d in enumerate(inp.deals):
        r = first + i
        for j, v in enumerate([d.name, d.sector, d.city, d.equity, d.value, d.risk], start=1):
            c = ws.cell(r, j, v)
            if j >= 4:
                c.fill = INPUT_FILL
        ws.cell(r, 7, 0).fill = DECISION_FILL
        ws.cell(r, 8, f"=E{r}-$B$5*F{r}*D{r}")
        ws.cell(r, 9, f"=D{r}*G{r}")
        ws.cell(r, 10, f"=E{r}*G{r}")
        ws.cell(r, 11, f"=H{r}*G{r}")
        ws.cell(r, 12, f"=IF($I${last + 2}>0,I{r}/$I${last + 2},0)")
    tot = last + 2
    ws.cell(tot, 1, "Totals").font = BOLD
    ws.cell(tot, 7, f"=SUM(G{first}:G{last})")
    ws.cell(tot, 9, f"=SUM(I{first}:I{last})")
    ws.cell(tot, 10, f"=SUM(J{first}:J{last})")
    ws.cell(tot, 11, f"=SUM(K{first}:K{last})").fill = OUTPUT_FILL
    ws.cell(tot + 1, 1, "Objective: risk-adjusted value of the portfolio")
    ws.cell(tot + 1, 11, f"=K{tot}").fill = OUTPUT_FILL
    # share caps
    cap_top = tot + 4
    for j, h in enumerate(["Group", "Kind", "Cap (share)", "Equity in group", "Cap amount", "Headroom"], start=1):
        ws.cell(cap_top, j, h).font = BOLD
    groups = [(g, "Sector", k) for g, k in inp.sector_caps.items()] + [(g, "City", k) for g, k in inp.city_caps.items()]
    for i, (g, kind, kappa) in enumerate(groups):
        r = cap_top + 1 + i
        col = "B" if kind == "Sector" else "C"
        ws.cell(r, 1, g)
        ws.cell(r, 2, kind)
        ws.cell(r, 3, kappa).fill = INPUT_FILL
        ws.cell(r, 4, f"=SUMIF(${col}${first}:${col}${last},A{r},$I${first}:$I${last})")
        ws.cell(r, 5, f"=C{r}*$I${tot}")
        ws.cell(r, 6, f"=E{r}-D{r}")
    cap_last = cap_top + len(groups)
    for col, w in zip("ABCDEFGHIJKL", (34, 13, 10, 13, 15, 10, 9, 18, 13, 14, 15, 16)):
        ws.column_dimensions[col].width = w
    add_solver_model(ws, f"K{tot + 1}", f"G{first}:G{last}",
                     [(f"I{tot}", "<=", "B4"),
                      (f"D{cap_top + 1}:D{cap_last}", "<=", f"E{cap_top + 1}:E{cap_last}"),
                      (f"G{tot}", ">=", "B6"), (f"G{tot}", "<=", "B7"),
                      (f"G{first}:G{last}", "bin", None)], sense="max", engine="simplex")
    return _save(wb, path)


# --- Debt Stack Mixer ------------------------------------------------------------------------

def build_debt_stack(path: Path) -> Path:
    inp = debt_stack.example_input()
    wb = Workbook()
    ws = wb.active
    ws.title = "Stack"
    _title(ws, "GridFlow template: Debt Stack Mixer",
           "Orange: decisions (tranche amounts, use/hedge switches, equity). gridflow solve workbooks/debt_stack.xlsx")
    params = [("Property value", inp.value), ("NOI", inp.noi), ("Total cost (uses)", inp.total_cost),
              ("Minimum DSCR", inp.dscr_min), ("Minimum debt yield", inp.debt_yield_min),
              ("Cost of equity", inp.cost_of_equity)]
    for i, (lab, v) in enumerate(params, start=4):
        ws.cell(i, 1, lab)
        ws.cell(i, 2, v).fill = INPUT_FILL
    # B4 value, B5 NOI, B6 cost, B7 DSCR, B8 DY, B9 coe
    ws["D3"] = "Rate scenarios"
    ws["D3"].font = BOLD
    for j, h in enumerate(["Scenario", "Index rate", "Probability"]):
        ws.cell(4, 4 + j, h).font = BOLD
    for i, s in enumerate(inp.scenarios):
        ws.cell(5 + i, 4, s.name)
        ws.cell(5 + i, 5, s.index).fill = INPUT_FILL
        ws.cell(5 + i, 6, s.probability).fill = INPUT_FILL
    ns = len(inp.scenarios)
    s1, s2 = 5, 4 + ns
    # tranche table
    top = 11
    heads = ["Tranche", "Max size", "Min ticket", "Rate / spread", "Floating (1/0)", "Amortization (yrs, 0 = IO)",
             "Cumulative LTV limit", "Upfront fee", "Term (yrs)", "Cap strike", "Cap premium", "Use (0/1)",
             "Hedge (0/1)", "Amount", "Cumulative debt", "LTV limit amount", "Max headroom", "Ticket headroom"]
    for j, h in enumerate(heads, start=1):
        ws.cell(top, j, h).font = BOLD
    tr_first = top + 1
    tr_rows = {}
    for i, t in enumerate(inp.tranches):
        r = tr_first + i
        tr_rows[t.name] = r
        vals = [t.name, t.max_size, t.min_size, t.rate, 1 if t.floating else 0, t.amort_years or 0, t.ltv_limit,
                t.fee, t.term_years, t.cap_strike if t.cap_strike is not None else "", t.cap_premium]
        for j, v in enumerate(vals, start=1):
            c = ws.cell(r, j, v)
            if j > 1:
                c.fill = INPUT_FILL
        ws.cell(r, 12, 0).fill = DECISION_FILL
        if t.floating and t.cap_strike is not None:
            ws.cell(r, 13, 0).fill = DECISION_FILL
        else:
            ws.cell(r, 13, 0)
    tr_last = tr_first + len(inp.tranches) - 1
    # parts: one per (tranche, hedged?) with its own amount decision
    ptop = tr_last + 3
    ws.cell(ptop - 1, 1, "Tranche parts (a capped floating tranche splits into unhedged and hedged parts)").font = BOLD
    pheads = ["Part", "Tranche", "Hedged", "Amount"] + [f"Rate {s.name}" for s in inp.scenarios] + \
             [f"Constant {s.name}" for s in inp.scenarios] + ["Expected rate", "Annual cost rate"]
    for j, h in enumerate(pheads, start=1):
        ws.cell(ptop, j, h).font = BOLD
    parts = []
    for t in inp.tranches:
        parts.append((t, 0))
        if t.floating and t.cap_strike is not None:
            parts.append((t, 1))
    p_first = ptop + 1
    for i, (t, hedged) in enumerate(parts):
        r = p_first + i
        tr = tr_rows[t.name]
        ws.cell(r, 1, f"{t.name}{' hedged' if hedged else ''}")
        ws.cell(r, 2, t.name)
        ws.cell(r, 3, hedged)
        ws.cell(r, 4, 0).fill = DECISION_FILL
        for k in range(ns):
            idx = f"$E${s1 + k}"
            if hedged:
                rate = f"=MIN({idx},$J${tr})+$D${tr}"
            else:
                rate = f"=IF($E${tr}=1,{idx}+$D${tr},$D${tr})"
            ws.cell(r, 5 + k, rate)
            rc = f"{_col(5 + k)}{r}"
            ws.cell(r, 5 + ns + k, f"=IF($F${tr}>0,12*({rc}/12)/(1-(1+{rc}/12)^(-$F${tr}*12)),{rc})")
        weighted = "+".join(f"{_col(5 + k)}{r}*$F${s1 + k}" for k in range(ns))
        ws.cell(r, 5 + 2 * ns, f"=({weighted})/SUM($F${s1}:$F${s2})" if ns else f"=$D${tr}")
        prem = f"+$K${tr}" if hedged else ""
        ws.cell(r, 6 + 2 * ns, f"={_col(5 + 2 * ns)}{r}+$H${tr}/$I${tr}{prem}")
    p_last = p_first + len(parts) - 1
    amt = f"$D${p_first}:$D${p_last}"
    # tranche totals and rows
    for t in inp.tranches:
        r = tr_rows[t.name]
        ws.cell(r, 14, f"=SUMIF($B${p_first}:$B${p_last},A{r},{amt})")
        ws.cell(r, 15, f"=SUM($N${tr_first}:N{r})")
        ws.cell(r, 16, f"=G{r}*$B$4")
        ws.cell(r, 17, f"=N{r}-B{r}*L{r}")
        ws.cell(r, 18, f"=N{r}-C{r}*L{r}")
    # hedge split rows per hedged tranche
    hrow = p_last + 2
    ws.cell(hrow, 1, "Hedge split").font = BOLD
    hedge_lhs = []
    for i, (t, hedged) in enumerate(parts):
        r = p_first + i
        tr = tr_rows[t.name]
        if not (t.floating and t.cap_strike is not None):
            continue
        hrow += 1
        ws.cell(hrow, 1, f"{t.name}{' hedged' if hedged else ' unhedged'} part headroom")
        if hedged:
            ws.cell(hrow, 2, f"=D{r}-$B${tr}*$M${tr}")
        else:
            ws.cell(hrow, 2, f"=D{r}-$B${tr}*(1-$M${tr})")
        hedge_lhs.append(f"B{hrow}")
    # covenants
    cov = hrow + 2
    ws.cell(cov, 1, "Covenants").font = BOLD
    ws.cell(cov + 1, 1, "Total debt")
    ws.cell(cov + 1, 2, f"=SUM({amt})")
    ws.cell(cov + 2, 1, "Equity")
    ws.cell(cov + 2, 2, 0).fill = DECISION_FILL
    ws.cell(cov + 3, 1, "Sources (debt + equity)")
    ws.cell(cov + 3, 2, f"=B{cov + 1}+B{cov + 2}")
    ws.cell(cov + 4, 1, "Debt service limit (NOI / DSCR)")
    ws.cell(cov + 4, 2, "=B5/B7")
    ws.cell(cov + 5, 1, "Debt yield limit (NOI / DY)")
    ws.cell(cov + 5, 2, "=B5/B8")
    ds_first = cov + 6
    for k, s in enumerate(inp.scenarios):
        ws.cell(ds_first + k, 1, f"Debt service {s.name}")
        cc = _col(5 + ns + k)
        ws.cell(ds_first + k, 2, f"=SUMPRODUCT({cc}{p_first}:{cc}{p_last},{amt})")
    ds_last = ds_first + ns - 1
    obj = ds_last + 2
    ws.cell(obj, 1, "Objective: expected annual cost of capital").font = BOLD
    cost_col = _col(6 + 2 * ns)
    ws.cell(obj, 2, f"=SUMPRODUCT({cost_col}{p_first}:{cost_col}{p_last},{amt})+B9*B{cov + 2}").fill = OUTPUT_FILL
    ws.cell(obj + 1, 1, "LTV")
    ws.cell(obj + 1, 2, f"=B{cov + 1}/B4")
    ws.cell(obj + 2, 1, "Worst-scenario DSCR")
    ws.cell(obj + 2, 2, f"=IF(MAX(B{ds_first}:B{ds_last})>0,B5/MAX(B{ds_first}:B{ds_last}),0)")
    # amortization schedule (annual) of each tranche at its expected rate
    am = obj + 5
    ws.cell(am - 1, 1, "Amortization schedule (annual, expected rates)").font = BOLD
    ws.cell(am, 1, "Year").font = BOLD
    for i, t in enumerate(inp.tranches):
        tr = tr_rows[t.name]
        c0 = 2 + 4 * i
        for j, h in enumerate(["opening", "interest", "principal", "closing"]):
            ws.cell(am, c0 + j, f"{t.name} {h}").font = BOLD
        # expected rate of the tranche: amount-weighted over its parts (first part's when unused)
        rate_cell = f"{_col(c0)}{am - 1}"
        first_part = p_first + next(k for k, (tt, _h) in enumerate(parts) if tt is t)
        er = _col(5 + 2 * ns)
        ws.cell(am - 1, c0, f"=IF($N${tr}>0,SUMPRODUCT(($B${p_first}:$B${p_last}=$A${tr})*{er}{p_first}:{er}{p_last}"
                            f"*{amt})/$N${tr},{er}{first_part})")
        years = int(max(t.term_years for t in inp.tranches))
        for y in range(1, years + 1):
            r = am + y
            ws.cell(r, 1, y)
            op = f"{_col(c0)}{r}"
            cl = f"{_col(c0 + 3)}{r}"
            ws.cell(r, c0, f"=$N${tr}" if y == 1 else f"={_col(c0 + 3)}{r - 1}")
            ws.cell(r, c0 + 3, f"=IF($F${tr}>0,FV({rate_cell}/12,12*{y},PMT({rate_cell}/12,$F${tr}*12,-$N${tr}),"
                                f"-$N${tr}),$N${tr})")
            ws.cell(r, c0 + 2, f"={op}-{cl}")
            ws.cell(r, c0 + 1, f"=IF($F${tr}>0,12*PMT({rate_cell}/12,$F${tr}*12,-$N${tr})-({op}-{cl}),"
                                f"$N${tr}*{rate_cell})")
    ws.column_dimensions["A"].width = 42
    for c in range(2, 20):
        ws.column_dimensions[_col(c)].width = 15
    cons = [(f"O{tr_first}:O{tr_last}", "<=", f"P{tr_first}:P{tr_last}"),
            (f"B{ds_first}:B{ds_last}", "<=", f"B{cov + 4}"),
            (f"B{cov + 1}", "<=", f"B{cov + 5}"),
            (f"B{cov + 3}", "=", "B6"),
            (f"Q{tr_first}:Q{tr_last}", "<=", 0),
            (f"R{tr_first}:R{tr_last}", ">=", 0)]
    for h in hedge_lhs:
        cons.append((h, "<=", 0))
    cons.append((f"L{tr_first}:L{tr_last}", "bin", None))
    hedge_cells = [f"M{tr_rows[t.name]}" for t in inp.tranches if t.floating and t.cap_strike is not None]
    for h in hedge_cells:
        cons.append((h, "bin", None))
    variables = [f"D{p_first}:D{p_last}", f"L{tr_first}:L{tr_last}", f"B{cov + 2}"] + hedge_cells
    add_solver_model(ws, f"B{obj}", variables, cons, sense="min", engine="simplex")
    return _save(wb, path)


# --- Capex Phasing Planner -------------------------------------------------------------------

def build_capex_phasing(path: Path) -> Path:
    inp = capex.example_input()
    T = inp.horizon
    P = len(inp.projects)
    dmax = max(p.duration for p in inp.projects)
    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    _title(ws, "GridFlow template: Capex Phasing Planner",
           "Orange grid: start month of each project (1 = start). gridflow solve workbooks/capex_phasing.xlsx")
    params = [("Horizon (months)", T), ("Monthly cash limit", inp.cash_limit), ("Parallel projects", inp.capacity),
              ("Discount rate (annual)", inp.discount_rate), ("Exit cap rate", inp.exit_cap_rate),
              ("Monthly discount factor", "=(1+B7)^(-1/12)")]
    for i, (lab, v) in enumerate(params, start=4):
        ws.cell(i, 1, lab)
        c = ws.cell(i, 2, v)
        if not str(v).startswith("="):
            c.fill = INPUT_FILL
    # B4 T, B5 cash, B6 capacity, B7 rate, B8 cap, B9 v
    top = 11
    heads = ["Project", "Duration", "Monthly uplift", "Downtime loss", "Earliest start", "Deadline (end month)",
             "Required (1/0)"] + [f"Cost m{k + 1}" for k in range(dmax)] + ["PV of costs at start", "Starts"]
    for j, h in enumerate(heads, start=1):
        ws.cell(top, j, h).font = BOLD
    first = top + 1
    last = first + P - 1
    cost_c0 = 8
    pv_col = cost_c0 + dmax
    starts_col = pv_col + 1
    for i, p in enumerate(inp.projects):
        r = first + i
        vals = [p.name, p.duration, p.uplift, p.downtime_loss, p.earliest, p.deadline if p.deadline is not None else T,
                1 if p.mandatory else 0] + [p.costs[k] if k < p.duration else 0 for k in range(dmax)]
        for j, v in enumerate(vals, start=1):
            c = ws.cell(r, j, v)
            if j > 1:
                c.fill = INPUT_FILL
        terms = "+".join(f"{_col(cost_c0 + k)}{r}*$B$9^{k}" for k in range(dmax))
        ws.cell(r, pv_col, f"={terms}")
    # grids: start decisions, allowed starts, value of a start
    g_c0 = 3

    def grid_header(row: int, title: str) -> None:
        ws.cell(row, 1, title).font = BOLD
        for t in range(T):
            ws.cell(row, g_c0 + t, t).font = BOLD
        ws.cell(row, 2, "month →")

    s_top = last + 3
    grid_header(s_top, "Start (decision)")
    a_top = s_top + P + 2
    grid_header(a_top, "Allowed start")
    v_top = a_top + P + 2
    grid_header(v_top, "Value of starting (PV)")
    for i, p in enumerate(inp.projects):
        pr = first + i
        for t in range(T):
            col = _col(g_c0 + t)
            ws.cell(s_top + 1 + i, 1, p.name)
            ws.cell(s_top + 1 + i, g_c0 + t, 0).fill = DECISION_FILL
            ws.cell(a_top + 1 + i, 1, p.name)
            mref = f"{col}${s_top}"
            ws.cell(a_top + 1 + i, g_c0 + t, f"=IF(AND({mref}>=$E${pr},{mref}+$B${pr}<=MIN($B$4,$F${pr})),1,0)")
            ws.cell(v_top + 1 + i, 1, p.name)
            ws.cell(v_top + 1 + i, g_c0 + t,
                    f"=$C${pr}*($B$9^({mref}+$B${pr})-$B$9^$B$4)/(1-$B$9)+$C${pr}*12/$B$8*$B$9^$B$4"
                    f"-$B$9^{mref}*{_col(pv_col)}{pr}-$D${pr}*$B$9^{mref}*(1-$B$9^$B${pr})/(1-$B$9)")
        srow = s_top + 1 + i
        ws.cell(pr, starts_col, f"=SUM({_col(g_c0)}{srow}:{_col(g_c0 + T - 1)}{srow})")
    s_first, s_last = s_top + 1, s_top + P
    # monthly cash and capacity use
    u_top = v_top + P + 2
    grid_header(u_top, "Monthly use")
    ws.cell(u_top + 1, 1, "Spend")
    ws.cell(u_top + 2, 1, "Projects running")
    for t in range(T):
        spend, busy = [], []
        for k in range(dmax):
            if t - k < 0:
                continue
            scol = _col(g_c0 + t - k)
            ccol = _col(cost_c0 + k)
            spend.append(f"SUMPRODUCT(${ccol}${first}:${ccol}${last},{scol}${s_first}:{scol}${s_last})")
            busy.append(f"SUMPRODUCT(--($B${first}:$B${last}>{k}),{scol}${s_first}:{scol}${s_last})")
        ws.cell(u_top + 1, g_c0 + t, "=" + "+".join(spend))
        ws.cell(u_top + 2, g_c0 + t, "=" + "+".join(busy))
    # precedence rows: q may start by month t only if p has started by t - d_p
    pre_top = u_top + 4
    pre_rows = []
    names = {p.name: i for i, p in enumerate(inp.projects)}
    pairs = [(q, pn) for q in inp.projects for pn in q.after]
    if pairs:
        grid_header(pre_top, "Precedence (started successor − completed predecessor ≤ 0)")
    for n, (q, pn) in enumerate(pairs):
        r = pre_top + 1 + n
        qi, pi = names[q.name], names[pn]
        ws.cell(r, 1, f"{q.name} after {pn}")
        for t in range(T):
            qs = f"SUM(${_col(g_c0)}${s_first + qi}:{_col(g_c0 + t)}${s_first + qi})"
            tp = t - inp.projects[pi].duration
            ps = f"SUM(${_col(g_c0)}${s_first + pi}:{_col(g_c0 + tp)}${s_first + pi})" if tp >= 0 else "0"
            ws.cell(r, g_c0 + t, f"={qs}-{ps}")
        pre_rows.append(r)
    obj_row = (pre_rows[-1] if pre_rows else pre_top) + 2
    ws.cell(obj_row, 1, "Objective: PV of uplift net of cost and downtime").font = BOLD
    ws.cell(obj_row, g_c0, f"=SUMPRODUCT({_col(g_c0)}{v_top + 1}:{_col(g_c0 + T - 1)}{v_top + P},"
                           f"{_col(g_c0)}{s_first}:{_col(g_c0 + T - 1)}{s_last})").fill = OUTPUT_FILL
    grid = f"{_col(g_c0)}{s_first}:{_col(g_c0 + T - 1)}{s_last}"
    allowed = f"{_col(g_c0)}{a_top + 1}:{_col(g_c0 + T - 1)}{a_top + P}"
    cons = [(grid, "<=", allowed),
            (f"{_col(starts_col)}{first}:{_col(starts_col)}{last}", "<=", 1),
            (f"{_col(starts_col)}{first}:{_col(starts_col)}{last}", ">=", f"G{first}:G{last}"),
            (f"{_col(g_c0)}{u_top + 1}:{_col(g_c0 + T - 1)}{u_top + 1}", "<=", "B5"),
            (f"{_col(g_c0)}{u_top + 2}:{_col(g_c0 + T - 1)}{u_top + 2}", "<=", "B6")]
    for r in pre_rows:
        cons.append((f"{_col(g_c0)}{r}:{_col(g_c0 + T - 1)}{r}", "<=", 0))
    cons.append((grid, "bin", None))
    add_solver_model(ws, f"{_col(g_c0)}{obj_row}", grid, cons, sense="max", engine="simplex")
    # Gantt-style schedule
    g = wb.create_sheet("Schedule")
    g["A1"] = "Schedule (1 = works running in the month)"
    g["A1"].font = TITLE
    g["A3"] = "Project"
    g["A3"].font = BOLD
    for t in range(T):
        g.cell(3, 2 + t, t).font = BOLD
    for i, p in enumerate(inp.projects):
        r = 4 + i
        g.cell(r, 1, p.name)
        for t in range(T):
            lo = max(0, t - p.duration + 1)
            rng = f"Plan!{_col(g_c0 + lo)}{s_first + i}:{_col(g_c0 + t)}{s_first + i}"
            g.cell(r, 2 + t, f"=SUM({rng})")
    g.cell(5 + P, 1, "Start month")
    for i, p in enumerate(inp.projects):
        g.cell(6 + P + i, 1, p.name)
        row = f"Plan!{_col(g_c0)}{s_first + i}:{_col(g_c0 + T - 1)}{s_first + i}"
        g.cell(6 + P + i, 2, f"=IF(SUM({row})>0,SUMPRODUCT({row},Plan!{_col(g_c0)}{s_top}:{_col(g_c0 + T - 1)}{s_top}),-1)")
    ws.column_dimensions["A"].width = 34
    g.column_dimensions["A"].width = 24
    return _save(wb, path)


# --- Leasing Mix Optimizer -------------------------------------------------------------------

def build_leasing_mix(path: Path) -> Path:
    inp = leasing.example_input()
    wb = Workbook()
    ws = wb.active
    ws.title = "Leasing"
    _title(ws, "GridFlow template: Leasing Mix Optimizer",
           "Orange grid: package chosen for each unit (1 = lease). gridflow solve workbooks/leasing_mix.xlsx")
    U, K = len(inp.units), len(inp.packages)
    params = [("Incentive budget", inp.budget), ("Minimum occupancy (share of GLA)", inp.occupancy_min),
              ("WAULT floor (years, income-weighted)", inp.wault_min)]
    for i, (lab, v) in enumerate(params, start=4):
        ws.cell(i, 1, lab)
        ws.cell(i, 2, v).fill = INPUT_FILL
    # B4 budget, B5 occ, B6 W
    ptop = 9
    for j, h in enumerate(["Package", "Term (yrs)", "Rent per m² (annual)", "Free months", "Incentive per m²",
                           "Fit-out months", "Paying months in year 1"], start=1):
        ws.cell(ptop, j, h).font = BOLD
    p_first = ptop + 1
    for i, k in enumerate(inp.packages):
        r = p_first + i
        for j, v in enumerate([k.name, k.term_years, k.rent, k.free_months, k.incentive, k.fitout_months], start=1):
            c = ws.cell(r, j, v)
            if j > 1:
                c.fill = INPUT_FILL
        ws.cell(r, 7, f"=MAX(0,12-F{r}-D{r})")
    p_last = p_first + K - 1
    etop = p_last + 2
    for j, h in enumerate(["Existing lease", "Area (m²)", "Annual rent", "Remaining term (yrs)", "WAULT term"],
                          start=1):
        ws.cell(etop, j, h).font = BOLD
    e_first = etop + 1
    for i, e in enumerate(inp.existing):
        r = e_first + i
        for j, v in enumerate([e.name, e.area, e.rent, e.remaining_years], start=1):
            c = ws.cell(r, j, v)
            if j > 1:
                c.fill = INPUT_FILL
        ws.cell(r, 5, f"=C{r}*(D{r}-$B$6)")
    e_last = e_first + len(inp.existing) - 1
    # unit grids
    def grid(top: int, title: str) -> tuple[int, int]:
        ws.cell(top, 1, title).font = BOLD
        ws.cell(top, 2, "Area (m²)").font = BOLD
        for j, k in enumerate(inp.packages):
            ws.cell(top, 3 + j, k.name).font = BOLD
        return top + 1, top + U

    y_first, y_last = grid(e_last + 3, "Choice (decision)")
    n_first, n_last = grid(y_last + 3, "12-month net cash flow")
    i_first, i_last = grid(n_last + 3, "Incentive cost")
    w_first, w_last = grid(i_last + 3, "WAULT contribution R·(T − W)")
    r_first, r_last = grid(w_last + 3, "Annual rent")
    for u_i, u in enumerate(inp.units):
        for top in (y_first, n_first, i_first, w_first, r_first):
            ws.cell(top + u_i, 1, u.name)
            if top == y_first:
                ws.cell(top + u_i, 2, u.area).fill = INPUT_FILL
            else:
                ws.cell(top + u_i, 2, f"=B{y_first + u_i}")
        for k_i in range(K):
            pr = p_first + k_i
            area = f"$B{y_first + u_i}"
            ws.cell(y_first + u_i, 3 + k_i, 0).fill = DECISION_FILL
            ws.cell(n_first + u_i, 3 + k_i, f"=$C${pr}*{area}/12*$G${pr}-$E${pr}*{area}")
            ws.cell(i_first + u_i, 3 + k_i, f"={area}*$E${pr}")
            ws.cell(w_first + u_i, 3 + k_i, f"=$C${pr}*{area}*($B${pr}-$B$6)")
            ws.cell(r_first + u_i, 3 + k_i, f"=$C${pr}*{area}")
    last_col = _col(2 + K)
    ch = _col(3 + K)
    ws.cell(y_first - 1, 3 + K, "Packages chosen").font = BOLD
    ws.cell(y_first - 1, 4 + K, "Area leased").font = BOLD
    for u_i in range(U):
        r = y_first + u_i
        ws.cell(r, 3 + K, f"=SUM(C{r}:{last_col}{r})")
        ws.cell(r, 4 + K, f"=B{r}*{ch}{r}")
    Y = f"C{y_first}:{last_col}{y_last}"
    s = r_last + 2
    ws.cell(s, 1, "Results").font = BOLD
    rows = [("Objective: 12-month net cash flow", f"=SUMPRODUCT(C{n_first}:{last_col}{n_last},{Y})"),
            ("Incentives spent", f"=SUMPRODUCT(C{i_first}:{last_col}{i_last},{Y})"),
            ("GLA (m²)", f"=SUM(B{e_first}:B{e_last})+SUM(B{y_first}:B{y_last})"),
            ("Occupied area", f"=SUM(B{e_first}:B{e_last})+SUM({_col(4 + K)}{y_first}:{_col(4 + K)}{y_last})"),
            ("Occupancy target area", f"=B5*B{s + 3}"),
            ("WAULT margin Σ R·(T − W)", f"=SUM(E{e_first}:E{e_last})+SUMPRODUCT(C{w_first}:{last_col}{w_last},{Y})"),
            ("WAULT (years)", None),      # written below
            ]
    for i, (lab, f) in enumerate(rows):
        ws.cell(s + 1 + i, 1, lab)
        if f:
            ws.cell(s + 1 + i, 2, f)
    # WAULT = (Σ R_e T_e + Σ_k term_k Σ_u R_uk y_uk) / (Σ R_e + Σ R y)
    wr = s + 7
    term_sum = "+".join(f"$B${p_first + k}*SUMPRODUCT({_col(3 + k)}{r_first}:{_col(3 + k)}{r_last},"
                        f"{_col(3 + k)}{y_first}:{_col(3 + k)}{y_last})" for k in range(K))
    ws.cell(wr, 2, f"=(SUMPRODUCT(C{e_first}:C{e_last},D{e_first}:D{e_last})+{term_sum})/"
                   f"(SUM(C{e_first}:C{e_last})+SUMPRODUCT(C{r_first}:{last_col}{r_last},{Y}))")
    ws.cell(s + 1, 2).fill = OUTPUT_FILL
    ws.column_dimensions["A"].width = 40
    for c in range(2, 8 + K):
        ws.column_dimensions[_col(c)].width = 16
    cons = [(f"{ch}{y_first}:{ch}{y_last}", "<=", 1),
            (f"B{s + 2}", "<=", "B4"),
            (f"B{s + 4}", ">=", f"B{s + 5}"),
            (f"B{s + 6}", ">=", 0),
            (Y, "bin", None)]
    add_solver_model(ws, f"B{s + 1}", Y, cons, sense="max", engine="simplex")
    return _save(wb, path)


TEMPLATES = {
    "deal_picker.xlsx": build_deal_picker,
    "debt_stack.xlsx": build_debt_stack,
    "capex_phasing.xlsx": build_capex_phasing,
    "leasing_mix.xlsx": build_leasing_mix,
}
