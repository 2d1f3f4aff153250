"""Reading one release of the Human Disease Ontology from a clone of its repository (for
``build_do_vocabulary.py``): labels and parents, ICD-10-CM and SNOMED CT cross-references, exact synonyms."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import simple_icd_10_cm as icd  # type: ignore[import-untyped]

# DO parent links that criteria do not mean (a patient with the child would wrongly have the parent).
NOT_KIND_OF = {
    ("DOID:3310", "DOID:3042"): "atopic dermatitis is not an allergic contact dermatitis",
    ("DOID:1227", "DOID:12987"): "neutropenia is not agranulocytosis (its severe form)",
    ("DOID:9088", "DOID:8893"): "parapsoriasis is not a psoriasis",
    ("DOID:1949", "DOID:9446"): "cholecystitis (gallbladder) is not cholangitis (bile ducts)",
    ("DOID:9746", "DOID:9742"): "hemorrhoids (K64) are not pelvic varices, nor a circulatory disease in ICD-10-CM",
}
TRANSLATIONS = ("translated", "untranslated", "changed")  # tables of current terms (not "deprecated")
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)" EXACT( \S+)?')


def git_show(repo: Path, commit: str, path: str) -> str:
    """The text of ``path`` at ``commit`` of the git repository ``repo``."""
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def git_files(repo: Path, commit: str, folder: str, suffix: str) -> list[str]:
    """The paths under ``folder`` at ``commit`` that end with ``suffix``."""
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", commit, folder], capture_output=True, check=True
    )
    return [p for p in done.stdout.decode().splitlines() if p.endswith(suffix)]


def _cells(line: str) -> list[str]:
    return [cell.strip().strip('"') for cell in line.rstrip("\n").split("\t")]


def read_terms(text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Labels and parents (by id) from ``HumanDO.tsv`` (parents are written as labels there)."""
    labels: dict[str, str] = {}
    parent_labels: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines()[1:]:
        term, label, parent = [*_cells(line), "", ""][:3]
        labels[term] = label
        if parent:
            parent_labels[term].append(parent)
    by_label = {label: term for term, label in labels.items()}
    parents = {
        t: [by_label[p] for p in ps if p in by_label and (t, by_label[p]) not in NOT_KIND_OF]
        for t, ps in parent_labels.items()
    }
    return labels, parents


def read_icd(text: str) -> dict[str, list[str]]:
    """ICD-10-CM cross-references by term, as written (``DOreports/ICD10inDO.tsv``)."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines()[1:]:
        term, _label, xrefs = [*_cells(line), "", ""][:3]
        for xref in xrefs.split(","):
            if xref.strip().startswith("ICD10CM:"):
                found[term].append(xref.strip().split(":", 1)[1])
    return found


def read_snomed(text: str) -> dict[str, list[str]]:
    """SNOMED CT cross-references by term (``DOreports/allXREFinDO.tsv``: ``SNOMEDCT_US_<release>:<code>``)."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines()[1:]:
        term, _label, xref = [*_cells(line), "", ""][:3]
        if xref.startswith("SNOMEDCT") and ":" in xref and xref.split(":", 1)[1].isdigit():
            found[term].append(xref.split(":", 1)[1])
    return found


def read_obo_synonyms(text: str, into: dict[str, set[str]]) -> None:
    """Add the exact synonyms of every term of an OBO file to ``into``."""
    term = None
    for line in text.splitlines():
        if line.startswith("["):
            term = None
        elif line.startswith("id: "):
            term = line[4:].strip()
        elif term and line.startswith("synonym: "):
            match = _SYNONYM.match(line[9:])
            if match:
                into[term].add(match.group(1).replace('\\"', '"'))


def read_translation_synonyms(text: str, into: dict[str, set[str]]) -> None:
    """Add the English exact synonyms listed in a translation table to ``into``."""
    for row in csv.reader(io.StringIO(text), delimiter="\t"):
        if len(row) > 2 and row[1] == "oboInOwl:hasExactSynonym" and row[0].startswith("DOID:"):
            into[row[0]].add(row[2])


_ANCESTORS: dict[str, frozenset[str]] = {}


def ancestors_of(term: str, parents: dict[str, list[str]]) -> frozenset[str]:
    """Every DO ancestor of ``term`` (not itself; cached: one ontology per run)."""
    if term not in _ANCESTORS:
        _ANCESTORS[term] = frozenset(_walk_up(term, parents))
    return _ANCESTORS[term]


def _walk_up(term: str, parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents.get(term, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(parents.get(current, ()))
    return seen


class Ontology:
    """The terms of one DO release: labels, parents, exact synonyms, ICD-10-CM cross-references."""

    def __init__(self, repo: Path, commit: str) -> None:
        self.commit = (
            subprocess.run(
                ["git", "-C", str(repo), "log", "-1", "--format=%H %cs", commit], capture_output=True, check=True
            )
            .stdout.decode()
            .strip()
        )
        self.labels, self.parents = read_terms(git_show(repo, commit, "DOreports/HumanDO.tsv"))
        self.xrefs = read_icd(git_show(repo, commit, "DOreports/ICD10inDO.tsv"))
        self.snomed_xrefs = read_snomed(git_show(repo, commit, "DOreports/allXREFinDO.tsv"))
        self.synonyms: dict[str, set[str]] = defaultdict(set)
        for path in git_files(repo, commit, "src/ontology/subsets", ".obo"):
            read_obo_synonyms(git_show(repo, commit, path), self.synonyms)
        for table in TRANSLATIONS:
            read_translation_synonyms(git_show(repo, commit, f"src/translations/doid-es-{table}.tsv"), self.synonyms)
        first_subset = git_show(repo, commit, "src/ontology/subsets/DO_cancer_slim.obo")
        self.release = re.search(r"doid/releases/([0-9-]+)", first_subset).group(1)  # type: ignore[union-attr]

    def names(self, term: str) -> list[str]:
        """The label and exact synonyms of ``term``."""
        return [self.labels[term], *sorted(self.synonyms.get(term, ()))]

    def codes(self, term: str) -> list[str]:
        """The cross-referenced ICD-10-CM codes of ``term`` that exist in ICD-10-CM."""
        return [c for c in dict.fromkeys(self.xrefs.get(term, ())) if icd.is_valid_item(c)]

    def snomed(self, term: str) -> list[str]:
        """The cross-referenced SNOMED CT codes of ``term`` (identifiers only)."""
        return list(dict.fromkeys(self.snomed_xrefs.get(term, ())))
