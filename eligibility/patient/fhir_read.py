"""FHIR input, detected automatically: a Bundle ``.json`` (collection, searchset, transaction, batch, document),
an NDJSON file of Bundles, a folder of Bundles, or a Bulk Data export folder (``Patient.ndjson``,
``Observation.ndjson``, …).

A Bulk Data export is grouped by patient in bounded memory: every NDJSON line is parsed once and stored in a
temporary on-disk SQLite table keyed by its patient reference (resources without one, such as Medication, in a
second table looked up on demand), then read back patient by patient in key order. Memory holds one line and
one patient's resources at a time, whatever the size of the export.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from eligibility.errors import Location, PatientError
from eligibility.patient.contract import Patient
from eligibility.patient.fhir import FhirStats, PatientResources, fhir_patient, patients_from_resources
from eligibility.patient.fhir_records import patient_reference
from eligibility.vocab.vocabulary import Vocabulary

_DECODER = json.JSONDecoder(parse_float=Decimal)  # one decoder: json.loads would build one per call
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
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield from _bundle_text(line, f"{path}:{number}", vocabulary)
        return
    yield from _bundle_text(path.read_text(encoding="utf-8"), str(path), vocabulary)


def _bundle_text(text: str, source: str, vocabulary: Vocabulary) -> Iterator[Result]:
    try:
        groups = bundle_groups(_loads(text, source), source)
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


def _loads(text: str, source: str) -> dict:
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise PatientError(
            f"invalid JSON: {exc.msg}",
            location=Location(source, exc.lineno, exc.colno),
            hint="check brackets, commas and quotes",
        ) from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise PatientError(
            "not a FHIR resource (no resourceType)",
            location=Location(source),
            hint="give a FHIR R4 Bundle, or a patient in the eligibility JSON contract",
        )
    return data


def bundle_groups(bundle: dict, source: str) -> list[PatientResources]:
    """A Bundle's resources grouped by patient; :class:`PatientError` for a bundle that cannot be read."""
    kind = bundle.get("resourceType")
    if kind != "Bundle":
        raise PatientError(
            f"resourceType is {kind!r}, not 'Bundle'",
            location=Location(source),
            hint="give a FHIR R4 Bundle (or a Bulk Data export folder of NDJSON files)",
        )
    if bundle.get("type") not in _BUNDLE_TYPES:
        raise PatientError(
            f"Bundle type {bundle.get('type')!r} is not read",
            location=Location(source),
            hint=f"use one of {', '.join(sorted(_BUNDLE_TYPES))}",
        )
    entries = []
    for position, entry in enumerate(bundle.get("entry") or ()):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise PatientError(
                f"entry[{position}] has no resource with a resourceType",
                location=Location(source, where=f"entry[{position}]"),
                hint="every entry needs a resource with a resourceType",
            )
        if (entry.get("search") or {}).get("mode") == "outcome":
            continue
        entries.append((entry.get("fullUrl"), resource))
    return patients_from_resources(entries, source)


# --- Bulk Data export ---------------------------------------------------------------------------------------


class _Shared:
    """Resources without a patient (Medication, …), looked up by ``Type/id`` in the on-disk table."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, key: str, default: dict | None = None) -> dict | None:
        row = self.db.execute("SELECT body FROM shared WHERE key = ?", (key,)).fetchone()
        return _DECODER.decode(row[0]) if row else default


def read_bulk_export(folder: Path, vocabulary: Vocabulary) -> Iterator[Result]:
    """Patients of a Bulk Data export folder, grouped through an on-disk index (bounded memory)."""
    with tempfile.TemporaryDirectory(prefix="eligibility-bulk-") as scratch:
        db = sqlite3.connect(Path(scratch) / "index.sqlite")
        db.execute("PRAGMA journal_mode = OFF")  # scratch data: no journal, no syncing to disk
        db.execute("PRAGMA synchronous = OFF")
        try:
            db.execute("CREATE TABLE owned (patient TEXT, seq INTEGER, body TEXT)")
            db.execute("CREATE TABLE shared (key TEXT PRIMARY KEY, body TEXT)")
            errors = list(_load_export(folder, db))
            db.execute("CREATE INDEX owned_by ON owned (patient, seq)")
            yield from ((error, None) for error in errors)
            yield from _export_patients(db, str(folder), vocabulary)
        finally:
            db.close()


def _load_export(folder: Path, db: sqlite3.Connection) -> Iterator[PatientError]:
    seq = 0
    for path in sorted(folder.glob("*.ndjson")):
        owned, shared = [], []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    kind, owner, key = _route(line, f"{path}:{number}")
                except PatientError as error:
                    yield error
                    continue
                seq += 1
                if kind == "Patient":
                    owned.append((key, 0, line))
                elif owner is not None:
                    owned.append((owner, seq, line))
                else:
                    shared.append((key, line))
                if len(owned) + len(shared) >= 5000:
                    _flush(db, owned, shared)
        _flush(db, owned, shared)
    db.commit()


# A line's type, id and patient reference, read without parsing the whole resource when the line is in the
# usual shape (resourceType and id before anything nested); anything else is parsed in full.
_HEAD = re.compile(r'^\s*\{\s*"resourceType"\s*:\s*"(\w+)"\s*,\s*"id"\s*:\s*"([^"\\]+)"')
_OWNER = re.compile(r'"(?:subject|patient)"\s*:\s*\{\s*"reference"\s*:\s*"(Patient/[^"\\]+)"\s*[,}]')


def _route(line: str, source: str) -> tuple[str, str | None, str]:
    """(resourceType, patient reference or None, ``Type/id``) of one NDJSON line."""
    head = _HEAD.match(line)
    owners = _OWNER.findall(line) if head else ()
    if head and len(owners) <= 1 and '"contained"' not in line:
        kind, ident = head.groups()
        owner = owners[0] if owners else None
        return kind, (None if kind == "Patient" else owner), f"{kind}/{ident}"
    resource = _loads(line, source)
    kind = str(resource["resourceType"])
    return kind, patient_reference(resource), f"{kind}/{resource.get('id')}"


def _flush(db: sqlite3.Connection, owned: list, shared: list) -> None:
    db.executemany("INSERT INTO owned VALUES (?, ?, ?)", owned)
    db.executemany("INSERT OR REPLACE INTO shared VALUES (?, ?)", shared)
    owned.clear()
    shared.clear()


def _export_patients(db: sqlite3.Connection, source: str, vocabulary: Vocabulary) -> Iterator[Result]:
    shared = _Shared(db)
    current: str | None = None
    rows: list[str] = []
    for patient, body in db.execute("SELECT patient, body FROM owned ORDER BY patient, seq"):
        if patient != current and current is not None:
            yield _export_patient(current, rows, shared, source, vocabulary)
            rows = []
        current = patient
        rows.append(body)
    if current is not None:
        yield _export_patient(current, rows, shared, source, vocabulary)


def _export_patient(key: str, rows: list[str], shared: _Shared, source: str, vocabulary: Vocabulary) -> Result:
    resources = [_DECODER.decode(row) for row in rows]
    if resources[0].get("resourceType") != "Patient":
        first = f"{resources[0].get('resourceType')}/{resources[0].get('id', '?')}"
        return PatientError(
            f"{len(resources)} resource(s) refer to {key}, which is not in Patient.ndjson (first: {first})",
            location=Location(source, where=first),
            hint="export the Patient resources too, or correct the references",
        ), None
    group = PatientResources(resources[0], resources[1:], shared, source)  # type: ignore[arg-type]
    return _mapped(group, vocabulary)
