"""Request guards: bearer token, body size, upload names and contents."""
from __future__ import annotations

import hmac
import json
import unicodedata
import zipfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from .errors import ApiError, error_body

TOKEN_COOKIE = "gridflow_token"
UPLOAD_PATH = "/api/v1/workbooks"

# --- bearer token -------------------------------------------------------------------------------


class TokenAuth:
    """Pure ASGI middleware: when a token is configured every request needs it,
    as ``Authorization: Bearer <token>``, a ``?token=`` query parameter (for
    links, ``EventSource`` and the first visit of the web page: the server then
    sets an HttpOnly, SameSite=Strict cookie) or that cookie."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token.encode() if token else None

    def _ok(self, value: str | None) -> bool:
        return value is not None and self.token is not None and hmac.compare_digest(value.encode(), self.token)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.token is None:
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and self._ok(auth[7:].strip()):
            return await self.app(scope, receive, send)
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            cookie = SimpleCookie()
        if TOKEN_COOKIE in cookie and self._ok(cookie[TOKEN_COOKIE].value):
            return await self.app(scope, receive, send)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        q = (query.get("token") or [None])[0]
        if self._ok(q):
            set_cookie = (f"{TOKEN_COOKIE}={q}; HttpOnly; SameSite=Strict; Path=/").encode("latin-1")

            async def send_with_cookie(message):
                if message["type"] == "http.response.start":
                    message = dict(message)
                    message["headers"] = list(message.get("headers", [])) + [(b"set-cookie", set_cookie)]
                await send(message)
            return await self.app(scope, receive, send_with_cookie)
        body = json.dumps(error_body(
            "unauthorized", "this server requires a token: send 'Authorization: Bearer <token>' "
                            "(or open the page once with ?token=<token>)")).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# --- body size -----------------------------------------------------------------------------------


class BodyTooLarge(ApiError):
    def __init__(self, limit: int, upload: bool = False):
        what = "the upload is larger than this server's limit" if upload else "the request body is larger than the limit"
        super().__init__(413, "payload_too_large", f"{what} of {_mb(limit)}", {"limit_bytes": limit})


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


class BodyLimit:
    """Pure ASGI middleware refusing bodies over a size limit, by the
    Content-Length header at once or while the body streams in."""

    def __init__(self, app, upload_limit: int, other_limit: int):
        self.app = app
        self.upload_file_limit = upload_limit            # what the message names
        self.upload_limit = upload_limit + 64 * 1024     # multipart framing and other fields
        self.other_limit = other_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        upload = scope["path"].rstrip("/") == UPLOAD_PATH
        limit = self.upload_limit if upload else self.other_limit
        shown = self.upload_file_limit if upload else limit
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    n = 0
                if n > limit:
                    return await _refuse(send, BodyTooLarge(shown, upload))
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(shown, upload)
            return message
        return await self.app(scope, limited_receive, send)


async def _refuse(send, exc: BodyTooLarge) -> None:
    body = json.dumps(error_body(exc.code, exc.message, exc.details)).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --- upload names ---------------------------------------------------------------------------------


def check_filename(name: str | None) -> str:
    """The upload's file name, kept only as a label. Path-like names are refused."""
    if name is None or not name.strip():
        raise ApiError(400, "invalid_filename", "the upload has no file name",
                       {"field": "body.file"})
    if len(name) > 255:
        raise ApiError(400, "invalid_filename", "the file name is longer than 255 characters",
                       {"field": "body.file"})
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")]
    if bad:
        raise ApiError(400, "invalid_filename", "the file name contains control or invisible characters",
                       {"field": "body.file", "filename": name.encode("unicode_escape").decode("ascii")})
    if any(sep in name for sep in ("/", "\\", ":")) or name.strip() in (".", "..") or name.startswith(".."):
        raise ApiError(400, "invalid_filename",
                       f"the file name {name!r} looks like a path; send the bare name, such as model.xlsx",
                       {"field": "body.file", "filename": name})
    return name.strip()


# --- OOXML content check ----------------------------------------------------------------------------

WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xlsm",
}
BINARY_TYPE = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
MAX_MEMBERS = 100_000
MAX_TOTAL = 2 * 1024 ** 3
BOMB_RATIO = 200
BOMB_MIN = 50 * 1024 ** 2
CT_LIMIT = 4 * 1024 * 1024


def check_ooxml(path: Path, display: str) -> str:
    """Cheap check that the file is an Office Open XML spreadsheet package
    (by content, never by extension); returns "xlsx" or "xlsm".  The engine's
    reader then reads it fully with its zip-bomb and XML-bomb guards."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] != b"PK\x03\x04":
        hint = ""
        if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            hint = " (it is an old binary Office file: save it as .xlsx)"
        elif head[:5] == b"%PDF-":
            hint = " (it is a PDF)"
        raise ApiError(415, "not_a_workbook", f"{display} is not an Excel workbook: the content is not an "
                                              f"Office Open XML (zip) package{hint}", {"field": "body.file"})
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ApiError(415, "not_a_workbook", f"{display} is not an Excel workbook: damaged zip package ({exc})",
                       {"field": "body.file"}) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ApiError(422, "workbook_refused", f"{display}: refused: the package holds {len(infos)} parts",
                           {"field": "body.file"})
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > BOMB_MIN and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
                raise ApiError(422, "workbook_refused",
                               f"{display}: refused as a zip bomb: part {info.filename} inflates "
                               f"{info.compress_size} bytes to {info.file_size}", {"field": "body.file",
                                                                                    "part": info.filename})
        if total > MAX_TOTAL:
            raise ApiError(422, "workbook_refused", f"{display}: refused as a zip bomb: its parts inflate to "
                                                    f"{total} bytes", {"field": "body.file"})
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names:
            raise ApiError(415, "not_a_workbook", f"{display} is a zip file but not an Office Open XML package "
                                                  f"([Content_Types].xml is missing)", {"field": "body.file"})
        try:
            with zf.open("[Content_Types].xml") as f:
                data = f.read(CT_LIMIT + 1)
        except Exception as exc:
            raise ApiError(422, "workbook_refused", f"{display}: [Content_Types].xml cannot be read: {exc}",
                           {"field": "body.file"}) from None
        if len(data) > CT_LIMIT:
            raise ApiError(422, "workbook_refused", f"{display}: [Content_Types].xml is implausibly large",
                           {"field": "body.file"})
        try:
            from defusedxml import ElementTree as DET
            root = DET.fromstring(data, forbid_dtd=True)
        except Exception as exc:
            raise ApiError(422, "workbook_refused", f"{display}: [Content_Types].xml is refused: {exc}",
                           {"field": "body.file"}) from None
        fmt = None
        for el in root:
            if el.tag.rpartition("}")[2] != "Override":
                continue
            ctype = (el.get("ContentType") or "").strip()
            part = (el.get("PartName") or "").lstrip("/")
            if ctype == BINARY_TYPE:
                raise ApiError(415, "not_a_workbook", f"{display} is a binary workbook (.xlsb); save it as "
                                                      f".xlsx or .xlsm", {"field": "body.file"})
            if ctype in WORKBOOK_TYPES and part in names:
                fmt = WORKBOOK_TYPES[ctype]
        if fmt is None:
            raise ApiError(415, "not_a_workbook", f"{display} is an Office Open XML package but not an Excel "
                                                  f"workbook (no workbook part: a Word or PowerPoint file?)",
                           {"field": "body.file"})
        return fmt
