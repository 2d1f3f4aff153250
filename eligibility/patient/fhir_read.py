"""FHIR input, detected automatically: a Bundle ``.json`` (collection, searchset, transaction, batch, document),
an NDJSON file of Bundles, a folder of Bundles, or a Bulk Data export folder (``Patient.ndjson``,
``Observation.ndjson``, …).

A Bulk Data export is grouped by patient in bounded memory: every NDJSON line is parsed once and stored in a
temporary on-disk SQLite table keyed by its patient reference (resources without one, such as Medication, in a
second table looked up on demand), then read back patient by patient in key order. Memory holds one line and
one patient's resources at a time, whatever the size of the export.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import msgspec

from eligibility.errors import Location, PatientError
from eligibility.inputs import open_binary, read_bytes, read_raw_lines
from eligibility.json_batch import load_json_batch, load_json_bytes, proven
from eligibility.patient.contract import Patient
from eligibility.patient.fhir import FhirStats, PatientResources, fhir_patient, patients_from_resources
from eligibility.patient.fhir_values import json_kind, patient_reference, reference_key
from eligibility.vocab.vocabulary import Vocabulary

_BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "document", "transaction-response"}
Result = tuple[Patient | PatientError, FhirStats | None]


def is_fhir(path: Path) -> bool:
    """True for a FHIR file or folder (NDJSON, a JSON resource, a folder holding either)."""
    if path.is_dir():
        children = sorted(path.iterdir())
        if any(c.suffix.lower() == ".ndjson" and is_fhir(c) for c in children):
            return True
        first = next((c for c in children if c.suffix == ".json"), None)
        return first is not None and is_fhir(first)
    if path.suffix.lower() not in (".json", ".ndjson") or not path.is_file():
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    return '"resourceType"' in head  # contract patients (JSON or JSON Lines) never name a resource type


def read_fhir(path: Path, vocabulary: Vocabulary) -> Iterator[Result]:
    """Patients (or the :class:`PatientError` of each unreadable one) from any FHIR input, with counts."""
    if path.is_dir():
        if (path / "Patient.ndjson").exists():
            yield from read_bulk_export(path, vocabulary)
            return
        for child in sorted(path.iterdir()):
            if child.suffix in (".json", ".ndjson"):
                yield from read_fhir(child, vocabulary)
        return
    if path.suffix == ".ndjson":
        with open_binary(path, PatientError) as handle:
            for number, _, line in read_raw_lines(handle, str(path), PatientError):
                yield from _bundle(line, str(path), number, vocabulary)
        return
    try:
        data = read_bytes(path, "FHIR file", PatientError)
    except PatientError as error:
        yield error, None
        return
    yield from _bundle(data, str(path), None, vocabulary)


def _bundle(data: bytes | PatientError, file: str, line: int | None, vocabulary: Vocabulary) -> Iterator[Result]:
    try:
        if isinstance(data, PatientError):
            raise data
        groups = bundle_groups(_resource(data, file, line), file if line is None else f"{file}:{line}")
    except PatientError as error:
        yield error, None
        return
    for group in groups:
        yield _mapped(group, vocabulary)


def _mapped(group: PatientResources, vocabulary: Vocabulary) -> Result:
    try:
        return fhir_patient(group, vocabulary)
    except PatientError as error:
        return error, None


def _resource(data: bytes, file: str, line: int | None) -> dict:
    """One FHIR resource, read strictly within the input limits (:func:`eligibility.inputs.load_json`)."""
    found = load_json_bytes(data, file, line, PatientError)
    if not isinstance(found, dict) or "resourceType" not in found:
        raise PatientError(
            "not a FHIR resource (no resourceType)",
            location=Location(file, line),
            hint="give a FHIR R4 Bundle, or a patient in the eligibility JSON contract",
        )
    return found


def bundle_groups(bundle: dict, source: str) -> list[PatientResources]:
    """A Bundle's resources grouped by patient; :class:`PatientError` for a bundle that cannot be read."""
    kind = bundle.get("resourceType")
    if kind != "Bundle":
        raise PatientError(
            f"resourceType is {kind!r}, not 'Bundle'",
            location=Location(source),
            hint="give a FHIR R4 Bundle (or a Bulk Data export folder of NDJSON files)",
        )
    if type(bundle.get("type")) is not str or bundle["type"] not in _BUNDLE_TYPES:
        raise PatientError(
            f"Bundle type {bundle.get('type')!r} is not read",
            location=Location(source),
            hint=f"use one of {', '.join(sorted(_BUNDLE_TYPES))}",
        )
    entries: list[tuple[str | None, dict]] = []
    listed = bundle.get("entry") or []
    if type(listed) is not list:
        raise PatientError(
            f"Bundle entry is {json_kind(listed)}, not a list",
            location=Location(source, where="entry"),
            hint="write entry as a list of objects with a resource",
        )
    for position, entry in enumerate(listed):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise PatientError(
                f"entry[{position}] has no resource with a resourceType",
                location=Location(source, where=f"entry[{position}]"),
                hint="every entry needs a resource with a resourceType",
            )
        search, full_url = entry.get("search"), entry.get("fullUrl")
        if type(search) is dict and search.get("mode") == "outcome":
            continue
        entries.append((full_url if type(full_url) is str else None, resource))
    return patients_from_resources(entries, source)


# --- Bulk Data export ---------------------------------------------------------------------------------------


class _Export:
    """The NDJSON files of an export, open for reading lines back by their position."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths = sorted(folder.glob("*.ndjson"))
        self.names = [str(path) for path in self.paths]
        self.handles: list = []

    def __enter__(self) -> _Export:
        self.handles = [open_binary(path, PatientError) for path in self.paths]
        return self

    def __exit__(self, *_: object) -> None:
        for handle in self.handles:
            handle.close()

    def read(self, runs: list[tuple]) -> tuple[list[dict], list[PatientError]]:
        """The resources on the lines of these index rows, read strictly within the input limits, and the error
        of each line that cannot be read. A row ``(key, part, start, size, line, count)`` names ``count``
        consecutive lines of file ``part`` from byte ``start`` on (``size`` bytes), the first one line ``line``."""
        documents: list[bytes] = []
        for _, part, start, size, _, count in runs:
            handle = self.handles[part]
            handle.seek(start)  # a line after the last one read is served from the reader's buffer
            documents += handle.read(size).split(b"\n", count)[:count]
        found = proven(documents)  # lines routed at loading are resources (objects with a resourceType)
        if found is not None:
            return found, []  # type: ignore[return-value]
        places = [(self.names[part], n) for _, part, _, _, line, count in runs for n in range(line, line + count)]
        resources, errors = [], []
        for item, place in zip(load_json_batch(documents, places, PatientError), places, strict=True):
            if isinstance(item, PatientError):
                errors.append(item)
            elif isinstance(item, dict):
                resources.append(item)
            else:
                errors.append(_not_a_resource(place))
        return resources, errors


def _not_a_resource(place: tuple[str | None, int | None]) -> PatientError:
    return PatientError(
        "not a FHIR resource (no resourceType)",
        location=Location(*place),
        hint="each line of a Bulk Data export is one FHIR resource",
    )


class _Shared:
    """Resources without a patient (Medication, …), looked up by ``Type/id`` in the on-disk table."""

    def __init__(self, db: sqlite3.Connection, export: _Export) -> None:
        self.db, self.export = db, export

    def get(self, key: str, default: dict | None = None) -> dict | None:
        row = self.db.execute("SELECT key, part, start, size, line, 1 FROM shared WHERE key = ?", (key,)).fetchone()
        found = self.export.read([row])[0] if row else []
        return found[0] if found else default  # read at loading: an error is reported there


def read_bulk_export(folder: Path, vocabulary: Vocabulary) -> Iterator[Result]:
    """Patients of a Bulk Data export folder, grouped through an on-disk index (bounded memory)."""
    with tempfile.TemporaryDirectory(prefix="eligibility-bulk-") as scratch, _Export(folder) as export:
        db = sqlite3.connect(Path(scratch) / "index.sqlite")
        db.execute("PRAGMA journal_mode = OFF")  # scratch data: no journal, no syncing to disk
        db.execute("PRAGMA synchronous = OFF")
        try:
            db.execute("CREATE TABLE owned (patient TEXT, seq INTEGER, part INTEGER, start, size, line, count)")
            db.execute("CREATE TABLE shared (key TEXT PRIMARY KEY, part INTEGER, start, size, line)")
            errors = list(_load_export(export, db))
            db.execute("CREATE INDEX owned_by ON owned (patient, seq)")
            yield from ((error, None) for error in errors)
            yield from _export_patients(db, export, vocabulary)
        finally:
            db.close()


class _Runs:
    """Index rows for the lines of each patient: consecutive lines of one file about one patient make one row
    (an export usually lists a patient's resources together), written to the database in batches."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db, self.seq = db, 0
        self.rows: list[list] = []
        self.run: list | None = None  # [patient, seq, part, start, size, line, count] being extended

    def add(self, patient: str, first: bool, part: int, start: int, size: int, line: int) -> None:
        """One more line about ``patient`` (``first``: the Patient resource itself, read before the others)."""
        self.seq += 1
        run = self.run
        if run is not None and not first and run[0] == patient and run[2] == part and run[3] + run[4] == start:
            run[4] += size
            run[6] += 1
            return
        self.flush(len(self.rows) >= 5000)
        self.run = [patient, 0 if first else self.seq, part, start, size, line, 1]

    def flush(self, write: bool = True) -> None:
        """End the current run; with ``write``, store the rows gathered so far."""
        if self.run is not None:
            self.rows.append(self.run)
            self.run = None
        if write:
            self.db.executemany("INSERT INTO owned VALUES (?, ?, ?, ?, ?, ?, ?)", self.rows)
            self.rows.clear()


def _load_export(export: _Export, db: sqlite3.Connection) -> Iterator[PatientError]:
    runs = _Runs(db)
    for part, handle in enumerate(export.handles):
        for number, start, line in read_raw_lines(handle, export.names[part], PatientError):
            try:
                if isinstance(line, PatientError):
                    raise line
                kind, owner, key = _route(line, export.names[part], number)
            except PatientError as error:
                yield error
                continue
            patient = key if kind == "Patient" else owner
            if patient is not None:
                runs.add(patient, kind == "Patient", part, start, len(line), number)
                continue
            # shared: read now, so that an error is reported once, here
            resource = load_json_batch([line], [(export.names[part], number)], PatientError)[0]
            if isinstance(resource, PatientError):
                yield resource
                continue
            db.execute("INSERT OR REPLACE INTO shared VALUES (?, ?, ?, ?, ?)", (key, part, start, len(line), number))
    runs.flush()
    db.commit()


class _Reference(msgspec.Struct):
    """A Reference's text (the rest is skipped)."""

    reference: Any = None


class _Head(msgspec.Struct):
    """The fields that route a line to its patient; msgspec skips the rest of the line without building it."""

    resourceType: Any = None
    id: Any = None
    subject: _Reference | None = None
    patient: _Reference | None = None


_HEAD = msgspec.json.Decoder(_Head)


def _route(line: bytes, file: str, number: int) -> tuple[str, str | None, str]:
    """(resourceType, patient reference or None, ``Type/id``) of one NDJSON line.

    Only the routing fields are read here; the whole line is read strictly when its patient is read. A line that
    is not even JSON with a resourceType (and references as objects) is read strictly at once, for the error
    naming its place, or for the general reading of its references.
    """
    try:
        head = _HEAD.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        head = None
    if head is None or type(head.resourceType) is not str:
        resource = _resource(line, file, number)
        kind = str(resource["resourceType"])
        return kind, None if kind == "Patient" else patient_reference(resource), f"{kind}/{resource.get('id')}"
    kind = head.resourceType
    return kind, None if kind == "Patient" else _owner(head.subject) or _owner(head.patient), f"{kind}/{head.id}"


def _owner(reference: _Reference | None) -> str | None:
    """What :func:`~eligibility.patient.fhir_values.reference_key` makes of a reference (the usual one at once)."""
    text = reference.reference if reference is not None else None
    if type(text) is str and text.startswith("Patient/") and text.count("/") == 1 and text == text.strip():
        return text  # Patient/id
    return reference_key({"reference": text}) if reference is not None else None


def _export_patients(db: sqlite3.Connection, export: _Export, vocabulary: Vocabulary) -> Iterator[Result]:
    shared = _Shared(db, export)
    rows = db.execute("SELECT patient, part, start, size, line, count FROM owned ORDER BY patient, seq")
    for patient, lines in groupby(rows, key=itemgetter(0)):
        yield from _export_patient(patient, list(lines), shared, vocabulary)


def _export_patient(key: str, rows: list[tuple], shared: _Shared, vocabulary: Vocabulary) -> Iterator[Result]:
    resources, errors = shared.export.read(rows)
    yield from ((error, None) for error in errors)
    source = str(shared.export.folder)
    if not resources or resources[0].get("resourceType") != "Patient":
        first = f"{resources[0].get('resourceType')}/{resources[0].get('id', '?')}" if resources else key
        yield (
            PatientError(
                f"{len(resources)} resource(s) refer to {key}, which is not in Patient.ndjson (first: {first})",
                location=Location(source, where=first),
                hint="export the Patient resources too, or correct the references",
            ),
            None,
        )
        return
    group = PatientResources(resources[0], resources[1:], shared, source)  # type: ignore[arg-type]
    yield _mapped(group, vocabulary)
