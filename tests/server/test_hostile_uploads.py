"""Hostile uploads get 4xx answers with clear messages, and the server keeps
serving: zip bombs (honest and lying headers), XML entity bombs, files that
are not workbooks, oversize bodies, path-like file names."""
from __future__ import annotations

import http.client
import io
import struct
import zipfile

import openpyxl
import pytest

API = "/api/v1"


def _base_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rebuild(replace: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(_base_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    # 120 MB of blanks inside one sheet part, compressed to about 120 kB
    return _rebuild({SHEET: b"<worksheet " + NS + b"><sheetData>" + b" " * (120 * 1024 * 1024)
                     + b"</sheetData></worksheet>"})


def _lie_about_sizes(data: bytes, part: str, fake_size: int) -> bytes:
    """Rewrite the local and central headers of `part` to declare a small
    uncompressed size (a bomb that hides from header checks)."""
    buf = bytearray(data)
    name = part.encode()
    pos = 0
    while True:
        pos = buf.find(b"PK\x03\x04", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", buf, pos + 26)[0]
        if bytes(buf[pos + 30:pos + 30 + n]) == name:
            struct.pack_into("<I", buf, pos + 22, fake_size)
        pos += 4
    pos = 0
    while True:
        pos = buf.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46:pos + 46 + n]) == name:
            struct.pack_into("<I", buf, pos + 24, fake_size)
        pos += 4
    return bytes(buf)


def _upload(client, name: str, data: bytes):
    return client.post(f"{API}/workbooks", files={"file": (name, data, "application/octet-stream")})


def _error(r, status: int, code: str | None = None) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()["error"]
    if code:
        assert body["code"] == code, body
    return body["message"]


def test_zip_bomb(client, zip_bomb):
    msg = _error(_upload(client, "bomb.xlsx", zip_bomb), 422, "workbook_refused")
    assert "zip bomb" in msg and "sheet1.xml" in msg and "bomb.xlsx" in msg


def server_tmp_hint() -> str:
    return "/tmp/"


def test_zip_bomb_with_lying_headers(client, zip_bomb):
    liar = _lie_about_sizes(zip_bomb, SHEET, 1000)
    msg = _error(_upload(client, "liar.xlsx", liar), 422, "workbook_refused")
    # refused without inflating more than the declared size; the message names the part, not server paths
    assert "liar.xlsx" in msg and "sheet1.xml" in msg and str(server_tmp_hint()) not in msg


def test_xml_entity_bomb(client):
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
           b'&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'
           b'&lol2;">]><worksheet ' + NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;'
           b'</t></is></c></row></sheetData></worksheet>')
    msg = _error(_upload(client, "laughs.xlsx", _rebuild({SHEET: lol})), 422, "workbook_refused")
    assert "entit" in msg


@pytest.mark.parametrize("name,data,hint", [
    ("notes.xlsx", b"just some text pretending to be a workbook\n" * 50, "not an Excel workbook"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old binary Office file"),
    ("report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200, "PDF"),
    ("empty.xlsx", b"", "empty"),
    ("truncated.xlsx", _base_workbook()[:300], "damaged"),
])
def test_not_a_workbook(client, name, data, hint):
    msg = _error(_upload(client, name, data), 415, "not_a_workbook")
    assert hint in msg and name in msg


def test_zip_that_is_not_a_spreadsheet(client):
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "[Content_Types].xml" in _error(_upload(client, "a.xlsx", plain.getvalue()), 415, "not_a_workbook")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<document/>")
    assert "not an Excel workbook" in _error(_upload(client, "letter.xlsx", docx.getvalue()), 415)


def test_oversize_upload(client, server):
    big = b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024)         # the shared server's limit is 2 MB
    msg = _error(_upload(client, "big.xlsx", big), 413, "payload_too_large")
    assert "2 MB" in msg


def test_oversize_upload_without_content_length(server):
    """A chunked body is counted as it streams and cut off at the limit."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    boundary = "gridflowtestboundary"
    conn.putrequest("POST", f"{API}/workbooks")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="stream.xlsx"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode()

    def chunk(b: bytes) -> bytes:
        return f"{len(b):x}\r\n".encode() + b + b"\r\n"
    try:
        conn.send(chunk(head))
        block = b"\0" * (256 * 1024)
        for _ in range(16):                                   # 4 MB
            conn.send(chunk(block))
        conn.send(chunk(f"\r\n--{boundary}--\r\n".encode()) + b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass                                                  # the server may stop reading early
    r = conn.getresponse()
    assert r.status == 413
    conn.close()


def test_oversize_json_body(client):
    r = client.post(f"{API}/jobs", content=b'{"workbook_id": "' + b"a" * (2 * 1024 * 1024) + b'"}',
                    headers={"content-type": "application/json"})
    _error(r, 413, "payload_too_large")


@pytest.mark.parametrize("name", ["../../etc/passwd.xlsx", "..\\..\\evil.xlsx", "/abs/path.xlsx", "sub/dir.xlsx",
                                  "..", "x" * 300 + ".xlsx"])
def test_path_like_and_bad_names(client, dcf_path, name):
    msg = _error(_upload(client, name, dcf_path.read_bytes()), 400, "invalid_filename")
    assert "name" in msg


@pytest.mark.parametrize("disposition,code", [
    (b'filename="name\x07bell.xlsx"', b"invalid_filename"),            # a control character, sent raw
    (b'filename="..%2Fok.xlsx"; filename*=UTF-8\'\'%2Fetc%2Fx.xlsx', b"invalid_filename"),
    # only an RFC 2231 name: the multipart parser sees no file at all
    (b"filename*=UTF-8''..%2F..%2Fescape.xlsx", b"validation_error"),
])
def test_raw_multipart_names(server, dcf_path, disposition, code):
    boundary = b"gridflowrawboundary"
    body = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; ' + disposition +
            b"\r\nContent-Type: application/octet-stream\r\n\r\n" + dcf_path.read_bytes() +
            b"\r\n--" + boundary + b"--\r\n")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", f"{API}/workbooks", body=body,
                 headers={"Content-Type": "multipart/form-data; boundary=" + boundary.decode()})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.status in (400, 422), data
    assert code in data


def test_server_keeps_serving(client, server, dcf_path):
    assert client.get("/health").status_code == 200
    r = _upload(client, "after-attacks.xlsx", dcf_path.read_bytes())
    assert r.status_code == 201, r.text
    # nothing of the refused uploads is left behind, and no file was written from a user's name
    assert list((server.data / "tmp").iterdir()) == []
    names = {p.name for p in (server.data / "workbooks").iterdir()}
    assert all(len(n.split(".")[0]) == 32 for n in names), names
