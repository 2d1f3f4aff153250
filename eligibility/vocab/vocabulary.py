"""Vocabulary as data: measures (labs, scores, vitals) and concepts (conditions, medications, procedures,
immunizations, events), read from YAML files that authors can extend without touching code.

Names are looked up by canonical id, by any English or Chinese alias, or by LOINC code, ignoring case, width
and spacing. Concepts form an is-a hierarchy ("BCG vaccine" is a "live vaccine"), closed once at load time.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eligibility.errors import EligibilityError, Location, VocabularyError
from eligibility.inputs import read_yaml_mapping
from eligibility.resources import data_path
from eligibility.vocab.codes import ICD10CM, LOINC, SNOMED, CodeFile, CodeTable

_SPACES = re.compile(r"\s+")
_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "’": "'", "‘": "'"})


@lru_cache(maxsize=16384)
def name_key(text: str) -> str:
    """The form names are compared in: NFKC, case-folded, one space, unified dashes and quotes (cached)."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    return _SPACES.sub(" ", text).strip()


class MeasureDef(BaseModel):
    """A measurable quantity: canonical id and unit, aliases, LOINC code, analyte constants."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: Literal["lab", "score", "vital", "body", "function"]
    unit: str = ""
    loinc: str | None = None
    aliases: tuple[str, ...] = ()
    molar_mass: Decimal | None = None
    valence: int | None = None
    values: tuple[str, ...] | None = None
    # How long a result stays valid: ``ever`` (a lifetime test) or a duration (``6 months``); unset: the lab
    # recency window of the trial or the run.
    valid_for: str | None = Field(default=None, pattern=r"^(ever|\d+(\.\d+)? (hour|day|week|month|year)s?)$")
    # Which way is an improvement (``lower`` for mRS or EDSS, ``higher`` for LVEF or GCS), for trends; unset: none.
    better: Literal["lower", "higher"] | None = None
    # The range a threshold of this measure can sensibly take, in its canonical unit (``[30, 250]`` g/L for
    # hemoglobin): drafting leaves a threshold outside it for review ("hemoglobin < 9 mg/dl" is a slip for g/dL).
    plausible: tuple[Decimal, Decimal] | None = None

    @property
    def qualitative(self) -> bool:
        """True for tests reported as words (positive/negative) rather than numbers."""
        return self.values is not None


class ConceptDef(BaseModel):
    """A condition, medication, procedure, immunization or event, with aliases and is-a parents."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    category: Literal["condition", "medication", "procedure", "immunization", "event"]
    aliases: tuple[str, ...] = ()
    is_a: tuple[str, ...] = ()


_Model = TypeVar("_Model", bound=BaseModel)


class _MeasureFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measures: list[MeasureDef] = []


class _ConceptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concepts: list[ConceptDef] = []


class Vocabulary:
    """Measures and concepts with their lookup indexes and the closed is-a hierarchy."""

    def __init__(
        self, measures: Iterable[MeasureDef], concepts: Iterable[ConceptDef], codes: Iterable[CodeFile] = ()
    ) -> None:
        self.measures: dict[str, MeasureDef] = {m.id: m for m in measures}
        self.concepts: dict[str, ConceptDef] = {c.id: c for c in concepts}
        self._measure_index = self._index_measures()
        self._concept_index = self._index_concepts()
        self._ancestors = {cid: self._closure(cid) for cid in self.concepts}
        self.codes = self._code_table(codes)

    # --- lookups ---------------------------------------------------------------------------------------
    def measure(self, name: str) -> MeasureDef | None:
        """The measure called ``name`` (id, alias or LOINC code), or None."""
        measure_id = self._measure_index.get(name_key(name))
        return self.measures[measure_id] if measure_id else None

    def concept(self, name: str, category: str | None = None) -> ConceptDef | None:
        """The concept called ``name`` (id or alias), preferring ``category`` when names are shared."""
        ids = self._concept_index.get(name_key(name), ())
        for concept_id in ids:
            if category is None or self.concepts[concept_id].category == category:
                return self.concepts[concept_id]
        return None

    def measure_for_code(self, system: str, code: str) -> MeasureDef | None:
        """The measure a coded observation (e.g. LOINC ``6690-2``) is about, or None."""
        ids = self.codes.lookup(system, code)
        return self.measures.get(ids[0]) if ids and ids[0] in self.measures else None

    def concepts_for_code(self, system: str, code: str, category: str | None = None) -> list[ConceptDef]:
        """The concepts a code stands for (an RxNorm product: each ingredient), optionally of one category."""
        found = [self.concepts[i] for i in self.codes.lookup(system, code) if i in self.concepts]
        return [c for c in found if category is None or c.category == category]

    def ancestors(self, concept_id: str) -> frozenset[str]:
        """The concept and everything it is a kind of."""
        return self._ancestors.get(concept_id, frozenset({concept_id}))

    def descendants(self, concept_id: str) -> frozenset[str]:
        """The concept and every kind of it (the reverse of :meth:`ancestors`)."""
        index = self.__dict__.get("_descendants")
        if index is None:
            found: dict[str, set[str]] = {}
            for kind, ancestors in self._ancestors.items():
                for ancestor in ancestors:
                    found.setdefault(ancestor, set()).add(kind)
            index = self.__dict__["_descendants"] = {k: frozenset(v) for k, v in found.items()}
        return index.get(concept_id, frozenset({concept_id}))

    def suggest_measures(self, name: str, limit: int = 3) -> list[str]:
        """Close spellings of a measure name, for "did you mean" messages (canonical ids)."""
        hits = difflib.get_close_matches(name_key(name), list(self._measure_index), n=limit * 3, cutoff=0.6)
        return list(dict.fromkeys(self._measure_index[h] for h in hits))[:limit]

    def suggest_concepts(self, name: str, category: str | None = None, limit: int = 3) -> list[str]:
        """Close spellings of a concept name (canonical ids)."""
        keys = [
            k
            for k, ids in self._concept_index.items()
            if category is None or any(self.concepts[i].category == category for i in ids)
        ]
        hits = difflib.get_close_matches(name_key(name), keys, n=limit * 3, cutoff=0.6)
        found = [
            i for h in hits for i in self._concept_index[h] if category is None or self.concepts[i].category == category
        ]
        return list(dict.fromkeys(found))[:limit]

    def measure_names(self) -> dict[str, str]:
        """Every normalised measure name (id, alias, LOINC) → measure id."""
        return dict(self._measure_index)

    def concept_names(self) -> dict[str, tuple[str, ...]]:
        """Every normalised concept name (id, alias) → concept ids."""
        return dict(self._concept_index)

    # --- building --------------------------------------------------------------------------------------
    def _index_measures(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for measure in self.measures.values():
            names = (measure.id, measure.name, *measure.aliases, *((measure.loinc,) if measure.loinc else ()))
            for alias in names:
                index.setdefault(name_key(alias), measure.id)
        return index

    def _index_concepts(self) -> dict[str, tuple[str, ...]]:
        index: dict[str, tuple[str, ...]] = {}
        for concept in self.concepts.values():
            for alias in (concept.id, concept.name, *concept.aliases):
                key = name_key(alias)
                if concept.id not in index.get(key, ()):
                    index[key] = (*index.get(key, ()), concept.id)
        return index

    def _code_table(self, files: Iterable[CodeFile]) -> CodeTable:
        table = CodeTable()
        for measure in self.measures.values():
            if measure.loinc:
                table.add(LOINC, measure.loinc, (measure.id,))
        for file in files:
            known = self.measures if file.target == "measure" else self.concepts
            for code, ids in file.entries():
                unknown = [i for i in ids if i not in known]
                if unknown:
                    raise EligibilityError(
                        f"{file.name} code {code!r} names unknown {file.target} {', '.join(unknown)}",
                        hint=f"add the {file.target} to the vocabulary or correct the id",
                    )
                table.add(file.system, code, ids, hierarchical=file.hierarchy == "icd10")
            table.targets[file.system] = file.target
        return table

    def _closure(self, concept_id: str) -> frozenset[str]:
        seen, stack = set(), [concept_id]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.concepts:
                continue
            seen.add(current)
            stack.extend(self.concepts[current].is_a)
        return frozenset(seen)


def _yaml(path: Path) -> dict:
    """The mapping in a vocabulary file, read through the input boundary."""
    return read_yaml_mapping(path, "vocabulary file", VocabularyError)


def _read(path: Path, model: type[_Model]) -> _Model:
    try:
        return model.model_validate(_yaml(path))
    except (yaml.YAMLError, ValidationError) as exc:
        raise EligibilityError(
            f"invalid vocabulary file: {exc}",
            location=Location(file=str(path)),
            hint="see the field descriptions at the top of the bundled vocabulary files",
        ) from None


def _bundled(pattern: str) -> list[Path]:
    return sorted(data_path("").glob(pattern))


class _DerivedConcept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    doid: str = ""  # the Disease Ontology term, or
    icd: str = ""  # the ICD-10-CM code whose title or inclusion term names it
    name: str
    aliases: tuple[str, ...] = ()
    is_a: tuple[str, ...] = ()


class _DerivedFile(BaseModel):
    """A vocabulary derived from an open terminology by a script (``concepts_do.json``): concepts, extra
    parents of hand-written concepts, ICD-10-CM codes (a code covers its descendants) and SNOMED CT codes
    (each code only itself)."""

    model_config = ConfigDict(extra="forbid")
    about: dict[str, str]
    concepts: list[_DerivedConcept]
    broader: dict[str, list[str]]
    codes: dict[str, list[str]]
    snomed: dict[str, list[str]] = {}
    aliases: dict[str, list[str]] = {}  # concept (hand-written or derived) → more names (acronyms)


DERIVED = "concepts_do.json"
# Derived vocabularies, in the order they are added: Disease Ontology conditions, then ICD-10-CM findings.
DERIVED_FILES = (DERIVED, "concepts_icd.json")


def _add_derived(concepts: dict[str, ConceptDef], codes: list[CodeFile], path: Path) -> None:
    """Add the derived conditions after every other concept (a concept of the same id, and the first concept of a
    shared name, win), the derived parents of hand-written concepts, and the derived ICD-10-CM codes."""
    try:
        derived = _DerivedFile.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise EligibilityError(f"invalid derived vocabulary: {exc}", location=Location(file=str(path))) from None
    for concept_id, parents in derived.broader.items():
        if concept_id in concepts:
            known = concepts[concept_id]
            concepts[concept_id] = known.model_copy(update={"is_a": (*known.is_a, *parents)})
    for concept in derived.concepts:
        if concept.id not in concepts:
            concepts[concept.id] = ConceptDef(
                id=concept.id, name=concept.name, category="condition", aliases=concept.aliases, is_a=concept.is_a
            )
    for concept_id, names in derived.aliases.items():
        if concept_id in concepts:
            known = concepts[concept_id]
            concepts[concept_id] = known.model_copy(update={"aliases": (*known.aliases, *names)})
    about = derived.about
    codes.append(
        CodeFile(
            system=ICD10CM,
            name=f"ICD-10-CM ({path.name})",
            source=about["source"],
            licence=about["licence"],
            target="concept",
            hierarchy="icd10",
            codes=dict(derived.codes),
        )
    )
    if derived.snomed:
        codes.append(
            CodeFile(
                system=SNOMED,
                name=f"SNOMED CT ({path.name})",
                source=about["source"],
                licence=about["licence"],
                target="concept",
                codes=dict(derived.snomed),
            )
        )


def load_vocabulary(
    extra: Iterable[Path] = (), derived: bool = True, derived_files: tuple[str, ...] = DERIVED_FILES
) -> Vocabulary:
    """The bundled vocabulary (``measures*.yaml``, ``concepts*.yaml``, ``codes_*.yaml`` and, unless ``derived``
    is false, the conditions derived from the Disease Ontology and the findings derived from ICD-10-CM,
    ``derived_files``), extended (and overridden by id) by any extra YAML files of measures, concepts or codes."""
    measures: dict[str, MeasureDef] = {}
    concepts: dict[str, ConceptDef] = {}
    codes: list[CodeFile] = []
    for path in _bundled("measures*.yaml"):
        measures.update({m.id: m for m in _read(path, _MeasureFile).measures})
    for path in _bundled("concepts*.yaml"):
        concepts.update({c.id: c for c in _read(path, _ConceptFile).concepts})
    codes.extend(_read(path, CodeFile) for path in _bundled("codes_*.yaml"))
    for path in extra:
        data = _yaml(Path(path))
        if "measures" in data:
            measures.update({m.id: m for m in _read(Path(path), _MeasureFile).measures})
        if "concepts" in data:
            concepts.update({c.id: c for c in _read(Path(path), _ConceptFile).concepts})
        if "system" in data:
            codes.append(_read(Path(path), CodeFile))
    for name in derived_files if derived else ():
        if data_path(name).exists():
            _add_derived(concepts, codes, data_path(name))
    return Vocabulary(measures.values(), concepts.values(), codes)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The bundled vocabulary, loaded once per process."""
    return load_vocabulary()
