"""Codes of standard terminologies bound to the vocabulary, as data (``eligibility/data/codes_*.yaml``).

Each code file names one system (LOINC, SNOMED CT, ICD-10-CM, RxNorm, CVX, …), where its codes come from and
under which licence, and maps codes to measure ids (LOINC) or concept ids (everything else). A code may map to
several concepts (an RxNorm product to each of its ingredients). ICD-10-CM codes are hierarchical: a code in a
file covers its descendants (``G04.81`` covers ``G04.811``), and a range of categories (``C00-C96``) covers
every code in those categories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"

_RANGE = re.compile(r"^([A-Z][0-9][0-9A-Z])-([A-Z][0-9][0-9A-Z])$")


class CodeFile(BaseModel):
    """One code file: the system, its provenance, and code → id(s)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    system: str = Field(min_length=1)
    name: str
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    target: Literal["measure", "concept"]
    hierarchy: Literal["exact", "icd10"] = "exact"
    codes: dict[str, str | list[str]]

    def entries(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        """Every (code, ids) pair, ids as a tuple."""
        for code, ids in self.codes.items():
            yield str(code).strip(), (ids,) if isinstance(ids, str) else tuple(ids)


class CodeTable:
    """Lookup of measure or concept ids by (system, code)."""

    def __init__(self) -> None:
        self._exact: dict[str, dict[str, tuple[str, ...]]] = {}
        self._ranges: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        self._hierarchical: set[str] = set()
        self.targets: dict[str, str] = {}

    def add(self, system: str, code: str, ids: tuple[str, ...], hierarchical: bool = False) -> None:
        """Bind ``code`` of ``system`` to ``ids`` (added to any ids it already has)."""
        if hierarchical:
            self._hierarchical.add(system)
            code = code.upper()
            match = _RANGE.match(code)
            if match:
                self._ranges.setdefault(system, []).append((match.group(1), match.group(2), ids))
                return
        table = self._exact.setdefault(system, {})
        table[code] = tuple(dict.fromkeys((*table.get(code, ()), *ids)))

    def lookup(self, system: str, code: str) -> tuple[str, ...]:
        """The ids ``code`` stands for (for ICD-10-CM, through its nearest listed ancestor); ``()`` if none."""
        table = self._exact.get(system, {})
        code = code.strip()
        if system not in self._hierarchical:
            return table.get(code, ())
        code = code.upper()
        candidate = code
        while len(candidate) >= 3:
            if candidate in table:
                return table[candidate]
            candidate = candidate[:-1].rstrip(".")
        category = code[:3]
        spans = [(_span(low, high), ids) for low, high, ids in self._ranges.get(system, ()) if low <= category <= high]
        return min(spans)[1] if spans else ()

    def codes_of(self, system: str, target_id: str) -> list[str]:
        """The codes of ``system`` bound exactly to ``target_id`` (for writing records back out)."""
        return [code for code, ids in self._exact.get(system, {}).items() if target_id in ids]

    def systems(self) -> list[str]:
        """Every system with at least one code."""
        return sorted(set(self._exact) | set(self._ranges))

    def ids(self) -> Iterable[tuple[str, str, tuple[str, ...]]]:
        """Every (system, code or range, ids) binding."""
        for system, table in self._exact.items():
            for code, ids in table.items():
                yield system, code, ids
        for system, ranges in self._ranges.items():
            for low, high, ids in ranges:
                yield system, f"{low}-{high}", ids


def _span(low: str, high: str) -> int:
    """How many categories a range covers, roughly (the narrowest range that holds a code wins)."""

    def number(category: str) -> int:
        digits = int(category[1:3]) if category[1:3].isdigit() else int(category[1]) * 10 + 9
        return (ord(category[0]) - ord("A")) * 100 + digits

    return number(high) - number(low)
