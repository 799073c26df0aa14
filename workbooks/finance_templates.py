"""Finance template workbooks (waterfalls, incentives, capital stacks),
built by code and registered in ``workbooks/build.py``.

Every number in these workbooks is an ordinary Excel formula, so any
spreadsheet (LibreOffice in the tests) recalculates them; the tier tables
are laid out the way GridFlow's worksheet functions read them, so the same
waterfall can be run with ``=GF.WATERFALL(...)`` / ``=GF.FILMWATERFALL(...)``
in GridFlow (noted in each workbook).  ``tests/finance`` checks that these
cells agree with ``engine.finance``.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName

INPUT = PatternFill("solid", fgColor="FFF2CC")
OUTPUT = PatternFill("solid", fgColor="E2EFDA")
HEAD = Font(bold=True)
TITLE = Font(bold=True, size=14)
MONEY = "#,##0;(#,##0)"
PCT = "0.00%"


def col(c: int) -> str:
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _inputs(ws, cells: dict[str, object]) -> None:
    for addr, v in cells.items():
        ws[addr] = v
        ws[addr].fill = INPUT


def _name(wb, name: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


# --- real-estate waterfall -----------------------------------------------------------------

RE_TIERS = [["Type", "Name", "Rate", "LP split", "GP split", "Promote"],
            ["IRR", "Tier 1: to 8% IRR", 0.08, None, None, 0.0],
            ["IRR", "Tier 2: to 15% IRR", 0.15, None, None, 0.20],
            ["SPLIT", "Tier 3: residual", None, None, None, 0.30]]
RE_FLOWS = [-10_000_000, 500_000, 600_000, 700_000, 800_000, 15_000_000]
RE_DATES = [dt.date(2025 + k, 1, 1) for k in range(6)]


def build_re_waterfall(path: Path) -> Path:
    """LP/GP equity waterfall with IRR hurdles and promotes (the RE-2
    example), period by period, plus the RE-1, RE-3 and RE-4 examples."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws["A1"] = "GridFlow template: real-estate equity waterfall (IRR hurdles, promotes, co-investment)"
    ws["A1"].font = TITLE
    ws["A2"] = ("Yellow: inputs. The Waterfall sheet computes each tier with plain formulas. In GridFlow the same "
                'table runs as =GF.WATERFALL(Tiers,CashFlows,Dates,LPShare,Compounding) and in Python as '
                "engine.finance.re_waterfall.")
    labels = {3: "LP share of contributions (co-investment)", 4: "GP share", 5: 'Compounding ("annual" per period, or "daily" = (1+h)^(days/365))',
              6: "Periods per year", 7: "Discount rate (NPV)"}
    for r, lab in labels.items():
        ws.cell(r, 1, lab)
    _inputs(ws, {"B3": 0.9, "B5": "annual", "B6": 1, "B7": 0.10})
    ws["B4"] = "=1-B3"
    ws["A9"] = "Tier table (Type, Name, Rate, LP split, GP split, Promote); split used by the formulas:"
    ws["A9"].font = HEAD
    for i, row in enumerate(RE_TIERS):
        for j, v in enumerate(row):
            c = ws.cell(10 + i, 1 + j, v)
            if i and j >= 2:
                c.fill = INPUT
        if i == 0:
            ws.cell(10, 8, "GP share of tier").font = HEAD
            ws.cell(10, 9, "LP share of tier").font = HEAD
            for j in range(1, 7):
                ws.cell(10, j).font = HEAD
        else:
            r = 10 + i
            ws.cell(r, 8, f"=IF(ISNUMBER(E{r}),E{r},$B$4+F{r}*$B$3)")   # promoted interest: GP own + promote x LP own
            ws.cell(r, 9, f"=1-H{r}")
    _name(wb, "Tiers", "Inputs!$A$10:$F$13")
    ws["A15"] = "Date"
    ws["A16"] = "Project cash flow (negative = capital call)"
    for k, (d, v) in enumerate(zip(RE_DATES, RE_FLOWS)):
        c = ws.cell(15, 2 + k, d)
        c.number_format = "yyyy-mm-dd"
        c.fill = INPUT
        ws.cell(16, 2 + k, v).fill = INPUT
        ws.cell(16, 2 + k).number_format = MONEY
    _name(wb, "Dates", "Inputs!$B$15:$G$15")
    _name(wb, "CashFlows", "Inputs!$B$16:$G$16")
    ws.column_dimensions["A"].width = 48

    w = wb.create_sheet("Waterfall")
    w["A1"] = "Distribution waterfall by period"
    w["A1"].font = TITLE
    n = len(RE_FLOWS)
    first, last = 2, 1 + n
    L = col(last)
    rows = {2: "Date", 3: "Years since previous date", 4: "Project cash flow", 5: "Contributions",
            6: "Distributable cash", 7: "LP contribution", 8: "GP contribution",
            10: "Tier 1 hurdle balance, start (accrued)", 11: "  + LP contributions", 12: "Tier 1 distribution",
            13: "  to LP", 14: "  to GP", 15: "Tier 1 hurdle balance, end", 16: "Cash after tier 1",
            18: "Tier 2 hurdle balance, start (accrued)", 19: "  + LP contributions - LP tier 1 receipts",
            20: "Tier 2 distribution", 21: "  to LP", 22: "  to GP", 23: "Tier 2 hurdle balance, end",
            24: "Cash after tier 2", 26: "Tier 3 (residual) distribution", 27: "  to LP", 28: "  to GP",
            30: "LP distributions", 31: "GP distributions", 32: "LP net cash flow", 33: "GP net cash flow",
            34: "Check: LP + GP - distributable", 35: "Years from start", 36: "LP cumulative", 37: "GP cumulative",
            38: "Project cumulative", 39: "LP payback point", 40: "GP payback point", 41: "Project payback point"}
    for r, lab in rows.items():
        w.cell(r, 1, lab)
    w.cell(1, last + 1, "Total").font = HEAD
    for c in range(first, last + 1):
        C = col(c)
        P = col(c - 1)
        k = c - first
        isfirst = c == first
        w[f"{C}2"] = f"=Inputs!{col(2 + k)}15"
        w[f"{C}2"].number_format = "yyyy-mm-dd"
        w[f"{C}3"] = "=0" if isfirst else f'=IF(Inputs!$B$5="daily",({C}2-{P}2)/365,1/Inputs!$B$6)'
        w[f"{C}4"] = f"=Inputs!{col(2 + k)}16"
        w[f"{C}5"] = f"=MAX(-{C}4,0)"
        w[f"{C}6"] = f"=MAX({C}4,0)"
        w[f"{C}7"] = f"={C}5*Inputs!$B$3"
        w[f"{C}8"] = f"={C}5*Inputs!$B$4"
        # tier 1
        w[f"{C}10"] = "=0" if isfirst else f"={P}15*(1+Inputs!$C$11)^{C}3"
        w[f"{C}11"] = f"={C}10+{C}7"
        w[f"{C}12"] = f"=MIN({C}6,{C}11/Inputs!$I$11)"
        w[f"{C}13"] = f"={C}12*Inputs!$I$11"
        w[f"{C}14"] = f"={C}12*Inputs!$H$11"
        w[f"{C}15"] = f"=MAX(0,{C}11-{C}13)"
        w[f"{C}16"] = f"={C}6-{C}12"
        # tier 2
        w[f"{C}18"] = "=0" if isfirst else f"={P}23*(1+Inputs!$C$12)^{C}3"
        w[f"{C}19"] = f"=MAX(0,{C}18+{C}7-{C}13)"
        w[f"{C}20"] = f"=MIN({C}16,{C}19/Inputs!$I$12)"
        w[f"{C}21"] = f"={C}20*Inputs!$I$12"
        w[f"{C}22"] = f"={C}20*Inputs!$H$12"
        w[f"{C}23"] = f"=MAX(0,{C}19-{C}21)"
        w[f"{C}24"] = f"={C}16-{C}20"
        # tier 3
        w[f"{C}26"] = f"={C}24"
        w[f"{C}27"] = f"={C}26*Inputs!$I$13"
        w[f"{C}28"] = f"={C}26*Inputs!$H$13"
        w[f"{C}30"] = f"={C}13+{C}21+{C}27"
        w[f"{C}31"] = f"={C}14+{C}22+{C}28"
        w[f"{C}32"] = f"={C}30-{C}7"
        w[f"{C}33"] = f"={C}31-{C}8"
        w[f"{C}34"] = f"={C}30+{C}31-{C}6"
        w[f"{C}35"] = f"={C}3" if isfirst else f"={P}35+{C}3"
        for r, src in ((36, 32), (37, 33), (38, 4)):
            w[f"{C}{r}"] = f"={C}{src}" if isfirst else f"={P}{r}+{C}{src}"
        for r, cum, src in ((39, 36, 32), (40, 37, 33), (41, 38, 4)):
            w[f"{C}{r}"] = '=""' if isfirst else \
                f'=IF(AND({P}{cum}<0,{C}{cum}>=0),{P}35+(-{P}{cum}/{C}{src})*({C}35-{P}35),"")'
        for r in list(range(4, 35)):
            if w[f"{C}{r}"].value is not None:
                w[f"{C}{r}"].number_format = MONEY
    T = col(last + 1)
    for r in (4, 5, 6, 7, 8, 12, 13, 14, 20, 21, 22, 26, 27, 28, 30, 31, 32, 33, 34):
        w[f"{T}{r}"] = f"=SUM({col(first)}{r}:{L}{r})"
        w[f"{T}{r}"].number_format = MONEY
    m = 44
    w[f"A{m}"] = "Metrics"
    w[f"A{m}"].font = HEAD
    for j, lab in enumerate(("LP", "GP", "Project")):
        w.cell(m, 2 + j, lab).font = HEAD
    F, R = col(first), col(first + 1)
    flows = {"LP": 32, "GP": 33, "Project": 4}
    contrib = {"LP": 7, "GP": 8, "Project": 5}
    dist = {"LP": 30, "GP": 31, "Project": 6}
    pay = {"LP": 39, "GP": 40, "Project": 41}
    metric_rows = [("IRR (periodic)", lambda p: f"=IRR({F}{flows[p]}:{L}{flows[p]})"),
                   ("XIRR (dates)", lambda p: f"=XIRR({F}{flows[p]}:{L}{flows[p]},{F}2:{L}2)"),
                   ("NPV (periodic)", lambda p: f"=NPV(Inputs!$B$7,{R}{flows[p]}:{L}{flows[p]})+{F}{flows[p]}"),
                   ("XNPV (dates)", lambda p: f"=XNPV(Inputs!$B$7,{F}{flows[p]}:{L}{flows[p]},{F}2:{L}2)"),
                   ("Equity multiple", lambda p: f"=SUM({F}{dist[p]}:{L}{dist[p]})/SUM({F}{contrib[p]}:{L}{contrib[p]})"),
                   ("Payback (years)", lambda p: f"=MIN({F}{pay[p]}:{L}{pay[p]})"),
                   ("Year-1 cash-on-cash", lambda p: f"={R}{dist[p]}/SUM({F}{contrib[p]}:{R}{contrib[p]})")]
    for i, (lab, fn) in enumerate(metric_rows, start=1):
        w.cell(m + i, 1, lab)
        for j, p in enumerate(("LP", "GP", "Project")):
            c = w.cell(m + i, 2 + j, fn(p))
            c.fill = OUTPUT
            c.number_format = PCT if "IRR" in lab or "cash" in lab else ("0.0000" if "multiple" in lab or "Payback" in lab
                                                                          else MONEY)
    w.column_dimensions["A"].width = 44
    for c in range(first, last + 2):
        w.column_dimensions[col(c)].width = 14

    _re_examples(wb.create_sheet("Examples"))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _re_examples(ws) -> None:
    ws["A1"] = "Reference examples (finance reference §3.2), closed form"
    ws["A1"].font = TITLE
    # RE-1
    ws["A3"] = "RE-1: pref, 100% catch-up, 80/20 (published: LP profit 360,000, GP 90,000)"
    ws["A3"].font = HEAD
    items = [("LP capital", 1_000_000), ("Profit after 1 year", 450_000), ("Preferred return", 0.08),
             ("Carry (GP share after catch-up)", 0.20), ("Catch-up rate (GP share of cash)", 1.0)]
    for i, (lab, v) in enumerate(items, start=4):
        ws.cell(i, 1, lab)
        ws.cell(i, 2, v).fill = INPUT
    f = [("Distributable cash", "=B4+B5"), ("Return of capital", "=MIN(B9,B4)"),
         ("Preferred return", "=MIN(B9-B10,B4*B6)"),
         ("Catch-up (tier total)", "=MIN(B9-B10-B11,B11*B7/(B8-B7))"),
         ("Residual", "=B9-B10-B11-B12"), ("LP profit", "=B11+B12*(1-B8)+B13*(1-B7)"),
         ("GP profit", "=B12*B8+B13*B7")]
    for i, (lab, fm) in enumerate(f, start=9):
        ws.cell(i, 1, lab)
        c = ws.cell(i, 2, fm)
        c.number_format = MONEY
        if lab.endswith("profit"):
            c.fill = OUTPUT
    # RE-3
    ws["A18"] = "RE-3: two deals, LP capital only, 8% compounding pref, full catch-up, 20% carry (American vs European)"
    ws["A18"].font = HEAD
    for j, lab in enumerate(("Deal A", "Deal B", "Fund (European)"), start=2):
        ws.cell(19, j, lab).font = HEAD
    ws["A20"], ws["A21"], ws["A22"], ws["A23"] = "Capital at t0", "Distribution at year 2", "Pref rate", "Carry"
    _inputs(ws, {"B20": 100, "C20": 100, "B21": 60, "C21": 200, "B22": 0.08, "B23": 0.20})
    ws["D20"], ws["D21"] = "=B20+C20", "=B21+C21"
    lines = [("Return of capital", "=MIN({c}21,{c}20)"),
             ("Preferred return", "=MIN({c}21-{c}24,{c}20*((1+$B$22)^2-1))"),
             ("Catch-up", "=MIN({c}21-{c}24-{c}25,{c}25*$B$23/(1-$B$23))"),
             ("Residual", "=MAX({c}21-{c}24-{c}25-{c}26,0)"),
             ("GP", "={c}26+{c}27*$B$23"), ("LP", "={c}21-{c}28")]
    for i, (lab, fm) in enumerate(lines, start=24):
        ws.cell(i, 1, lab)
        for c in ("B", "C", "D"):
            ws[f"{c}{i}"] = fm.format(c=c)
    ws["A31"], ws["B31"] = "American GP carry (deal by deal)", "=B28+C28"
    ws["A32"], ws["B32"] = "European GP carry (whole fund)", "=D28"
    ws["A33"], ws["B33"] = "Clawback owed by the GP", "=MAX(0,B31-B32)"
    ws["A34"], ws["B34"] = "American LP", "=B29+C29"
    for r in (31, 32, 33, 34):
        ws[f"B{r}"].fill = OUTPUT
    # RE-4
    ws["A37"] = "RE-4: 90/10 co-investment, 60/40 straight split after the pref (published: GP 400,000)"
    ws["A37"].font = HEAD
    ws["A38"], ws["A39"], ws["A40"] = "LP share of capital", "LP split after the pref", "Distribution"
    _inputs(ws, {"B38": 0.9, "B39": 0.6, "B40": 1_000_000})
    ws["A41"], ws["B41"] = "Promote input (1 - LP split / LP share)", "=1-B39/B38"
    ws["A42"], ws["B42"] = "GP share (GP own + promote x LP own)", "=(1-B38)+B41*B38"
    ws["A43"], ws["B43"] = "GP receives", "=B40*B42"
    ws["B43"].fill = OUTPUT
    ws.column_dimensions["A"].width = 46


# --- film waterfall ----------------------------------------------------------------------------

FILM_TABLE = [["Tier", "Payee", "Rule", "Rate", "Amount", "Cap", "Term", "Fee", "Premium", "Group"],
              ["CAM fee", "CAM", "FEE_GROSS", 0.01, None, 50_000, None, None, None, None],
              ["Sales agent commission", "Sales agent", "FEE", 0.15, None, None, None, None, None, None],
              ["Sales agent expenses", "Sales agent", "EXPENSE", None, 350_000, 300_000, None, None, None, None],
              ["Guild residuals", "Guilds", "PAYMENT", None, 200_000, None, None, None, None, None],
              ["Senior loan", "Senior lender", "LOAN", 0.08, 3_000_000, None, 1.5, 0.02, None, None],
              ["Gap loan", "Gap lender", "LOAN", 0.12, 1_500_000, None, 1.5, 0.05, None, None],
              ["Equity recoupment", "Equity", "EQUITY", None, 3_500_000, None, None, None, 0.20, None],
              ["Producer deferment", "Producer", "DEFERMENT", None, 250_000, None, None, None, None, "Deferments"],
              ["Talent deferment", "Talent", "DEFERMENT", None, 150_000, None, None, None, None, "Deferments"],
              ["Net profits", "Equity", "SPLIT", 0.5, None, None, None, None, None, None],
              ["Net profits", "Producers' pool", "SPLIT", 0.5, None, None, None, None, None, None]]
FILM_PROFILE = [0.0, 0.40, 0.30, 0.15, 0.10, 0.05]
FILM_DATES = [dt.date(2025, 1, 1), dt.date(2026, 6, 30), dt.date(2027, 6, 30), dt.date(2028, 6, 30),
              dt.date(2029, 6, 30), dt.date(2030, 6, 30)]


def build_film_waterfall(path: Path) -> Path:
    """The FILM-1 collection-account waterfall, receipts over five years,
    tier by tier with cumulative caps, and each financier's XIRR."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws["A1"] = "GridFlow template: film revenue waterfall (collection account)"
    ws["A1"].font = TITLE
    ws["A2"] = ('Tier table as GridFlow reads it: =GF.FILMWATERFALL(FilmTiers,Receipts,ReceiptDates) runs it; '
                "the Waterfall sheet computes it with plain formulas.")
    for i, row in enumerate(FILM_TABLE):
        for j, v in enumerate(row):
            c = ws.cell(3 + i, 1 + j, v)
            if i == 0:
                c.font = HEAD
            elif j >= 3 and v is not None:
                c.fill = INPUT
    _name(wb, "FilmTiers", "Inputs!$A$3:$J$14")
    ws["A17"] = "Total gross receipts"
    _inputs(ws, {"B17": 16_000_000})
    ws["B17"].number_format = MONEY
    ws["A18"], ws["A19"], ws["A20"] = "Date", "Share of receipts", "Gross receipts"
    for k, (d, s) in enumerate(zip(FILM_DATES, FILM_PROFILE)):
        c = ws.cell(18, 2 + k, d)
        c.number_format = "yyyy-mm-dd"
        c.fill = INPUT
        ws.cell(19, 2 + k, s).fill = INPUT
        ws.cell(20, 2 + k, f"=$B$17*{col(2 + k)}19").number_format = MONEY
    _name(wb, "ReceiptDates", "Inputs!$B$18:$G$18")
    _name(wb, "Receipts", "Inputs!$B$20:$G$20")
    ws.column_dimensions["A"].width = 26

    w = wb.create_sheet("Waterfall")
    w["A1"] = "Collection account waterfall by period (cumulative targets: later receipts pay whoever is still owed)"
    w["A1"].font = TITLE
    n = len(FILM_PROFILE)
    first, last = 3, 2 + n
    F, L = col(first), col(last)
    T = col(last + 1)
    w.cell(2, 2, "Target").font = HEAD
    w.cell(2, last + 1, "Total").font = HEAD
    w["A3"], w["A4"], w["A5"] = "Date", "Gross receipts", "Cumulative gross"
    row = 7
    avail = 4            # row holding the cash available to the next tier
    pay_rows: list[tuple[str, str, int]] = []

    def cum(r: int, c: int) -> str:
        """Cumulative of row r through the previous column."""
        return "0" if c == first else f"SUM(${F}{r}:{col(c - 1)}{r})"

    for c in range(first, last + 1):
        C = col(c)
        w[f"{C}3"] = f"=Inputs!{col(c - 1)}18"
        w[f"{C}3"].number_format = "yyyy-mm-dd"
        w[f"{C}4"] = f"=Inputs!{col(c - 1)}20"
        w[f"{C}5"] = f"={C}4" if c == first else f"={col(c - 1)}5+{C}4"

    def block(label: str, payee: str, target_fn, basis: bool = False) -> None:
        nonlocal row, avail
        r0 = row
        w.cell(r0, 1, label).font = HEAD
        w.cell(r0 + 1, 1, f"  paid to {payee}")
        w.cell(r0 + 2, 1, "  cash after")
        if basis:
            w.cell(r0 + 3, 1, "  cumulative basis (cash reaching the tier)")
        for c in range(first, last + 1):
            C = col(c)
            if basis:
                w[f"{C}{r0 + 3}"] = f"={C}{avail}" if c == first else f"={col(c - 1)}{r0 + 3}+{C}{avail}"
            tgt = target_fn(C, r0)
            w[f"{C}{r0}"] = f"={tgt}"
            w[f"{C}{r0 + 1}"] = f"=MAX(0,MIN({C}{avail},{C}{r0}-{cum(r0 + 1, c)}))"
            w[f"{C}{r0 + 2}"] = f"={C}{avail}-{C}{r0 + 1}"
            for rr in range(r0, r0 + 4):
                w[f"{C}{rr}"].number_format = MONEY
        pay_rows.append((label, payee, r0 + 1))
        avail = r0 + 2
        row = r0 + (5 if basis else 4)

    P = "Inputs!"
    block("CAM fee (1% of gross, capped): cumulative target", "CAM",
          lambda C, r0: f"MIN({P}$D$4*{C}5,{P}$F$4)")
    block("Sales agent commission (15% of receipts net of CAM fee): cumulative target", "Sales agent",
          lambda C, r0: f"{P}$D$5*{C}{r0 + 3}", basis=True)
    block("Sales agent expenses (capped)", "Sales agent", lambda C, r0: f"MIN({P}$E$6,{P}$F$6)")
    block("Guild residuals", "Guilds", lambda C, r0: f"{P}$E$7")
    block("Senior loan: principal + flat interest + fee", "Senior lender",
          lambda C, r0: f"{P}$E$8*(1+{P}$D$8*{P}$G$8+{P}$H$8)")
    block("Gap loan: principal + flat interest + fee", "Gap lender",
          lambda C, r0: f"{P}$E$9*(1+{P}$D$9*{P}$G$9+{P}$H$9)")
    block("Equity recoupment: 100% + premium", "Equity", lambda C, r0: f"{P}$E$10*(1+{P}$I$10)")
    # deferments, pari passu
    r0 = row
    w.cell(r0, 1, "Deferments (pari passu): producer still owed").font = HEAD
    w.cell(r0 + 1, 1, "  talent still owed")
    w.cell(r0 + 2, 1, "  paid to Producer")
    w.cell(r0 + 3, 1, "  paid to Talent")
    w.cell(r0 + 4, 1, "  cash after")
    for c in range(first, last + 1):
        C = col(c)
        w[f"{C}{r0}"] = f"={P}$E$11-{cum(r0 + 2, c)}"
        w[f"{C}{r0 + 1}"] = f"={P}$E$12-{cum(r0 + 3, c)}"
        w[f"{C}{r0 + 2}"] = (f"=IF({C}{r0}+{C}{r0 + 1}>0,MIN({C}{avail},{C}{r0}+{C}{r0 + 1})*{C}{r0}/"
                             f"({C}{r0}+{C}{r0 + 1}),0)")
        w[f"{C}{r0 + 3}"] = (f"=IF({C}{r0}+{C}{r0 + 1}>0,MIN({C}{avail},{C}{r0}+{C}{r0 + 1})*{C}{r0 + 1}/"
                             f"({C}{r0}+{C}{r0 + 1}),0)")
        w[f"{C}{r0 + 4}"] = f"={C}{avail}-{C}{r0 + 2}-{C}{r0 + 3}"
        for rr in range(r0, r0 + 5):
            w[f"{C}{rr}"].number_format = MONEY
    pay_rows += [("Deferments", "Producer", r0 + 2), ("Deferments", "Talent", r0 + 3)]
    avail = r0 + 4
    row = r0 + 6
    r0 = row
    w.cell(r0, 1, "Net profits to investors (Equity)").font = HEAD
    w.cell(r0 + 1, 1, "Net profits to the producers' pool")
    w.cell(r0 + 2, 1, "  cash after")
    for c in range(first, last + 1):
        C = col(c)
        w[f"{C}{r0}"] = f"={C}{avail}*{P}$D$13"
        w[f"{C}{r0 + 1}"] = f"={C}{avail}*{P}$D$14"
        w[f"{C}{r0 + 2}"] = f"={C}{avail}-{C}{r0}-{C}{r0 + 1}"
        for rr in range(r0, r0 + 3):
            w[f"{C}{rr}"].number_format = MONEY
    pay_rows += [("Net profits", "Equity", r0), ("Net profits", "Producers' pool", r0 + 1)]
    row = r0 + 4
    for _lab, _p, r in pay_rows:
        w[f"{T}{r}"] = f"=SUM({F}{r}:{L}{r})"
        w[f"{T}{r}"].number_format = MONEY
        w[f"{T}{r}"].fill = OUTPUT
    w[f"{T}4"] = f"=SUM({F}4:{L}4)"
    # summary table
    s = row + 1
    w.cell(s, 1, "Tier").font = HEAD
    w.cell(s, 2, "Payee").font = HEAD
    w.cell(s, 3, "Amount").font = HEAD
    for i, (lab, payee, r) in enumerate(pay_rows, start=1):
        w.cell(s + i, 1, lab.split(":")[0].split(" (")[0])
        w.cell(s + i, 2, payee)
        c = w.cell(s + i, 3, f"={T}{r}")
        c.number_format = MONEY
    tot = s + len(pay_rows) + 1
    w.cell(tot, 1, "Total (equals gross receipts)").font = HEAD
    w.cell(tot, 3, f"=SUM(C{s + 1}:C{tot - 1})").number_format = MONEY
    w.cell(tot + 1, 1, "Check: total - gross")
    w.cell(tot + 1, 3, f"=C{tot}-{T}4")
    # stakeholders' cash flows and metrics
    k = tot + 3
    w.cell(k, 1, "Stakeholder cash flows").font = HEAD
    payrow = {p: [r for _l, pp, r in pay_rows if pp == p] for p in ("Senior lender", "Gap lender", "Equity")}
    invest = {"Senior lender": f"{P}$E$8", "Gap lender": f"{P}$E$9", "Equity": f"{P}$E$10"}
    flow_row = {}
    for i, p in enumerate(("Senior lender", "Gap lender", "Equity")):
        r = k + 1 + i
        w.cell(r, 1, p)
        flow_row[p] = r
        for c in range(first, last + 1):
            C = col(c)
            parts = "+".join(f"{C}{x}" for x in payrow[p])
            w[f"{C}{r}"] = f"={parts}-{invest[p]}" if c == first else f"={parts}"
            w[f"{C}{r}"].number_format = MONEY
    mrow = k + 5
    for j, lab in enumerate(("XIRR", "Multiple", "Recouped"), start=2):
        w.cell(mrow, j, lab).font = HEAD
    for i, p in enumerate(("Senior lender", "Gap lender", "Equity")):
        r = mrow + 1 + i
        fr = flow_row[p]
        w.cell(r, 1, p)
        w.cell(r, 2, f"=XIRR({F}{fr}:{L}{fr},{F}3:{L}3)").number_format = PCT
        w.cell(r, 3, f"=(SUM({F}{fr}:{L}{fr})+{invest[p]})/{invest[p]}").number_format = "0.0000"
        w.cell(r, 4, f"=SUM({F}{fr}:{L}{fr})+{invest[p]}>={invest[p]}")
        for j in (2, 3, 4):
            w.cell(r, j).fill = OUTPUT
    w.column_dimensions["A"].width = 58
    for c in range(2, last + 2):
        w.column_dimensions[col(c)].width = 13
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --- film incentives -------------------------------------------------------------------------

def build_film_incentives(path: Path) -> Path:
    """Film tax incentives: the policy records in force, and calculators for
    the reference examples (gross credit, tax, monetization, present value,
    effective rate), with the Quebec + federal stacking rule."""
    from engine.finance.incentives import DATA_DIR, PolicyStore
    wb = Workbook()
    ws = wb.active
    ws.title = "Policies"
    ws["A1"] = "GridFlow template: film tax incentives (dated policy records in force on the date below)"
    ws["A1"].font = TITLE
    as_of = dt.date(2025, 1, 1)
    ws["A2"] = "Records as of"
    ws["B2"] = as_of
    ws["B2"].number_format = "yyyy-mm-dd"
    ws["C2"] = ("Source: engine/finance/data/incentives/*.json (add your own records there or via "
                "$GRIDFLOW_INCENTIVES). In GridFlow: =GF.INCENTIVE(program, spend, [labour], [budget], ...).")
    head = ["Program", "Jurisdiction", "Name", "Rate 1", "Rate 2", "Effective from", "Refundable", "Transferable",
            "Taxable", "Timing (months)", "Source"]
    for j, h in enumerate(head, start=1):
        ws.cell(4, j, h).font = HEAD
    store = PolicyStore().load(DATA_DIR)     # the built-in records only: the build is reproducible
    r = 5
    for prog in store.programs():
        rec = store.in_force(prog, as_of)
        if rec is None:
            continue
        rates = [c["rate"] for c in rec["components"]]
        vals = [prog, rec["jurisdiction"], rec["name"], rates[0], rates[1] if len(rates) > 1 else 0.0,
                rec["_from"], bool(rec["refundable"]), bool(rec["transferable"]), bool(rec["taxable"]),
                rec.get("timing_months", 12), rec["source_url"]]
        for j, v in enumerate(vals, start=1):
            c = ws.cell(r, j, v)
            if j == 6:
                c.number_format = "yyyy-mm-dd"
        r += 1
    last_policy = r - 1
    _name(wb, "Policies", f"Policies!$A$5:$K${last_policy}")
    ws.column_dimensions["C"].width = 58

    c = wb.create_sheet("Calculator")
    c["A1"] = "Credits of the reference examples (finance reference §4)"
    c["A1"].font = TITLE
    c["A2"], c["A3"], c["A4"], c["A5"] = ("Discount rate", "Tax-credit loan advance rate", "Loan interest (annual)",
                                          "Loan fee")
    _inputs(c, {"B2": 0.08, "B3": 0.85, "B4": 0.09, "B5": 0.015})
    head = ["Example", "Program", "Rate", "Spend base", "Limit %", "Limit of", "Limit amount", "Qualifying",
            "Gross credit", "Tax rate", "After tax", "Months to cash", "Advance", "Loan cost", "Net benefit",
            "PV of net", "Effective rate (gross / spend)"]
    for j, h in enumerate(head, start=1):
        c.cell(7, j, h).font = HEAD
    examples = [
        ("IE-1 budget 10M, Irish spend 4M", "ie_s481", 4e6, 0.8, 10e6, 125e6, 0.0),
        ("IE-2 budget 1M, Irish spend 1M", "ie_s481", 1e6, 0.8, 1e6, 125e6, 0.0),
        ("IE-3 budget 150M, Irish spend 80M (EUR 125m cap)", "ie_s481", 80e6, 0.8, 150e6, 125e6, 0.0),
        ("CPTC-1 cost 10M, labour 8M", "ca_cptc", 8e6, 0.6, 10e6, 1e15, 0.0),
        ("UK-1 film: total core 10M, UK core 9M", "uk_avec", 9e6, 0.8, 10e6, 1e15, 0.25),
        ("France TRIP: eligible 20M, budget 30M, VFX > 2M (40%)", "fr_trip", 20e6, 0.8, 30e6, 1e15, 0.0),
        ("Georgia: 10M qualified spend, with logo (20% + 10%)", "us_ga", 10e6, 1.0, 10e6, 1e15, 0.0),
        ("New Mexico: 10M resident spend (25% base)", "us_nm", 10e6, 1.0, 10e6, 1e15, 0.0),
        ("Ontario OPSTC: 8M Ontario spend", "on_opstc", 8e6, 1.0, 10e6, 1e15, 0.0),
        ("Australia Location Offset: 20M QAPE", "au_location_offset", 20e6, 1.0, 25e6, 1e15, 0.0),
    ]
    rate_override = {"uk_avec": None, "fr_trip": 0.40, "us_ga": 0.30}
    for i, (lab, prog, base, pct, of, amount, tax) in enumerate(examples, start=8):
        c.cell(i, 1, lab)
        c.cell(i, 2, prog)
        if prog in rate_override and rate_override[prog] is not None:
            c.cell(i, 3, rate_override[prog]).fill = INPUT
        else:
            c.cell(i, 3, f"=VLOOKUP(B{i},Policies,4,FALSE)")
        for j, v in ((4, base), (5, pct), (6, of), (7, amount), (10, tax)):
            c.cell(i, j, v).fill = INPUT
        c.cell(i, 8, f"=MIN(D{i},E{i}*F{i},G{i})")
        c.cell(i, 9, f"=C{i}*H{i}")
        c.cell(i, 11, f"=I{i}*(1-J{i})")
        c.cell(i, 12, f"=VLOOKUP(B{i},Policies,10,FALSE)")
        c.cell(i, 13, f"=IF(VLOOKUP(B{i},Policies,7,FALSE),$B$3*K{i},0)")
        c.cell(i, 14, f"=M{i}*($B$4*L{i}/12+$B$5)")
        c.cell(i, 15, f"=K{i}-N{i}")
        c.cell(i, 16, f"=M{i}+(K{i}-M{i}-N{i})/(1+$B$2)^(L{i}/12)")
        c.cell(i, 17, f"=I{i}/D{i}")
        for j in (9, 15, 16):
            c.cell(i, j).fill = OUTPUT
        for j in (4, 6, 7, 8, 9, 11, 13, 14, 15, 16):
            c.cell(i, j).number_format = MONEY
        for j in (3, 5, 10, 17):
            c.cell(i, j).number_format = PCT
    q = 8 + len(examples) + 2
    c.cell(q, 1, "QC-1: Quebec PSTC (2024+ rules) stacked with the federal PSTC on the net-of-assistance base").font = HEAD
    items = [("Quebec spend (labour + goods/services)", 10e6), ("Quebec labour", 6e6),
             ("of which computer-aided VFX/animation labour (CASEA)", 2e6),
             ("Quebec PSTC base rate", "=VLOOKUP(\"qc_pstc\",Policies,4,FALSE)"),
             ("CASEA bonus rate", "=VLOOKUP(\"qc_pstc\",Policies,5,FALSE)"),
             ("Federal PSTC rate", "=VLOOKUP(\"ca_pstc\",Policies,4,FALSE)")]
    for i, (lab, v) in enumerate(items, start=q + 1):
        c.cell(i, 1, lab)
        cell = c.cell(i, 2, v)
        if not isinstance(v, str):
            cell.fill = INPUT
    b = q + 1
    rows = [("Quebec PSTC", f"=B{b}*B{b + 3}+B{b + 2}*B{b + 4}"),
            ("  of which attributable to labour (assistance)", f"=B{b + 1}*B{b + 3}+B{b + 2}*B{b + 4}"),
            ("Federal PSTC base: labour net of assistance", f"=B{b + 1}-B{b + 7}"),
            ("Federal PSTC", f"=B{b + 5}*B{b + 8}"),
            ("Total credits", f"=B{b + 6}+B{b + 9}"),
            ("Share of Quebec spend", f"=B{b + 10}/B{b}")]
    for i, (lab, fm) in enumerate(rows, start=b + 6):
        c.cell(i, 1, lab)
        cell = c.cell(i, 2, fm)
        cell.number_format = PCT if "Share" in lab else MONEY
        cell.fill = OUTPUT
    u = b + 13
    c.cell(u, 1, "UK-1 net of corporation tax (the AVEC is taxable)").font = HEAD
    uk = 8 + 4
    c.cell(u + 1, 1, "Film: gross 34%")
    c.cell(u + 1, 2, f"=I{uk}")
    c.cell(u + 2, 1, "Film: net at 25% corporation tax")
    c.cell(u + 2, 2, f"=K{uk}")
    c.cell(u + 3, 1, "Animation: gross 39%")
    c.cell(u + 3, 2, f"=VLOOKUP(\"uk_avec\",Policies,5,FALSE)*H{uk}")
    c.cell(u + 4, 1, "Animation: net at 25% corporation tax")
    c.cell(u + 4, 2, f"=B{u + 3}*(1-J{uk})")
    for i in range(u + 1, u + 5):
        c.cell(i, 2).number_format = MONEY
        c.cell(i, 2).fill = OUTPUT
    c.column_dimensions["A"].width = 58
    for j in range(2, 18):
        c.column_dimensions[col(j)].width = 14
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --- capital stacks -------------------------------------------------------------------------------

def build_film_capital_stack(path: Path, n: int = 20_000, seed: int = 1) -> Path:
    """The five capital-stack templates for a 10M film: sources, costs, a
    base-case waterfall per stack, Monte Carlo criteria (computed by
    engine.finance with a fixed seed), weighted scores per perspective,
    ranks and the Pareto set of equity IRR vs probability of recoupment."""
    from engine.finance import capital_stack as CS
    from engine.finance.scenarios import RevenueModel
    budget = 10_000_000.0
    incentive_avail = 2_385_764.0   # QC PSTC + federal PSTC on 8M Quebec spend, net of monetization
    revenue = RevenueModel("LOGNORMAL", (14_000_000.0, 8_000_000.0))
    proj = CS.FilmProject(budget, revenue, incentive_amount=incentive_avail)
    evals = CS.evaluate_templates(proj, n=n, seed=seed)

    wb = Workbook()
    ws = wb.active
    ws.title = "Stacks"
    ws["A1"] = "GridFlow template: film capital-stack scenarios (five templates)"
    ws["A1"].font = TITLE
    ws["A2"] = ("Monte Carlo criteria (rows 40-45) come from engine.finance.capital_stack.evaluate_templates "
                f"({n:,} lognormal revenue scenarios, mean 14M, sd 8M, seed {seed}); everything else is formulas. "
                "Run again: gridflow waterfall stacks --budget 10000000 -n 20000.")
    params = [("Budget", budget), ("Incentive financing available (net)", incentive_avail),
              ("Base-case gross revenue", 14_000_000.0), ("Term of the loans (years)", proj.term_years),
              ("CAM fee", proj.cam_fee), ("CAM fee cap", proj.cam_cap), ("Sales agent commission", proj.sales_fee),
              ("Sales agent expenses", proj.sales_expenses), ("Expense cap", proj.sales_expense_cap),
              ("Investors' share of net profits", proj.investor_backend), ("Cost of equity", proj.cost_of_equity),
              ("Cost of pre-sales", proj.presale_cost), ("Cost of incentive financing", proj.incentive_cost)]
    for i, (lab, v) in enumerate(params, start=3):
        ws.cell(i, 1, lab)
        ws.cell(i, 2, v).fill = INPUT
    names = list(CS.TEMPLATES)
    cols = {nm: 3 + j for j, nm in enumerate(names)}
    hdr = 17
    ws.cell(hdr, 1, "Template").font = HEAD
    for nm, j in cols.items():
        ws.cell(hdr, j, nm).font = HEAD
    share_rows = {}
    for i, src in enumerate(CS.SOURCES, start=hdr + 1):
        ws.cell(i, 1, f"Target share: {src}")
        share_rows[src] = i
        for nm, j in cols.items():
            ws.cell(i, j, getattr(CS.TEMPLATES[nm], src)).fill = INPUT
    term_rows = {}
    terms = ["senior_rate", "senior_fee", "mezz_rate", "mezz_fee", "gap_rate", "gap_fee", "equity_premium"]
    for i, t in enumerate(terms, start=hdr + 7):
        ws.cell(i, 1, t.replace("_", " "))
        term_rows[t] = i
        for nm, j in cols.items():
            ws.cell(i, j, getattr(CS.TEMPLATES[nm], t)).fill = INPUT
    a = hdr + 15   # amounts
    ws.cell(a - 1, 1, "Amounts (incentives capped at what is available; shortfall to equity)").font = HEAD
    amt_rows = {}
    order = ["senior", "mezz", "gap", "presales", "incentives", "equity"]
    for i, src in enumerate(order):
        amt_rows[src] = a + i
    for nm, j in cols.items():
        C = col(j)
        for src in ("senior", "mezz", "gap", "presales"):
            ws[f"{C}{amt_rows[src]}"] = f"={C}{share_rows[src]}*$B$3"
        ws[f"{C}{amt_rows['incentives']}"] = f"=MIN({C}{share_rows['incentives']}*$B$3,$B$4)"
        ws[f"{C}{amt_rows['equity']}"] = (f"={C}{share_rows['equity']}*$B$3+{C}{share_rows['incentives']}*$B$3"
                                          f"-{C}{amt_rows['incentives']}")
        for src in order:
            ws[f"{C}{amt_rows[src]}"].number_format = MONEY
    for src in order:
        ws.cell(amt_rows[src], 1, f"Amount: {src}")
    # Monte Carlo criteria as values
    mc = a + 8
    ws.cell(mc - 1, 1, "Monte Carlo criteria (engine.finance, fixed seed)").font = HEAD
    mc_keys = ["equity_irr", "p_recoup", "equity_moic", "debt_risk", "producer_backend"]
    mc_rows = {}
    for i, key in enumerate(mc_keys):
        r = mc + i
        mc_rows[key] = r
        ws.cell(r, 1, key)
        for e in evals:
            v = e.criteria[key]
            ws.cell(r, cols[e.name], round(float(v), 10))
    # formula criteria
    fc = mc + len(mc_keys) + 1
    ws.cell(fc - 1, 1, "Criteria by formula").font = HEAD
    f_rows = {"wacc": fc, "soft_money": fc + 1, "debt_share": fc + 2}
    ws.cell(fc, 1, "wacc")
    ws.cell(fc + 1, 1, "soft_money")
    ws.cell(fc + 2, 1, "debt_share")
    for nm, j in cols.items():
        C = col(j)
        amt = {s: f"{C}{amt_rows[s]}" for s in order}
        tr = {t: f"{C}{term_rows[t]}" for t in terms}
        ws[f"{C}{fc}"] = (f"=({amt['senior']}*({tr['senior_rate']}+{tr['senior_fee']}/$B$6)"
                          f"+{amt['mezz']}*({tr['mezz_rate']}+{tr['mezz_fee']}/$B$6)"
                          f"+{amt['gap']}*({tr['gap_rate']}+{tr['gap_fee']}/$B$6)"
                          f"+{amt['equity']}*$B$13+{amt['presales']}*$B$14+{amt['incentives']}*$B$15)/$B$3")
        ws[f"{C}{fc + 1}"] = f"=({amt['presales']}+{amt['incentives']})/$B$3"
        ws[f"{C}{fc + 2}"] = f"=({amt['senior']}+{amt['mezz']}+{amt['gap']})/$B$3"
    # base-case waterfall
    bw = fc + 4
    ws.cell(bw, 1, "Base-case waterfall (gross revenue in B5)").font = HEAD
    steps = ["Receipts after pre-sales recoup", "CAM fee", "Sales agent commission", "Sales agent expenses",
             "Senior owed", "Senior paid", "Mezzanine owed", "Mezzanine paid", "Gap owed", "Gap paid",
             "Equity owed", "Equity paid", "Net profits", "Equity net profits", "Producers' net profits",
             "Equity multiple (base case)"]
    srow = {s: bw + 1 + i for i, s in enumerate(steps)}
    for s, r in srow.items():
        ws.cell(r, 1, s)
    for nm, j in cols.items():
        C = col(j)
        R = {s: f"{C}{r}" for s, r in srow.items()}
        amt = {s: f"{C}{amt_rows[s]}" for s in order}
        tr = {t: f"{C}{term_rows[t]}" for t in terms}
        avail = f"({R['Receipts after pre-sales recoup']}-{R['CAM fee']}-{R['Sales agent commission']}" \
                f"-{R['Sales agent expenses']})"
        ws[R["Receipts after pre-sales recoup"]] = f"=MAX($B$5-{amt['presales']},0)"
        ws[R["CAM fee"]] = f"=MIN($B$7*{R['Receipts after pre-sales recoup']},$B$8)"
        ws[R["Sales agent commission"]] = f"=$B$9*({R['Receipts after pre-sales recoup']}-{R['CAM fee']})"
        ws[R["Sales agent expenses"]] = (f"=MIN($B$10,$B$11,{R['Receipts after pre-sales recoup']}-{R['CAM fee']}"
                                         f"-{R['Sales agent commission']})")
        ws[R["Senior owed"]] = f"={amt['senior']}*(1+{tr['senior_rate']}*$B$6+{tr['senior_fee']})"
        ws[R["Senior paid"]] = f"=MIN({avail},{R['Senior owed']})"
        ws[R["Mezzanine owed"]] = f"={amt['mezz']}*(1+{tr['mezz_rate']}*$B$6+{tr['mezz_fee']})"
        ws[R["Mezzanine paid"]] = f"=MIN({avail}-{R['Senior paid']},{R['Mezzanine owed']})"
        ws[R["Gap owed"]] = f"={amt['gap']}*(1+{tr['gap_rate']}*$B$6+{tr['gap_fee']})"
        ws[R["Gap paid"]] = f"=MIN({avail}-{R['Senior paid']}-{R['Mezzanine paid']},{R['Gap owed']})"
        ws[R["Equity owed"]] = f"={amt['equity']}*(1+{tr['equity_premium']})"
        ws[R["Equity paid"]] = (f"=MIN({avail}-{R['Senior paid']}-{R['Mezzanine paid']}-{R['Gap paid']},"
                                f"{R['Equity owed']})")
        ws[R["Net profits"]] = (f"={avail}-{R['Senior paid']}-{R['Mezzanine paid']}-{R['Gap paid']}"
                                f"-{R['Equity paid']}")
        ws[R["Equity net profits"]] = f"={R['Net profits']}*$B$12"
        ws[R["Producers' net profits"]] = f"={R['Net profits']}-{R['Equity net profits']}"
        ws[R["Equity multiple (base case)"]] = f"=({R['Equity paid']}+{R['Equity net profits']})/{amt['equity']}"
        for s in steps[:-1]:
            ws[R[s]].number_format = MONEY
    # scores
    crit_row = dict(mc_rows, **f_rows)
    sc = bw + len(steps) + 3
    ws.cell(sc - 1, 1, "Normalised criteria (1 = best of the five; min-max)").font = HEAD
    norm_rows = {}
    first_c, last_c = col(min(cols.values())), col(max(cols.values()))
    for i, (key, sense) in enumerate(CS.CRITERIA.items()):
        r = sc + i
        norm_rows[key] = r
        ws.cell(r, 1, f"{key} ({sense})")
        src = crit_row[key]
        rng = f"${first_c}${src}:${last_c}${src}"
        for nm, j in cols.items():
            C = col(j)
            num = f"{C}{src}-MIN({rng})" if sense == "max" else f"MAX({rng})-{C}{src}"
            ws[f"{C}{r}"] = f"=IF(MAX({rng})-MIN({rng})>0,({num})/(MAX({rng})-MIN({rng})),1)"
    wt = sc + len(CS.CRITERIA) + 1
    ws.cell(wt - 1, 1, "Weights by perspective").font = HEAD
    persp = list(CS.PERSPECTIVES)
    for j, p in enumerate(persp, start=2):
        ws.cell(wt - 1, j, p).font = HEAD
    wrows = {}
    for i, key in enumerate(CS.CRITERIA):
        r = wt + i
        wrows[key] = r
        ws.cell(r, 1, key)
        for j, p in enumerate(persp, start=2):
            ws.cell(r, j, CS.weights_for(p).get(key, 0.0)).fill = INPUT
    so = wt + len(CS.CRITERIA) + 1
    ws.cell(so - 1, 1, "Scores and ranks").font = HEAD
    first_w, last_w = wt, wt + len(CS.CRITERIA) - 1
    first_n, last_n = sc, sc + len(CS.CRITERIA) - 1
    for i, p in enumerate(persp):
        r = so + 2 * i
        ws.cell(r, 1, f"score: {p}")
        ws.cell(r + 1, 1, f"rank: {p}")
        wcol = col(2 + i)
        for nm, j in cols.items():
            C = col(j)
            ws[f"{C}{r}"] = f"=SUMPRODUCT(${wcol}${first_w}:${wcol}${last_w},{C}${first_n}:{C}${last_n})"
            ws[f"{C}{r + 1}"] = f"=RANK({C}{r},${first_c}{r}:${last_c}{r},0)"
            ws[f"{C}{r}"].fill = OUTPUT
    pr = so + 2 * len(persp) + 1
    ws.cell(pr, 1, "On the Pareto front of equity IRR vs P(recoup)").font = HEAD
    xi, yi = mc_rows["equity_irr"], mc_rows["p_recoup"]
    X = f"${first_c}${xi}:${last_c}${xi}"
    Y = f"${first_c}${yi}:${last_c}${yi}"
    for nm, j in cols.items():
        C = col(j)
        ws[f"{C}{pr}"] = (f"=SUMPRODUCT(({X}>={C}{xi})*({Y}>={C}{yi})*((({X}>{C}{xi})+({Y}>{C}{yi}))>0))=0")
        ws[f"{C}{pr}"].fill = OUTPUT
    ws.column_dimensions["A"].width = 44
    for j in cols.values():
        ws.column_dimensions[col(j)].width = 18
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


FINANCE_TEMPLATES = {
    "re_waterfall.xlsx": build_re_waterfall,
    "film_waterfall.xlsx": build_film_waterfall,
    "film_incentives.xlsx": build_film_incentives,
    "film_capital_stack.xlsx": build_film_capital_stack,
}
