#!/usr/bin/env python3
"""Parses Parley codec vectors with a Kaitai-generated Python parser and prints what it read.

Used by spec/test/python-kaitai.test.ts; also a starting point for a Python implementation.

    python3 kaitai_driver.py <folder of the generated module> <module> <root class>  < request.json

request.json: {"types": {"<ksy type id>": ["<seq field id>", ...], ...},
               "cases": [{"struct": "<ksy type id>", "hex": "<lowercase hex>"}, ...]}

Prints one JSON object: {"runtime": "<kaitaistruct version>", "results": [...]}, one result per
case, in order: {"ok": true, "fields": {...}} or {"ok": false, "error": "<exception>"}. Fields
are dumped raw, in the ksy's own terms: every seq field by its ksy id (length prefixes `len_*`
and counts `num_*` included), integers and enum values as numbers, bytes as {"$bytes": "<hex>"},
strings as strings, lists as arrays, nested types as objects.
"""
import enum
import importlib
import json
import sys

import kaitaistruct
from kaitaistruct import KaitaiStream, KaitaiStruct, BytesIO


def upper_camel(name):
    """Kaitai's class naming: `relay_error_body` -> `RelayErrorBody`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def main():
    folder, module_name, root_name = sys.argv[1:4]
    sys.path.insert(0, folder)
    root = getattr(importlib.import_module(module_name), root_name)
    request = json.load(sys.stdin)
    seqs = request["types"]
    type_of_class = {upper_camel(t): t for t in seqs}

    def dump(obj, type_id):
        return {field: value(getattr(obj, field)) for field in seqs[type_id]}

    def value(v):
        if isinstance(v, enum.Enum):
            return v.value
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, (bytes, bytearray)):
            return {"$bytes": bytes(v).hex()}
        if isinstance(v, str):
            return v
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, KaitaiStruct):
            name = type(v).__name__
            if name not in type_of_class:
                raise TypeError("no ksy type for class %s" % name)
            return dump(v, type_of_class[name])
        raise TypeError("cannot dump %r" % (v,))

    results = []
    for case in request["cases"]:
        try:
            cls = getattr(root, upper_camel(case["struct"]))
            obj = cls(KaitaiStream(BytesIO(bytes.fromhex(case["hex"]))))
            # consumed: how many input bytes the parser read, so the test can tell a parser
            # that stopped early from one that read the whole structure.
            results.append({"ok": True, "fields": dump(obj, case["struct"]), "consumed": obj._io.pos(), "size": obj._io.size()})
        except Exception as e:  # report every failure per case; the test shows them
            results.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump({"runtime": getattr(kaitaistruct, "__version__", "?"), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
