"""The generated add-in files: custom-functions metadata that passes the rules
Excel applies, one entry per registry function in every artifact, the
manifest's offline structural check, and reproducible generation."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from udfs import generate, manifest, registry

ROOT = Path(__file__).resolve().parents[2]

# The shape of Excel's custom-functions metadata (learn.microsoft.com, "Manually
# create JSON metadata for custom functions"), as a JSON schema.
PARAM_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": {"type": "string", "minLength": 1, "maxLength": 512},
        "type": {"enum": ["boolean", "number", "string", "any"]},
        "dimensionality": {"enum": ["scalar", "matrix"]},
        "optional": {"type": "boolean"},
        "repeating": {"type": "boolean"},
        "cellValueType": {"type": "string"},
        "customEnumType": {"type": "string"},
    },
}
FUNCTION_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["id", "name", "parameters", "result"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Z][A-Z0-9_.]{2,127}$"},
        "name": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.]{2,127}$"},
        "description": {"type": "string", "maxLength": 512},
        "helpUrl": {"type": "string"},
        "parameters": {"type": "array", "items": PARAM_SCHEMA},
        "result": {"type": "object", "additionalProperties": False,
                   "properties": {"type": {"enum": ["boolean", "number", "string", "any"]},
                                  "dimensionality": {"enum": ["scalar", "matrix"]}}},
        "options": {"type": "object", "additionalProperties": False,
                    "properties": {k: {"type": "boolean"} for k in (
                        "cancelable", "requiresAddress", "requiresParameterAddresses", "stream", "volatile",
                        "requiresStreamAddress", "requiresStreamParameterAddresses", "capturesCallingObject",
                        "excludeFromAutoComplete", "linkedEntityLoadService")}},
    },
}
METADATA_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["functions"],
    "properties": {"$schema": {"type": "string"}, "allowCustomDataForDataTypeAny": {"type": "boolean"},
                   "allowErrorForDataTypeAny": {"type": "boolean"}, "enums": {"type": "array"},
                   "functions": {"type": "array", "minItems": 1, "items": FUNCTION_SCHEMA}},
}


def _metadata() -> dict:
    return json.loads((ROOT / "addin" / "functions.json").read_text(encoding="utf-8"))


def _schema_errors(instance, schema, path="$") -> list[str]:
    """A small JSON-schema checker for the keywords used above."""
    errs = []
    if "enum" in schema and instance not in schema["enum"]:
        errs.append(f"{path}: {instance!r} not in {schema['enum']}")
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t and not isinstance(instance, types[t]):
        return errs + [f"{path}: not a {t}"]
    if t == "string":
        if len(instance) < schema.get("minLength", 0) or len(instance) > schema.get("maxLength", 10 ** 9):
            errs.append(f"{path}: length")
        if "pattern" in schema and not re.match(schema["pattern"], instance):
            errs.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    if t == "array":
        if len(instance) < schema.get("minItems", 0):
            errs.append(f"{path}: too few items")
        for i, item in enumerate(instance):
            errs += _schema_errors(item, schema.get("items", {}), f"{path}[{i}]")
    if t == "object":
        for k in schema.get("required", []):
            if k not in instance:
                errs.append(f"{path}: missing {k}")
        props = schema.get("properties", {})
        for k, v in instance.items():
            if k not in props:
                if schema.get("additionalProperties", True) is False:
                    errs.append(f"{path}: unexpected {k}")
            else:
                errs += _schema_errors(v, props[k], f"{path}.{k}")
    return errs


def test_metadata_matches_the_custom_functions_schema():
    meta = _metadata()
    assert _schema_errors(meta, METADATA_SCHEMA) == []
    try:                                                   # a second opinion when a validator is installed
        import jsonschema_rs
    except ImportError:
        return
    assert jsonschema_rs.validator_for(METADATA_SCHEMA).is_valid(meta)


def test_metadata_follows_excels_rules():
    funcs = _metadata()["functions"]
    ids = [f["id"] for f in funcs]
    assert len(ids) == len(set(ids))
    assert len({f["name"].upper() for f in funcs}) == len(funcs)
    for f in funcs:
        assert f["id"] == f["id"].upper() == f["name"]
        opts = f.get("options", {})
        if opts.get("requiresParameterAddresses"):
            assert f["result"]["dimensionality"] == "matrix", f["id"]
        if opts.get("stream"):
            assert not opts.get("requiresAddress") and not opts.get("cancelable") and not opts.get("volatile")
        names = [p["name"] for p in f["parameters"]]
        assert len(names) == len(set(names)), f["id"]
        seen_optional = False
        for i, p in enumerate(f["parameters"]):
            if p.get("repeating"):
                assert i == len(f["parameters"]) - 1, f["id"]
            elif p.get("optional"):
                seen_optional = True
            else:
                assert not seen_optional, f"{f['id']}: required parameter after an optional one"


def test_every_registry_entry_appears_once_in_each_artifact():
    funcs = registry.functions()
    meta_ids = [f["id"] for f in _metadata()["functions"]]
    js = (ROOT / "addin" / "functions.js").read_text(encoding="utf-8")
    py = (ROOT / "udfs" / "xlwings_udfs.py").read_text(encoding="utf-8")
    assert len(meta_ids) == len(funcs)
    for f in funcs:
        assert meta_ids.count(f.id) == 1, f.id
        assert len(re.findall(r'CustomFunctions\.associate\("%s",' % re.escape(f.id), js)) == 1, f.id
        assert len(re.findall(r"^function %s\(" % f.js_name, js, re.M)) == 1, f.id
        defs = len(re.findall(r"^def %s\(" % f.classic_name, py, re.M))
        assert defs == (0 if f.stream else 1), f.classic_name     # xlwings' COM UDFs cannot stream
    assert len(re.findall(r"CustomFunctions\.associate\(", js)) == len(funcs)


def test_generating_twice_gives_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert sorted(generate.write(a)) == sorted(generate.write(b))
    for rel in generate.outputs():
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert generate.write(a) == []                              # nothing left to change
    # and the committed files are up to date
    assert generate.write(ROOT, check=True) == [], "run: python -m udfs.generate"


def test_generate_command_check_mode(capsys):
    assert generate.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert generate.main(["--check", "--base-url", "http://localhost:8000"]) == 2


def test_manifest_passes_the_offline_check():
    text = (ROOT / "addin" / "manifest.xml").read_text(encoding="utf-8")
    assert manifest.check(text) == []
    root = ET.fromstring(text.encode())
    ns = {"o": manifest.NS_OFFICEAPP, "ov": manifest.NS_OV, "bt": manifest.NS_BT}
    namespace = root.find(".//ov:ExtensionPoint/ov:Namespace", ns).get("resid")
    strings = {s.get("id"): s.get("DefaultValue") for s in root.iterfind(".//bt:ShortStrings/bt:String", ns)}
    assert strings[namespace] == "GF"
    assert strings["GridFlow.Tab.Label"] == "GridFlow"
    labels = {strings[c.find("ov:Label", ns).get("resid")] for c in root.iterfind(".//ov:Control", ns)}
    assert {"Simulate", "Results", "Static copy", "Solve", "Waterfall", "Settings"} <= labels
    functions = [f.text for f in root.iterfind(".//ov:FunctionName", ns)]
    js = (ROOT / "addin" / "taskpane.js").read_text(encoding="utf-8")
    for name in functions:                                      # each ribbon function is associated in the JS
        assert re.search(r"\b%s:" % name, js), name


@pytest.mark.parametrize("breakage, expected", [
    (lambda t: t.replace("<Version>0.1.0.0</Version>\n", "").replace(
        "  <Permissions>", "  <Version>0.1.0.0</Version>\n  <Permissions>"), "order"),
    (lambda t: t.replace('resid="Functions.Metadata.Url"/></Metadata>', 'resid="Missing.Url"/></Metadata>'),
     "not defined"),
    (lambda t: t.replace("https://localhost:8000/addin/functions.js", "http://localhost:8000/addin/functions.js"),
     "HTTPS"),
    (lambda t: t.replace('<Set Name="SharedRuntime" MinVersion="1.1"/>', ""), "SharedRuntime"),
    (lambda t: t.replace("<ProviderName>GridFlow</ProviderName>", ""), "ProviderName"),
    (lambda t: t.replace(f"<Id>{manifest.ADDIN_ID}</Id>", "<Id>not-a-guid</Id>"), "GUID"),
    (lambda t: t[:-20], "well-formed"),
])
def test_the_check_catches_broken_manifests(breakage, expected):
    text = (ROOT / "addin" / "manifest.xml").read_text(encoding="utf-8")
    problems = manifest.check(breakage(text))
    assert any(expected in p for p in problems), problems


def test_manifest_for_another_address():
    text = manifest.render("https://gridflow.example:8443")
    assert manifest.check(text) == []
    assert "https://gridflow.example:8443/addin/functions.json" in text
    assert "localhost" not in text
