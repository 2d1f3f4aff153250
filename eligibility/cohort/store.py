"""The columnar record store: the normalised patient (:mod:`eligibility.patient.index`) as tables.

Rows are written from :func:`~eligibility.patient.index.index_patient`, the same code the in-process evaluator
uses, so units are already in each measure's canonical unit and codes are concepts. Values are exact rationals
(numerator and denominator integers, denominator positive), never floats. The index is built without a
reference date (every dated record is kept); queries apply the reference date, as the in-process index does.

The patient's birth is stored as the earliest and latest possible birth date (``birth_low``, ``birth_high``:
equal for a known date, a year or month apart for ``birth_partial``, NULL when unknown). A record's ``stop`` is
NULL while it is ongoing (status ``active``) or, for a medication ended on a day not known, with status
``resolved``. A medication's dose is stored in its basis (``dose_num``/``dose_den`` mg/day or mg/kg/day, named in
``dose_basis``; NULL when the record has no usable dose).

Tables: patients, observations, conditions, medications, procedures, immunizations, events (one per record
category), negations, completeness, concept_ancestors. A store is a DuckDB file or a folder of Parquet files.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from fractions import Fraction
from pathlib import Path

from eligibility.errors import EligibilityError, Location, PatientError
from eligibility.lang.ast import CATEGORIES
from eligibility.patient.contract import Patient
from eligibility.patient.index import Occurrence, PatientIndex, index_patient
from eligibility.vocab.vocabulary import Vocabulary

NO_REFERENCE_DATE = date.max  # index without dropping anything dated: the query applies the reference date
INT64 = 2**63 - 1
RECORD_COLUMNS = "patient_id VARCHAR, concept VARCHAR, code VARCHAR, start DATE, stop DATE, status VARCHAR"
SCHEMA: dict[str, str] = {
    "patients": (
        "seq BIGINT, patient_id VARCHAR, as_of DATE, birth_low DATE, birth_high DATE, age INTEGER, sex VARCHAR, "
        "source VARCHAR"
    ),
    "observations": (
        "patient_id VARCHAR, measure VARCHAR, rank INTEGER, date DATE, value_num BIGINT, value_den BIGINT, "
        "value_text VARCHAR, low_num BIGINT, low_den BIGINT, high_num BIGINT, high_den BIGINT"
    ),
    **{f"{category}s": RECORD_COLUMNS for category in CATEGORIES},
    "medications": RECORD_COLUMNS + ", dose_num BIGINT, dose_den BIGINT, dose_basis VARCHAR",
    "negations": "patient_id VARCHAR, category VARCHAR, concept VARCHAR, status VARCHAR",
    "completeness": "patient_id VARCHAR, category VARCHAR",
    "concept_ancestors": "concept VARCHAR, ancestor VARCHAR",
}


def _text(value) -> str:
    return "" if value is None else str(value)


def _ratio(value: Fraction | None, place: str, patient: str) -> tuple[str, str]:
    if value is None:
        return "", ""
    if abs(value.numerator) > INT64 or value.denominator > INT64:
        raise PatientError(
            f"{place}: value {value} has too many digits for the record store",
            location=Location(where=f"patient {patient}"),
            hint="round the value to fewer significant digits",
        )
    return str(value.numerator), str(value.denominator)


def patient_rows(index: PatientIndex, seq: int = 0) -> dict[str, list[list[str]]]:
    """The rows of every table for one indexed patient (CSV cells: empty for NULL)."""
    person, pid = index.patient, index.id
    source = person.model_dump_json(exclude_defaults=True)
    rows: dict[str, list[list[str]]] = {name: [] for name in SCHEMA if name != "concept_ancestors"}
    earliest_birth, latest_birth = person.birth_range() or (None, None)
    rows["patients"].append(
        [
            str(seq),
            pid,
            _text(person.as_of),
            _text(earliest_birth),
            _text(latest_birth),
            _text(person.age),
            _text(person.sex),
            source,
        ]
    )
    for measure, readings in index.readings.items():
        for rank, reading in enumerate(readings):
            numeric = not isinstance(reading.value, str)
            value = _ratio(reading.value if numeric else None, reading.place, pid)  # type: ignore[arg-type]
            text = "" if numeric else str(reading.value)
            low, high = _ratio(reading.low, reading.place, pid), _ratio(reading.high, reading.place, pid)
            rows["observations"].append([pid, measure, str(rank), str(reading.date), *value, text, *low, *high])
    for category, by_concept in index.records.items():
        for occurrence in _unique(by_concept.values()):
            start, stop = _text(occurrence.start), _text(occurrence.end)
            row = [pid, occurrence.concept, occurrence.code, start, stop, occurrence.status]
            if category == "medication":
                row += _dose_cells(occurrence, pid)
            rows[f"{category}s"].append(row)
    for category, negated in index.negations.items():
        rows["negations"] += [[pid, category, concept, status] for concept, status in negated.items()]
    rows["completeness"] += [[pid, category] for category in sorted(index.complete)]
    return rows


def _dose_cells(occurrence: Occurrence, patient: str) -> list[str]:
    """``dose_num``, ``dose_den``, ``dose_basis`` of a medication record (empty when it has no usable dose)."""
    dose = occurrence.dose
    if dose is None:
        return ["", "", ""]
    return [*_ratio(dose.value, occurrence.place, patient), dose.basis]


def _unique(groups: Iterable[list[Occurrence]]) -> Iterator[Occurrence]:
    """Each occurrence once (the index lists an occurrence under every concept it is a kind of)."""
    seen: set[str] = set()
    for group in groups:
        for occurrence in group:
            if occurrence.place not in seen:
                seen.add(occurrence.place)
                yield occurrence


def ancestor_rows(vocabulary: Vocabulary) -> list[list[str]]:
    """(concept, ancestor) for every concept and everything it is a kind of (itself included)."""
    return [[c, a] for c in sorted(vocabulary.concepts) for a in sorted(vocabulary.ancestors(c))]


class StoreWriter:
    """Writes indexed patients into CSV spools, then into a DuckDB database file or a Parquet folder."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._folder = tempfile.TemporaryDirectory(prefix="eligibility-store-")
        self._handles = {name: open(self._path(name), "w", newline="", encoding="utf-8") for name in SCHEMA}
        self._writers = {name: csv.writer(handle) for name, handle in self._handles.items()}
        self._writers["concept_ancestors"].writerows(ancestor_rows(vocabulary))
        self.count = 0

    def _path(self, name: str) -> str:
        return os.path.join(self._folder.name, f"{name}.csv")

    def add(self, patient: Patient) -> list[str]:
        """Index and spool one patient; returns the warnings about its data."""
        index = index_patient(patient, self.vocabulary, NO_REFERENCE_DATE)
        self.add_rows(patient_rows(index, self.count))
        return index.warnings

    def add_rows(self, rows: dict[str, list[list[str]]]) -> None:
        """Spool one patient's rows, made by :func:`patient_rows` (elsewhere, e.g. in a worker process) with
        ``seq`` equal to :attr:`count`."""
        for name, table_rows in rows.items():
            self._writers[name].writerows(table_rows)
        self.count += 1

    def write(self, target: Path, connection=None) -> None:
        """Write the tables to ``target``: a ``.duckdb``/``.db`` file, else a folder of Parquet files.

        With ``connection`` (a DuckDB connection), the tables are created in it instead and ``target`` is unused.
        """
        import duckdb

        for handle in self._handles.values():
            handle.close()
        parquet = connection is None and not str(target).endswith((".duckdb", ".db"))
        if connection is None and not parquet and Path(target).exists():
            Path(target).unlink()
        con = connection or duckdb.connect(":memory:" if parquet else str(target))
        try:
            for name, columns in SCHEMA.items():
                _load_table(con, name, columns, self._path(name))
            if parquet:
                Path(target).mkdir(parents=True, exist_ok=True)
                for name in SCHEMA:
                    con.execute(f"COPY {name} TO '{Path(target) / name}.parquet' (FORMAT PARQUET)")
        finally:
            if connection is None:
                con.close()
            self._folder.cleanup()


def _load_table(con, name: str, columns: str, path: str) -> None:
    types = {c.split()[0]: c.split()[1] for c in (part.strip() for part in columns.split(","))}
    con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if os.path.getsize(path):
        spec = json.dumps(types).replace('"', "'")
        con.execute(
            f"INSERT INTO {name} SELECT * FROM read_csv(?, header=false, columns={spec}, nullstr='', quote='\"', "
            "escape='\"', auto_detect=false)",
            [path],
        )


def open_store(path: Path):
    """A DuckDB connection over a store: the database file, or views over a Parquet folder."""
    import duckdb

    path = Path(path)
    if path.is_dir():
        con = duckdb.connect(":memory:")
        for name in SCHEMA:
            file = path / f"{name}.parquet"
            if not file.exists():
                raise EligibilityError(
                    f"not a record store: {file.name} is missing",
                    location=Location(file=str(path)),
                    hint="create the store with `eligibility load PATIENTS --into FOLDER`",
                )
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{file}')")
        return con
    if not path.exists():
        raise EligibilityError(
            "no such record store", location=Location(file=str(path)), hint="create it with `eligibility load`"
        )
    return duckdb.connect(str(path), read_only=True)
