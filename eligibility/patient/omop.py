"""OMOP CDM input, detected automatically: a DuckDB database file holding a ``person`` table, or a folder of
OMOP tables as CSV (``person.csv``, ``measurement.csv.gz``, … any case, delimiter sniffed) or Parquet files.

Each person becomes one contract patient (:mod:`eligibility.patient.omop_records` maps the rows), so screening
and the record store normalise OMOP data with the same code as any other patient. Tables read: ``person``,
``observation_period`` (the end of the last period is the patient's ``as_of``), ``measurement``,
``observation``, ``condition_occurrence``, ``drug_exposure``, ``procedure_occurrence``, and ``concept`` for
every concept id. Missing clinical tables are read as empty; ``person`` and ``concept`` are required.

Memory stays bounded whatever the size of the tables: DuckDB copies the rows, joined to their concepts and
sorted by person, into a scratch database on disk (spilling to disk as it sorts), and persons are then read
back in blocks of consecutive ids, each block's rows fetched by a range scan of the sorted tables.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eligibility.errors import EligibilityError, Location, PatientError
from eligibility.patient.contract import Patient, PatientSource, validate_patient
from eligibility.patient.omop_records import RecordMapper
from eligibility.vocab.vocabulary import Vocabulary

BLOCK = 1000  # persons read back per block
_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet")


@dataclass(frozen=True)
class TableSpec:
    """The columns read from one clinical table: its row id, columns kept as they are, columns read under
    another name, and concept id columns (by prefix: ``c`` standard, ``s`` source, ``u`` unit, ``v`` value)."""

    id_column: str
    kept: tuple[str, ...]
    renamed: dict[str, str]  # staged name → OMOP column
    concepts: dict[str, str]  # prefix → concept id column


def _spec(table: str, prefix: str, kept: tuple[str, ...], result: bool = False, value_text: str = "") -> TableSpec:
    renamed = {"source_value": f"{prefix}_source_value"}
    concepts = {"c": f"{prefix}_concept_id", "s": f"{prefix}_source_concept_id"}
    if result:
        renamed.update(value_text=value_text, unit_source="unit_source_value")
        concepts.update(u="unit_concept_id", v="value_as_concept_id")
    return TableSpec(f"{table}_id", kept, renamed, concepts)


TABLES: dict[str, TableSpec] = {
    "measurement": _spec(
        "measurement",
        "measurement",
        ("measurement_date", "value_as_number", "range_low", "range_high"),
        True,
        "value_source_value",
    ),
    "condition_occurrence": _spec("condition_occurrence", "condition", ("condition_start_date", "condition_end_date")),
    "drug_exposure": _spec("drug_exposure", "drug", ("drug_exposure_start_date", "drug_exposure_end_date")),
    "procedure_occurrence": _spec("procedure_occurrence", "procedure", ("procedure_date",)),
    "observation": _spec(
        "observation", "observation", ("observation_date", "value_as_number"), True, "value_as_string"
    ),
}
PERSON = ("person_id", "gender_concept_id", "year_of_birth", "month_of_birth", "day_of_birth")


def _table_stem(path: Path) -> str | None:
    name = path.name.lower()
    return next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), None)


def is_omop(path: Path) -> bool:
    """True for a folder holding a ``person`` table file, or a DuckDB file holding a ``person`` table."""
    if path.is_dir():
        return any(_table_stem(child) == "person" and child.is_file() for child in path.iterdir())
    if not (path.is_file() and path.suffix.lower() in (".duckdb", ".db")):
        return False
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            found = con.execute("SELECT 1 FROM information_schema.tables WHERE lower(table_name) = 'person'")
            return found.fetchone() is not None
    except duckdb.Error:
        return False


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class OmopSource:
    """The OMOP tables of a folder or DuckDB file, as views ``src_<table>`` in a scratch DuckDB database."""

    def __init__(self, path: Path, scratch: Path) -> None:
        import duckdb

        self.path, self.place = path, str(path)
        self.con = duckdb.connect(str(scratch / "omop.duckdb"))
        self.con.execute(f"SET temp_directory = {_quoted(str(scratch / 'spill'))}")
        self.files: dict[str, str] = {}  # table → file or table name, for messages
        try:
            self._folder() if path.is_dir() else self._database()
        except duckdb.Error as exc:
            self.con.close()
            raise PatientError(
                f"cannot read the OMOP tables: {str(exc).splitlines()[0]}",
                location=Location(file=self.place),
                hint="give a folder of OMOP CSV/Parquet tables or a DuckDB file with them",
            ) from None
        self.columns = {t: self._columns(t) for t in self.files}
        for required in ("person", "concept"):
            if required not in self.files:
                raise PatientError(
                    f"no {required} table",
                    location=Location(file=self.place),
                    hint=f"OMOP input needs the {required} table ({required}.csv, {required}.parquet or a table)",
                )

    def _folder(self) -> None:
        for child in sorted(self.path.iterdir()):
            stem = _table_stem(child)
            if stem is None or stem in self.files or not child.is_file():
                continue
            reader = (
                f"read_parquet({_quoted(str(child))})"
                if child.name.lower().endswith(".parquet")
                else f"read_csv({_quoted(str(child))}, all_varchar = true, header = true)"
            )
            self.con.execute(f"CREATE VIEW {_name('src_' + stem)} AS SELECT * FROM {reader}")
            self.files[stem] = child.name

    def _database(self) -> None:
        self.con.execute(f"ATTACH {_quoted(str(self.path))} AS omop_source (READ_ONLY)")
        rows = self.con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'omop_source' "
            "ORDER BY table_schema = 'main' DESC, table_schema"
        ).fetchall()
        for schema, table in rows:
            stem = table.lower()
            if stem not in self.files:
                self.con.execute(
                    f"CREATE VIEW {_name('src_' + stem)} AS SELECT * FROM omop_source.{_name(schema)}.{_name(table)}"
                )
                self.files[stem] = f"{self.path.name}:{schema}.{table}"

    def _columns(self, table: str) -> dict[str, str]:
        described = self.con.execute(f"DESCRIBE SELECT * FROM {_name('src_' + table)}").fetchall()
        return {row[0].lower(): row[0] for row in described}

    def column(self, table: str, column: str, required: bool = False) -> str:
        """The SQL for ``column`` of ``table`` as text (NULL when the table lacks an optional column)."""
        actual = self.columns[table].get(column)
        if actual is None:
            if required:
                raise PatientError(
                    f"the {table} table has no {column} column",
                    location=Location(file=self.place, where=self.files[table]),
                    hint="OMOP CDM tables need their standard column names (any case)",
                )
            return "CAST(NULL AS VARCHAR)"
        return f"CAST(t.{_name(actual)} AS VARCHAR)"

    # --- staging: rows joined to their concepts, sorted by person ----------------------------------------
    def stage(self) -> list[str]:
        """Copy person, concept and the clinical tables present into sorted scratch tables; the tables staged."""
        concept = {k: self.column("concept", k, True) for k in ("concept_id", "vocabulary_id", "concept_code")}
        name = self.column("concept", "concept_name")
        self.con.execute(
            f"CREATE TABLE s_concept AS SELECT TRY_CAST({concept['concept_id']} AS BIGINT) AS concept_id, "
            f"{concept['vocabulary_id']} AS vocabulary_id, {concept['concept_code']} AS concept_code, "
            f"{name} AS concept_name FROM src_concept t"
        )
        person = ", ".join(f"{self.column('person', c, c in ('person_id', 'year_of_birth'))} AS {c}" for c in PERSON)
        period = "(SELECT NULL AS person_key, NULL AS period_end) AS op"
        if "observation_period" in self.files:
            key = self.column("observation_period", "person_id", True).replace("t.", "")
            end = self.column("observation_period", "observation_period_end_date", True).replace("t.", "")
            period = (
                f"(SELECT TRY_CAST({key} AS BIGINT) AS person_key, MAX(TRY_CAST(left({end}, 10) AS DATE)) AS "
                "period_end FROM src_observation_period GROUP BY 1) AS op"
            )
        self.con.execute(
            f"CREATE TABLE s_person AS SELECT TRY_CAST(t.person_id AS BIGINT) AS person_key, t.*, "
            f"CAST(op.period_end AS VARCHAR) AS observation_period_end FROM (SELECT {person} FROM src_person t) AS t "
            f"LEFT JOIN {period} ON op.person_key = TRY_CAST(t.person_id AS BIGINT) ORDER BY person_key, t.person_id"
        )
        staged = []
        for table, spec in TABLES.items():
            if table in self.files:
                self.con.execute(f"CREATE TABLE {_name('s_' + table)} AS {self._select(table, spec)}")
                staged.append(table)
        return staged

    def _select(self, table: str, spec: TableSpec) -> str:
        columns = [
            f"TRY_CAST({self.column(table, 'person_id', True)} AS BIGINT) AS person_key",
            f"{self.column(table, 'person_id', True)} AS person_id",
            f"{self.column(table, spec.id_column, True)} AS row_id",
            *(f"{self.column(table, c, c == spec.kept[0])} AS {c}" for c in spec.kept),  # the first: the date
            *(f"{self.column(table, c)} AS {alias}" for alias, c in spec.renamed.items()),
        ]
        joins = []
        for prefix, column in spec.concepts.items():
            concept_id = self.column(table, column, prefix == "c")
            columns.append(f"{concept_id} AS {prefix}_id")
            columns += [f"{prefix}.vocabulary_id AS {prefix}_vocabulary", f"{prefix}.concept_code AS {prefix}_code"]
            columns.append(f"{prefix}.concept_name AS {prefix}_name")
            joins.append(f"LEFT JOIN s_concept AS {prefix} ON {prefix}.concept_id = TRY_CAST({concept_id} AS BIGINT)")
        return (
            f"SELECT {', '.join(columns)} FROM {_name('src_' + table)} AS t {' '.join(joins)} "
            "ORDER BY person_key, TRY_CAST(row_id AS BIGINT), row_id"
        )

    def orphans(self, table: str) -> PatientError | None:
        """An error for the rows of ``table`` whose person is not in ``person`` (or whose person_id is not a
        number), or None."""
        found = self.con.execute(
            f"SELECT count(*) OVER (), row_id, person_id FROM {_name('s_' + table)} AS r WHERE person_key IS NULL "
            "OR NOT EXISTS (SELECT 1 FROM s_person AS p WHERE p.person_key = r.person_key) "
            "ORDER BY TRY_CAST(row_id AS BIGINT), row_id LIMIT 1"
        ).fetchone()
        if found is None:
            return None
        count, first, person = found
        return PatientError(
            f"{count} row(s) refer to no person of the person table (first: {table} {first}, person_id {person})",
            location=Location(file=self.place, where=self.files[table]),
            hint="load the person rows too, or correct the person_id of those rows",
        )

    def rows(self, query: str, parameters: list) -> Iterator[dict]:
        """The rows of a query as dicts."""
        cursor = self.con.execute(query, parameters)
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            yield dict(zip(names, row, strict=True))


def read_omop(path: Path, vocabulary: Vocabulary) -> Iterator[Patient | EligibilityError]:
    """One contract patient per person of an OMOP folder or DuckDB file, in person_id order; the
    :class:`PatientError` of each person (or group of rows) that cannot be read, in its place."""
    with tempfile.TemporaryDirectory(prefix="eligibility-omop-") as scratch:
        source = OmopSource(path, Path(scratch))
        try:
            tables = source.stage()
            for table in tables:
                error = source.orphans(table)
                if error is not None:
                    yield error
            yield from _persons(source, tables, vocabulary)
        finally:
            source.con.close()


def _persons(source: OmopSource, tables: list[str], vocabulary: Vocabulary) -> Iterator[Patient | EligibilityError]:
    last: int | None = None
    while True:
        after = "" if last is None else "WHERE person_key > ?"
        query = f"SELECT * FROM s_person {after} ORDER BY person_key LIMIT {BLOCK}"
        block = [p for p in source.rows(query, [last] if after else []) if p["person_key"] is not None]
        if last is None:
            for bad in source.rows("SELECT person_id FROM s_person WHERE person_key IS NULL", []):
                yield PatientError(
                    f"person_id {bad['person_id']!r} is not a number",
                    location=Location(file=source.place, where=source.files["person"]),
                    hint="OMOP person_id values are integers",
                )
        if not block:
            return
        low, high = block[0]["person_key"], block[-1]["person_key"]
        rows: dict[str, dict[int, list[dict]]] = {}
        for table in tables:
            grouped = rows[table] = {}
            query = f"SELECT * FROM {_name('s_' + table)} WHERE person_key BETWEEN ? AND ?"
            for row in source.rows(query + " ORDER BY person_key, TRY_CAST(row_id AS BIGINT), row_id", [low, high]):
                grouped.setdefault(row["person_key"], []).append(row)
        previous = last
        for person in block:
            key = person["person_key"]
            if key == previous:
                yield PatientError(
                    "the person appears more than once in the person table",
                    location=Location(file=source.place, where=f"person {key}"),
                    hint="keep one row per person_id",
                )
                continue
            previous = key
            yield _patient(person, {t: rows[t].get(key, []) for t in tables}, source.place, vocabulary)
        last = high


def _patient(person: dict, rows: dict[str, list[dict]], place: str, vocabulary: Vocabulary) -> Patient | PatientError:
    mapper = RecordMapper(vocabulary)
    try:
        data = mapper.person(person, place)
        for table, table_rows in rows.items():
            for row in table_rows:
                mapper.add(table, row)
        data.update({k: v for k, v in mapper.lists.items() if v})
        data["warnings"] = mapper.warnings
        return validate_patient(data, PatientSource(place))
    except PatientError as error:
        where = f"person {person['person_key']}" + (f", {error.location.where}" if error.location.where else "")
        return PatientError(error.message, location=Location(file=place, where=where), hint=error.hint)
