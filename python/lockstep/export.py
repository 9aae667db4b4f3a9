"""An export folder's description (`export.json`) and journal (`manifest.jsonl`).

`manifest.jsonl` has one line per output in output order (epoch, batch, index): the sample's
source paths and sha256, its plan and where each format put it; a line with `error` instead of
`plan`/`files` is an output whose source failed (it is in no format's files).
"""
import json
import os
import warnings

from .errors import ExportError

EXPORT_SCHEMA = "lockstep.export/1"


def load_description(export_dir):
    """export.json as a dict (recipe, seed, options, order, classes, featurewise stats)."""
    path = os.path.join(os.fspath(export_dir), "export.json")
    try:
        with open(path, "rb") as f:
            desc = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise ExportError("%s: no export.json: %s is not a Lockstep export folder" % (path, export_dir)) from None
    except (OSError, ValueError) as err:
        raise ExportError("%s: cannot read: %s" % (path, err)) from err
    if not isinstance(desc, dict) or desc.get("schema") != EXPORT_SCHEMA:
        raise ExportError("%s: schema is %r, expected %r" % (path, desc.get("schema") if isinstance(desc, dict) else None, EXPORT_SCHEMA))
    return desc


def read_manifest(path):
    """The records of a manifest.jsonl, in file order. A last line without its newline (an export
    killed while journaling) is left out with a warning; any other bad line is an error naming it."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        raise ExportError("%s: no manifest.jsonl: %s is not a Lockstep export folder (every export writes one)" % (path, os.path.dirname(path) or ".")) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ExportError("%s: cannot read: %s" % (path, err)) from err
    lines = text.split("\n")
    tail = lines.pop()
    if tail:
        warnings.warn("%s: the last line is cut short (an interrupted export); it is left out" % path)
    records = []
    for n, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError as err:
            raise ExportError("%s: line %d is not JSON: %s" % (path, n, err)) from None
        if not isinstance(rec, dict) or not all(isinstance(rec.get(k), int) for k in ("epoch", "batch", "index")):
            raise ExportError("%s: line %d has no integer epoch/batch/index" % (path, n))
        records.append(rec)
    return records


def batches_of(records, path="manifest.jsonl"):
    """(epoch, batch, good records, failed records) per batch, in output order."""
    current, good, failed = None, [], []
    seen = set()
    for rec in records:
        key = (rec["epoch"], rec["batch"])
        if key != current:
            if current is not None:
                yield current[0], current[1], good, failed
            if key in seen or (current is not None and key < current):
                raise ExportError("%s: batch (epoch %d, batch %d) is out of order or split" % (path, key[0], key[1]))
            seen.add(key)
            current, good, failed = key, [], []
        (failed if "error" in rec else good).append(rec)
    if current is not None:
        yield current[0], current[1], good, failed


def failure(rec):
    """The `failed` entry of a manifest line whose source failed (as the stream's frames give it)."""
    return {"sampleId": rec.get("sampleId"), "error": rec.get("error")}


def files_of(rec, fmt, path):
    files = rec.get("files") or {}
    entry = files.get(fmt)
    if not isinstance(entry, dict):
        raise ExportError("%s: the line of epoch %s batch %s index %s has no %s files (was the export written with --format %s?)" % (path, rec.get("epoch"), rec.get("batch"), rec.get("index"), fmt, fmt))
    return entry
