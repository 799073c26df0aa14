"""Excel number formats: the text a format code gives a value, as TEXT,
FIXED and DOLLAR produce it.

A format code has up to four sections ``positive;negative;zero;text``, each
made of digit placeholders (``0`` shows a digit or 0, ``#`` a significant
digit only, ``?`` a digit or a space), a decimal point, commas (thousands
separator between placeholders, scaling by 1000 after them), ``%``,
exponents ``E+00``, fractions ``# ?/?``, literal text (``"..."``, ``\\x``,
``_x`` a space), ``[Red]`` colours, ``[>100]`` conditions, ``[$€-407]``
currencies, date and time codes (``yyyy mm dd hh:mm:ss.00 AM/PM``) and
elapsed times ``[h]:mm``.

Numbers are shown from their 15 significant digits, as Excel keeps them, and
rounded half away from zero.  A format Excel would reject, or a date outside
the calendar, raises ``#VALUE!`` (what TEXT returns).
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from ..values import VALUE, XLError
from . import dates

__all__ = ["format_value", "format_number", "general", "dec15"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
# dates.weekday: 1 = Sunday .. 7 = Saturday
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

_COND_RE = re.compile(r"^\s*(<=|>=|<>|<|>|=)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$")
_ELAPSED_RE = re.compile(r"^(h+|m+|s+)$", re.IGNORECASE)


# --- digits ---------------------------------------------------------------------

def dec15(x: float) -> Decimal:
    """|x| rounded to the 15 significant digits Excel shows, as an exact Decimal."""
    return Decimal(f"{abs(x):.14e}")


def _quantize(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _plain(d: Decimal) -> str:
    """A non-negative Decimal in positional notation without trailing zeros."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _sig_digits(d: Decimal) -> int:
    """Number of significant digits of a non-zero Decimal (trailing zeros dropped)."""
    return len(d.normalize().as_tuple().digits)


def general(x: float, width: int = 11) -> str:
    """Excel's General format as TEXT(x, "General") writes it: at most
    ``width`` characters besides the sign; scientific notation (six
    significant digits) when the plain form would not fit or would show
    fewer significant digits than the scientific one."""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    d = dec15(x)
    e = d.adjusted()
    if e >= 0:
        if e + 1 <= width:
            q = _quantize(d, max(0, width - (e + 1) - 1))
            if q.adjusted() + 1 <= width:
                return sign + _plain(q)
    else:
        places = width - 2                      # "0." then the decimals
        shown = places + e + 1                  # significant digits the plain form keeps
        if shown >= 1 and shown >= _sig_digits(_sci_round(d, width)[0]):
            q = _quantize(d, places)
            if q != 0:
                return sign + _plain(q)
    mant, exp = _sci_round(d, width)
    return f"{sign}{_plain(mant)}E{'+' if exp >= 0 else '-'}{abs(exp):02d}"


def _sci_round(d: Decimal, width: int) -> tuple[Decimal, int]:
    """(mantissa, exponent) of the General format's scientific form."""
    e = d.adjusted()
    for _ in range(2):
        exp_len = max(2, len(str(abs(e))))
        places = max(0, width - 4 - exp_len)     # "d." and "E+" take the rest
        mant = _quantize(d.scaleb(-e), places)
        if mant >= 10:
            e += 1
            continue
        return mant, e
    return _quantize(d.scaleb(-e), 0), e


# --- tokens -----------------------------------------------------------------------

def _tokenize(code: str) -> list[tuple]:
    """Tokens of a whole format code; ('sep',) between sections."""
    toks: list[tuple] = []
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        low = c.lower()
        if c == '"':
            j = code.find('"', i + 1)
            if j < 0:
                raise VALUE
            toks.append(("lit", code[i + 1:j]))
            i = j + 1
        elif c == "\\":
            if i + 1 < n:
                toks.append(("lit", code[i + 1]))
            i += 2
        elif c == "_":
            toks.append(("lit", " "))       # space as wide as the next char
            i += 2
        elif c == "*":
            i += 2                          # fill character: no width in text
        elif c == "[":
            j = code.find("]", i + 1)
            if j < 0:
                raise VALUE
            toks.extend(_bracket(code[i + 1:j]))
            i = j + 1
        elif c == ";":
            toks.append(("sep",))
            i += 1
        elif c in "0#?":
            toks.append(("digit", c))
            i += 1
        elif c == ".":
            toks.append(("point",))
            i += 1
        elif c == ",":
            toks.append(("comma",))
            i += 1
        elif c == "%":
            toks.append(("percent",))
            i += 1
        elif c in "Ee" and i + 1 < n and code[i + 1] in "+-":
            toks.append(("exp", code[i:i + 2]))
            i += 2
        elif c == "/":
            toks.append(("slash",))
            i += 1
        elif c == "@":
            toks.append(("at",))
            i += 1
        elif code[i:i + 7].lower() == "general":
            toks.append(("general",))
            i += 7
        elif code[i:i + 5].upper() == "AM/PM":
            toks.append(("ampm", code[i:i + 5]))
            i += 5
        elif code[i:i + 3].upper() == "A/P":
            toks.append(("ampm", code[i:i + 3]))
            i += 3
        elif low in "ymdhs":
            j = i
            while j < n and code[j].lower() == low:
                j += 1
            toks.append(("date", low, j - i))
            i = j
        else:
            toks.append(("lit", c))
            i += 1
    return toks


def _bracket(content: str) -> list[tuple]:
    if _ELAPSED_RE.match(content):
        return [("elapsed", content[0].lower(), len(content))]
    if content.startswith("$"):
        # [$€-407]: currency symbol then locale; [$-409]: locale only
        sym = content[1:].split("-", 1)[0]
        return [("lit", sym)] if sym else []
    m = _COND_RE.match(content)
    if m:
        return [("cond", m.group(1), float(m.group(2)))]
    return []        # colours, [DBNum1] and other display-only modifiers


class _Section:
    __slots__ = ("tokens", "cond", "kind")

    def __init__(self, tokens: list[tuple]):
        self.cond = None
        body = []
        for t in tokens:
            if t[0] == "cond":
                self.cond = (t[1], t[2])
            else:
                body.append(t)
        self.tokens = body
        kinds = {t[0] for t in body}
        if kinds & {"date", "ampm", "elapsed"}:
            self.kind = "date"
        elif "at" in kinds and "digit" not in kinds:
            self.kind = "text"
        else:
            self.kind = "number"

    def matches(self, x: float) -> bool:
        op, v = self.cond
        return {"<": x < v, ">": x > v, "=": x == v, "<=": x <= v, ">=": x >= v, "<>": x != v}[op]


@lru_cache(maxsize=512)
def _parse(code: str) -> tuple[list[_Section], _Section | None]:
    """(number sections, text section) of a format code."""
    sections: list[list[tuple]] = [[]]
    for t in _tokenize(code):
        if t[0] == "sep":
            sections.append([])
        else:
            sections[-1].append(t)
    if len(sections) > 4:
        raise VALUE
    secs = [_Section(s) for s in sections]
    text_sec = None
    if len(secs) == 4:
        text_sec = secs.pop()
    elif len(secs) > 1 and secs[-1].kind == "text":
        text_sec = secs.pop()
    elif len(secs) == 1 and secs[0].kind == "text":
        text_sec = secs[0]
    for s in secs:
        if s.kind == "date":
            _date_plan(s.tokens)          # validates
    return secs, text_sec


# --- public entry points ----------------------------------------------------------

def format_value(value: Any, code: str, date1904: bool = False) -> str:
    """``value`` (float, str or bool) formatted with ``code`` as TEXT does."""
    secs, text_sec = _parse(code)
    if isinstance(value, bool):
        value = "TRUE" if value else "FALSE"
    if isinstance(value, str):
        if text_sec is None:
            return value
        return "".join(value if t[0] == "at" else t[1] for t in text_sec.tokens if t[0] in ("at", "lit"))
    return format_number(float(value), secs, date1904)


def format_number(x: float, secs: list[_Section] | str, date1904: bool = False) -> str:
    if isinstance(secs, str):
        secs = _parse(secs)[0]
    sec, show_sign = _choose(x, secs)
    if sec is None:
        return ""
    if not sec.tokens:
        return ""
    if sec.kind == "date":
        return _format_date(x, sec.tokens, date1904)
    if sec.kind == "text":      # "@" alone: the number in General
        return "".join(_general_signed(x, show_sign) if t[0] == "at" else t[1]
                       for t in sec.tokens if t[0] in ("at", "lit"))
    return _format_numeric(x, sec.tokens, show_sign)


def _choose(x: float, secs: list[_Section]) -> tuple[_Section | None, bool]:
    """The section for a number and whether it shows the minus sign itself."""
    if not secs:
        return None, True
    if any(s.cond for s in secs[:2]):
        # [cond1]a;[cond2]b;c -- sections without a condition keep their
        # usual meaning (first: not negative); the second never shows a minus
        first = secs[0]
        second = secs[1] if len(secs) > 1 else None
        if first.matches(x) if first.cond else x >= 0:
            return first, True
        if second is None:
            return first, True
        if second.cond is None or second.matches(x):
            return second, False
        if first.cond and len(secs) > 2:
            return secs[2], True
        return second, False
    if len(secs) == 1:
        return secs[0], True
    if x > 0 or (x == 0 and len(secs) == 2):
        return secs[0], True
    if x < 0:
        return secs[1], False
    return secs[2], True


def _general_signed(x: float, show_sign: bool) -> str:
    s = general(abs(x))
    return ("-" + s) if (show_sign and x < 0 and s != "0") else s


# --- numbers ------------------------------------------------------------------------

def _format_numeric(x: float, toks: list[tuple], show_sign: bool) -> str:
    kinds = [t[0] for t in toks]
    if "general" in kinds:
        g = general(abs(x))
        body = "".join(g if t[0] == "general" else _literal(t) for t in toks)
        neg = show_sign and x < 0 and g != "0"
        return ("-" if neg else "") + body
    slash = _fraction_slash(toks)
    if slash is not None:
        return _format_fraction(x, toks, slash, show_sign)
    return _format_decimal(x, toks, show_sign)


def _literal(t: tuple) -> str:
    k = t[0]
    if k == "lit":
        return t[1]
    if k == "percent":
        return "%"
    if k == "comma":
        return ","
    if k == "point":
        return "."
    if k == "slash":
        return "/"
    if k == "exp":
        return t[1]
    return ""


def _format_decimal(x: float, toks: list[tuple], show_sign: bool) -> str:
    exp_at = next((i for i, t in enumerate(toks) if t[0] == "exp"
                   and any(u[0] == "digit" for u in toks[i + 1:])), None)
    mant_end = exp_at if exp_at is not None else len(toks)
    point_at = next((i for i in range(mant_end) if toks[i][0] == "point"), None)
    int_end = point_at if point_at is not None else mant_end
    digit_idx = [i for i in range(mant_end) if toks[i][0] == "digit"]
    int_ph = [i for i in digit_idx if i < int_end]
    dec_ph = [i for i in digit_idx if i > int_end]

    # commas: thousands separators between integer placeholders, scaling
    # commas straight after the last placeholder of the mantissa
    role: dict[int, str] = {}
    thousands = False
    for i in range(int_end):
        if toks[i][0] == "comma" and int_ph and int_ph[0] < i < int_ph[-1]:
            role[i] = "sep"
            thousands = True
    scale = 0
    for i in range(mant_end):
        if toks[i][0] == "comma" and i not in role:
            j = i - 1
            while j >= 0 and toks[j][0] == "comma":
                j -= 1
            if j >= 0 and toks[j][0] == "digit":
                role[i] = "scale"
                scale += 1
    pct = sum(1 for t in toks if t[0] == "percent")

    a = dec15(x)
    if pct:
        a = a.scaleb(2 * pct)
    if scale:
        a = a.scaleb(-3 * scale)
    m = len(dec_ph)

    exp_text = ""
    if exp_at is not None:
        n = len(int_ph)
        int_kinds = [toks[i][1] for i in int_ph]
        group = n if (n > 1 and any(k != "0" for k in int_kinds)) else 0
        if a == 0:
            q, e = Decimal(0), 0
        else:
            e0 = a.adjusted()
            if group:
                e = (e0 // group) * group
                limit = Decimal(10) ** group
            elif n == 0:
                e, limit = e0 + 1, Decimal(1)
            else:
                e, limit = e0 - n + 1, Decimal(10) ** n
            q = _quantize(a.scaleb(-e), m)
            if q >= limit:
                e += group or 1
                q = _quantize(a.scaleb(-e), m)
        exp_tok = toks[exp_at][1]
        exp_ph = [toks[i][1] for i in range(exp_at + 1, len(toks)) if toks[i][0] == "digit"]
        width = sum(1 for k in exp_ph if k in "0?") or 0
        ed = str(abs(e)).rjust(width, "0")
        if e < 0:
            sign = "-"
        else:
            sign = "+" if exp_tok[1] == "+" else ""
        exp_text = exp_tok[0] + sign + ed
    else:
        q = _quantize(a, m)
    is_zero = q == 0

    qs = format(q, "f")
    int_str, _, frac_str = qs.partition(".")
    int_str = int_str.lstrip("0")
    frac_str = frac_str.ljust(m, "0")[:m]

    # decimals: trailing zeros of '#' vanish, of '?' become spaces
    dec_out = list(frac_str)
    for k in range(m - 1, -1, -1):
        kind = toks[dec_ph[k]][1]
        if dec_out[k] != "0" or kind == "0":
            break
        dec_out[k] = "" if kind == "#" else " "

    # integer placeholders filled from the right; extra digits go to the first
    n = len(int_ph)
    L = len(int_str)
    int_out: dict[int, str] = {}
    for j, ti in enumerate(int_ph):
        pos = n - 1 - j
        kind = toks[ti][1]
        if pos < L:
            chars = [(int_str[L - 1 - pos], pos)]
        elif kind == "0":
            chars = [("0", pos)]
        elif kind == "?":
            chars = [(" ", -1)]
        else:
            chars = []
        if j == 0 and L > n:
            chars = [(int_str[k], L - 1 - k) for k in range(L - n)] + chars
        s = []
        for ch, p in chars:
            s.append(ch)
            if thousands and p > 0 and p % 3 == 0:
                s.append(",")
        int_out[ti] = "".join(s)

    out = []
    dec_k = 0
    seen_exp = False
    for i, t in enumerate(toks):
        k = t[0]
        if i == exp_at:
            out.append(exp_text)
            seen_exp = True
        elif k == "digit":
            if seen_exp:
                continue
            if i in int_out:
                out.append(int_out[i])
            else:
                out.append(dec_out[dec_k])
                dec_k += 1
        elif k == "point" and i == point_at:
            if n == 0:
                out.append(int_str)     # no integer placeholders: digits still show
            out.append(".")
        elif k == "comma" and i in role:
            continue
        elif seen_exp and k in ("comma", "point"):
            continue
        elif k == "at":
            out.append(general(abs(x)))
        else:
            out.append(_literal(t))
    neg = show_sign and x < 0 and not is_zero
    return ("-" if neg else "") + "".join(out)


def _fraction_slash(toks: list[tuple]) -> int | None:
    for i, t in enumerate(toks):
        if t[0] == "slash" and i > 0 and toks[i - 1][0] == "digit":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt and (nxt[0] == "digit" or (nxt[0] == "lit" and nxt[1].isdigit())):
                return i
    return None


def _format_fraction(x: float, toks: list[tuple], slash: int, show_sign: bool) -> str:
    num_start = slash
    while num_start > 0 and toks[num_start - 1][0] == "digit":
        num_start -= 1
    num_ph = [toks[i][1] for i in range(num_start, slash)]
    den_end = slash + 1
    den_chars = []
    while den_end < len(toks) and (toks[den_end][0] == "digit" or
                                   (toks[den_end][0] == "lit" and toks[den_end][1].isdigit())):
        den_chars.append(toks[den_end][1])
        den_end += 1
    int_ph = [i for i in range(num_start) if toks[i][0] == "digit"]
    fixed_den = int("".join(den_chars)) if den_chars[0] in "123456789" and all(
        c.isdigit() for c in den_chars) else None

    a = dec15(x)
    pct = sum(1 for t in toks if t[0] == "percent")
    if pct:
        a = a.scaleb(2 * pct)
    whole = int(a) if int_ph else 0
    f = Fraction(a - whole)
    if fixed_den:
        num = int((f * fixed_den + Fraction(1, 2)) // 1)
        den = fixed_den
    else:
        best = f.limit_denominator(10 ** len(den_chars) - 1)
        num, den = best.numerator, best.denominator
    if int_ph and num == den and num:
        whole, num = whole + 1, 0
    is_zero = whole == 0 and num == 0

    int_str = str(whole) if whole else ""
    if int_ph and num == 0 and not int_str:
        int_str = "0"
    n = len(int_ph)
    int_out = {}
    for j, ti in enumerate(int_ph):
        pos = n - 1 - j
        kind = toks[ti][1]
        L = len(int_str)
        if pos < L:
            s = int_str[L - 1 - pos]
        else:
            s = "0" if kind == "0" else (" " if kind == "?" else "")
        if j == 0 and L > n:
            s = int_str[:L - n] + s
        int_out[ti] = s

    blank_fraction = bool(int_ph) and num == 0
    pad = {"?": " ", "0": "0"}.get(num_ph[0], "")
    num_s = str(num).rjust(len(num_ph), pad) if pad else str(num)
    if fixed_den:
        den_s = str(den)
    else:
        den_s = str(den)
        if den_chars[0] == "?":
            den_s = den_s.ljust(len(den_chars))
        elif den_chars[0] == "0":
            den_s = den_s.rjust(len(den_chars), "0")
    frac_text = f"{num_s}/{den_s}"
    if blank_fraction:
        frac_text = " " * len(frac_text)

    out = []
    for i, t in enumerate(toks):
        if i in int_out:
            out.append(int_out[i])
        elif i == num_start:
            out.append(frac_text)
        elif num_start < i < den_end:
            continue
        elif t[0] == "digit":
            continue
        else:
            out.append(_literal(t))
    neg = show_sign and x < 0 and not is_zero
    return ("-" if neg else "") + "".join(out)


# --- dates and times ------------------------------------------------------------------

def _date_plan(toks: list[tuple]) -> list[tuple]:
    """Date tokens resolved: 'm' as month or minute, '.00' after seconds as
    fractions of a second; #VALUE! when digit placeholders are mixed in."""
    plan: list[tuple] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t[0] == "point" and i + 1 < len(toks) and toks[i + 1] == ("digit", "0") and _after_seconds(plan):
            j = i + 1
            while j < len(toks) and toks[j] == ("digit", "0"):
                j += 1
            plan.append(("subsec", min(j - i - 1, 3)))
            i = j
            continue
        if t[0] in ("digit", "general", "exp", "at"):
            raise VALUE
        plan.append(t)
        i += 1
    # m / mm right after hours or right before seconds means minutes
    timeish = [k for k, t in enumerate(plan) if t[0] in ("date", "elapsed")]
    for pos, k in enumerate(timeish):
        t = plan[k]
        if t[0] == "date" and t[1] == "m" and t[2] <= 2:
            prev = plan[timeish[pos - 1]] if pos > 0 else None
            nxt = plan[timeish[pos + 1]] if pos + 1 < len(timeish) else None
            if (prev is not None and prev[1] == "h") or (nxt is not None and nxt[1] == "s"):
                plan[k] = ("minute", t[2])
    return plan


def _after_seconds(plan: list[tuple]) -> bool:
    for t in reversed(plan):
        if t[0] in ("date", "elapsed"):
            return t[1] == "s"
    return False


def _format_date(x: float, toks: list[tuple], date1904: bool) -> str:
    plan = _date_plan(toks)
    sub = max((t[1] for t in plan if t[0] == "subsec"), default=0)
    if x < 0:
        raise VALUE
    scale = 10 ** sub
    units = int((Decimal(x) * 86400 * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    day, rem = divmod(units, 86400 * scale)
    if day > dates.max_serial(date1904):
        raise VALUE
    secs, frac = divmod(rem, scale)
    hh, rest = divmod(secs, 3600)
    mi, ss = divmod(rest, 60)
    try:
        y, mo, d = dates.serial_to_ymd(day, date1904)
    except XLError:
        raise VALUE from None
    wd = dates.weekday(day, date1904) - 1
    ampm = any(t[0] == "ampm" for t in plan)
    total_secs = day * 86400 + secs
    out = []
    for t in plan:
        k = t[0]
        if k == "date":
            letter, cnt = t[1], t[2]
            if letter == "y":
                out.append(f"{y % 100:02d}" if cnt <= 2 else f"{y:04d}")
            elif letter == "m":
                out.append(_month(mo, cnt))
            elif letter == "d":
                if cnt == 1:
                    out.append(str(d))
                elif cnt == 2:
                    out.append(f"{d:02d}")
                elif cnt == 3:
                    out.append(_DAYS[wd][:3])
                else:
                    out.append(_DAYS[wd])
            elif letter == "h":
                h = (hh % 12 or 12) if ampm else hh
                out.append(str(h) if cnt == 1 else f"{h:02d}")
            elif letter == "s":
                out.append(str(ss) if cnt == 1 else f"{ss:02d}")
        elif k == "minute":
            out.append(str(mi) if t[1] == 1 else f"{mi:02d}")
        elif k == "subsec":
            out.append("." + str(frac).rjust(sub, "0")[:t[1]])
        elif k == "elapsed":
            total = {"h": total_secs // 3600, "m": total_secs // 60, "s": total_secs}[t[1]]
            out.append(str(total).rjust(t[2], "0"))
        elif k == "ampm":
            word = t[1]
            pm = hh >= 12
            if len(word) == 5:
                s = "PM" if pm else "AM"
                out.append(s if word[0].isupper() else s.lower())
            else:
                ch = word[2] if pm else word[0]
                out.append(ch)
        else:
            out.append(_literal(t))
    return "".join(out)


def _month(mo: int, cnt: int) -> str:
    if cnt == 1:
        return str(mo)
    if cnt == 2:
        return f"{mo:02d}"
    if cnt == 3:
        return _MONTHS[mo - 1][:3]
    if cnt == 5:
        return _MONTHS[mo - 1][0]
    return _MONTHS[mo - 1]
