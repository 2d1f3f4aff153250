"""Derive the condition vocabulary of the Human Disease Ontology (CC0): ``eligibility/data/concepts_do.json``.

Run once, by hand, on a clone of github.com/DiseaseOntology/HumanDiseaseOntology (its git directory will do)::

    python scripts/build_do_vocabulary.py PATH/TO/HumanDiseaseOntology [--commit HEAD]

It reads the release reports of that commit (``DOreports/HumanDO.tsv``: ids, labels, parents;
``DOreports/ICD10inDO.tsv``: ICD-10-CM cross-references; ``DOreports/allXREFinDO.tsv``: SNOMED CT
cross-references), the exact synonyms of the release subsets
(``src/ontology/subsets/*.obo``) and of the translation tables (``src/translations/doid-es-*.tsv``), and keeps:

- terms with at least one ICD-10-CM cross-reference that exists in ICD-10-CM (simple-icd-10-cm), then terms
  with none but a SNOMED CT cross-reference ("lung non-small cell carcinoma"), with the names no term of the first
  kind claims;
- English names (label and exact synonyms) of at least 4 characters, no acronyms, no punctuation that criteria
  text never writes, not a generic word, not shared by two kept terms, not already a vocabulary name;
- a term one of whose names is already a hand-written condition's name becomes nothing: the hand-written concept
  stands for it, and takes the term's place in the hierarchy (kinds of the term are kinds of it, and it is a kind
  of the term's kept ancestors);
- a cross-reference is bound (``code ⇒ concept``) only when no other term shares it and it is not a catch-all
  ("Other …", "… not elsewhere classified"); every code under a bound code also implies the term, and a bound code
  keeps the hand-written concepts its nearest listed ancestor implied;
- a SNOMED CT cross-reference is bound to the kept term (or to the hand-written condition named like the term's
  label) only when no other term shares it, and a code the hand-written vocabulary binds already only when its
  concepts are all ancestors of the term: a code never makes a narrower name stand for its parent, nor the
  reverse (SNOMED CT codes are bound exactly; the kinds of a concept come from the hierarchy);
- a name with "non-" also written "non " ("non small cell lung cancer");
- the uppercase acronyms of ``ACRONYMS`` ("AML", "NSCLC") as aliases of the one condition each names, when no
  concept or measure is called so already.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import simple_icd_10_cm as icd  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from do_ontology import Ontology, ancestors_of  # noqa: E402

from eligibility.vocab.codes import ICD10CM, SNOMED  # noqa: E402
from eligibility.vocab.vocabulary import ConceptDef, Vocabulary, load_vocabulary, name_key  # noqa: E402

OUT = ROOT / "eligibility" / "data" / "concepts_do.json"
GENERIC = {
    "disease", "syndrome", "disorder", "cancer", "carcinoma", "neoplasm", "tumor", "tumour", "infection",
    "lesion", "injury", "abnormality", "deficiency", "allergy", "disease of anatomical entity", "disease of mental"
    " health", "disease of cellular proliferation", "disease of metabolism", "physical disorder", "genetic disease",
    "infectious disease", "benign neoplasm", "organ system cancer", "inherited metabolic disorder",
    "congenital abnormality", "acquired metabolic disease", "disease by infectious agent", "primary disease",
    "degenerative disease", "rheumatic disease", "metabolic disease", "cognitive disorder", "specific developmental"
    " disorder", "sleep disorder", "substance-related disorder", "developmental disorder of mental health",
}  # fmt: skip
# Terms whose synonym shared with a hand-written concept is wider than that concept ("neoplasm" for "disease of
# cellular proliferation"): the term is not added, and its kinds are not made kinds of the hand-written concept.
NOT_EQUIVALENT = {
    "DOID:14566": "disease of cellular proliferation (synonym neoplasm: also hyperplasias)",
    "DOID:870": "neuropathy (synonym peripheral neuropathy: also cranial and optic neuropathies)",
    "DOID:936": "brain disease (synonym encephalopathy: also brain abscess, cerebral palsy, …)",
    "DOID:3146": "lipid metabolism disorder (synonym dyslipidemia: also lipid storage diseases)",
    "DOID:8857": "lupus erythematosus (synonym lupus: also cutaneous lupus, not systemic)",
    "DOID:65": "connective tissue disease (all of bone and cartilage; the hand-written one is autoimmune)",
    "DOID:0050589": "inflammatory bowel disease (also infectious and chemical colitis; the hand-written one is IBD)",
    "DOID:633": "myositis (also tendinitis; the hand-written concept is inflammatory myopathy)",
}
# Hand-written concepts wider than some DO ancestors of the terms named like them: those are not their parents.
NOT_BROADER = {
    "cns_tumor": {"DOID:3093": "CNS tumours are benign too (meningioma); nervous system cancer is malignant"},
    "hypogammaglobulinemia": {
        "DOID:2115": "acquired too (after rituximab); B cell deficiency is primary in DO",
        "DOID:612": "acquired too (after rituximab): not a primary immunodeficiency",
    },
}
# Uppercase acronyms that registry text uses for one disease only (read case-sensitively up to four letters), and
# the name of the concept each stands for. Left out: ALL (a word), GBM (also anti-GBM disease), CRC (also a clinical
# research centre), APL (also antiphospholipid), MCL and PTCL (few uses, several expansions).
ACRONYMS = {
    "AML": "acute myeloid leukemia",
    "CLL": "chronic lymphocytic leukemia",
    "CML": "chronic myeloid leukemia",
    "NSCLC": "non-small cell lung carcinoma",
    "SCLC": "lung small cell carcinoma",
    "HCC": "hepatocellular carcinoma",
    "RCC": "renal cell carcinoma",
    "NHL": "non-Hodgkin lymphoma",
    "GIST": "gastrointestinal stromal tumor",
}
# DO terms that are kinds of a hand-written concept DO has no term for (the link is added).
KIND_OF_HANDWRITTEN = {
    "DOID:3070": ("glioma", "high grade glioma (glioblastoma's parent) is a glioma; DO has no plain glioma term"),
}
# Hand-written concepts bound to ICD-10-CM codes wider than their names: the code of a DO term does not make the
# term a kind of them.
CODES_WIDER = {
    "glioma": "C71 is any malignant neoplasm of brain",
    "coronary_artery_disease": "I20-I25 holds heart aneurysm and Dressler's syndrome",
    "encephalitis": "G04 holds HTLV-associated myelopathy",
    "tia": "G45 holds transient global amnesia",
    "bone_marrow_failure": "D61 holds pancytopenia",
    "schizophrenia": "F20 holds schizophreniform disorder",
}
_BAD_CHARS = re.compile(r"[(),;/\[\]:]")
_CATCH_ALL = re.compile(r"^other\b|\bother specified\b|not elsewhere classified|\bother and unspecified\b", re.I)


def usable_name(name: str) -> bool:
    """Whether criteria text could name a disease this way without ambiguity (see the module docstring)."""
    key = name_key(name)
    if len(key) < 4 or _BAD_CHARS.search(name) or key in GENERIC or not re.search(r"[a-z]{3}", key):
        return False
    if WORD_ACRONYMS & set(name.split()):
        return False
    return not acronym(name)


AMBIGUOUS_ACRONYMS = {
    "SARS": "SARS-CoV-2 written with a space",
    "FAME": "an English word",
    "SENS": "a prefix of words",
    "BRIC": "a group of countries",
    "CESD": "the CES-D depression scale",
    "ARCI": "the Addiction Research Center Inventory",
}
# Capitalised acronyms that spell an English word: names are compared case-folded, so "CHILD syndrome" would
# read "the chILD syndrome" (childhood interstitial lung disease) or "a child syndrome".
WORD_ACRONYMS = {"CHILD", "CHARGE", "EAST", "COACH", "CHIME", "RIDDLE", "HELIX"}
# Words a respelled synonym may swap: a carcinoma is a cancer, and "non-small cell lung cancer" is a carcinoma.
_SAME_WORD = {"carcinoma": "cancer", "tumour": "tumor", "leukaemia": "leukemia", "anaemia": "anemia"}
_HEAD_WORDS = {"fever", "infection", "syndrome", "disease", "disorder", "s"}


def same_name(synonym: str, label: str) -> bool:
    """Whether an exact synonym only respells the label ("Wilson's disease", "haemochromatosis", "typhoid" for
    "typhoid fever"): DO's exact synonyms also hold wider or narrower names ("visual impairment" for blindness,
    "acute cholecystitis" for cholecystitis, "Paget's disease" for mammary Paget's disease), never kept."""
    mine, theirs = set(re.findall(r"[a-z0-9]+", name_key(synonym))), set(re.findall(r"[a-z0-9]+", name_key(label)))
    if mine - _HEAD_WORDS == theirs - _HEAD_WORDS:
        return True
    if {_SAME_WORD.get(w, w) for w in mine} == {_SAME_WORD.get(w, w) for w in theirs}:
        return True  # the same words in another order ("non-small cell lung cancer" for "lung non-small cell …")
    return difflib.SequenceMatcher(None, name_key(synonym), name_key(label)).ratio() >= 0.85 and len(mine) == len(
        theirs
    )


def initials(name: str, label: str) -> bool:
    """An acronym of four capitals or more made of the label's initials ("PTSD" for post-traumatic stress
    disorder, "GVHD"), which criteria use as the name; shorter ones ("ALL", "OCD") are too ambiguous."""
    words = re.split(r"[\s-]+", label.strip())
    if name in AMBIGUOUS_ACRONYMS or re.fullmatch(r"[A-Z]{4,}", name) is None:
        return False
    return name == "".join(w[:1] for w in words).upper()


def acronym(name: str) -> bool:
    """A one-word name with two capitals or more ("MDS", "PTSD", "HbH"): too ambiguous to read in criteria."""
    return len(name.split()) == 1 and sum(c.isupper() for c in name) >= 2


_STOP_WORDS = {"of", "the", "and", "or", "with", "in", "to", "due", "by", "unspecified", "type", "disease", "disorder"}


def _content_words(text: str) -> set[str]:
    """The words of a name or code description that carry its meaning ("cancer" read as malignant neoplasm)."""
    text = re.sub(r"\bcancer\b", "malignant neoplasm", name_key(text))
    return {w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOP_WORDS}


def readable_id(label: str, taken: set[str], prefix: str, fallback: str) -> str:
    """A readable concept id from a label: ascii words joined by "_" (``prefix`` before a leading digit), or
    ``<readable>_<fallback>`` when the readable one is taken; the id chosen is added to ``taken``."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()
    readable = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    readable = readable if readable[:1].isalpha() else f"{prefix}_{readable}"
    chosen = readable if readable not in taken else f"{readable}_{fallback}"
    taken.add(chosen)
    return chosen


def snake_id(label: str, term: str, taken: set[str]) -> str:
    """A readable concept id from a label (``doid_…`` added when the readable one is taken)."""
    return readable_id(label, taken, "d", f"doid_{term.split(':')[1]}")


class Builder:
    """Selects, names, links and codes the kept terms against the hand-written vocabulary."""

    def __init__(self, ontology: Ontology) -> None:
        self.do = ontology
        self.vocabulary = load_vocabulary(derived=False)
        names = self.vocabulary.concept_names()
        self.taken_names = set(names) | set(self.vocabulary.measure_names())
        conditions = {
            k: [i for i in ids if self.vocabulary.concepts[i].category == "condition"] for k, ids in names.items()
        }
        self.same: dict[str, set[str]] = {}  # DO term → hand-written conditions with one of its names
        for term in ontology.labels:
            found = {i for n in ontology.names(term) if not acronym(n) for i in conditions.get(name_key(n), ())}
            if found:
                self.same[term] = found
        self.kept = self._select()
        self._matches: dict[str, set[str]] | None = None

    def _select(self) -> dict[str, list[str]]:
        """Kept term → its usable names (label first), unique among the kept terms. Terms with an ICD-10-CM
        cross-reference come first; terms with only a SNOMED CT one are kept with the names no ICD-10-CM term
        claims (so adding them never takes a name from a term kept for its ICD-10-CM codes)."""
        by_icd = self._candidates(lambda t: bool(self.do.codes(t)))
        kept = self._unique(by_icd)
        claimed = {name_key(n) for names in by_icd.values() for n in names}
        by_snomed = {
            t: [n for n in names if name_key(n) not in claimed]
            for t, names in self._candidates(lambda t: not self.do.codes(t) and bool(self.do.snomed(t))).items()
        }
        kept.update(self._unique(by_snomed))
        return self._with_spaced_prefixes(kept)

    def _with_spaced_prefixes(self, kept: dict[str, list[str]]) -> dict[str, list[str]]:
        """Each name with "non-" also written "non " ("non small cell lung cancer"), where no name is so already:
        the lexicon never reads a name right after a separate "non", so the shorter name inside is not read."""
        used = {name_key(n) for names in kept.values() for n in names} | self.taken_names
        for names in kept.values():
            for name in list(names):
                spaced = re.sub(r"\b([Nn]on)-", r"\1 ", name)
                if spaced != name and name_key(spaced) not in used:
                    names.append(spaced)
                    used.add(name_key(spaced))
        return kept

    def _candidates(self, wanted) -> dict[str, list[str]]:
        """Term → its usable names, for the terms ``wanted`` keeps."""
        return {
            t: [
                n
                for n in self.do.names(t)
                if name_key(n) not in self.taken_names
                and ((usable_name(n) and same_name(n, label)) or initials(n, label))
            ]
            for t, label in self.do.labels.items()
            if t not in self.same and name_key(label) not in GENERIC and wanted(t)
        }

    @staticmethod
    def _unique(candidates: dict[str, list[str]]) -> dict[str, list[str]]:
        """Each term's names that no other candidate has (terms left without a name are dropped)."""
        owners: dict[str, set[str]] = defaultdict(set)
        for term, names in candidates.items():
            for name in names:
                owners[name_key(name)].add(term)
        kept = {}
        for term, names in candidates.items():
            unique = list(dict.fromkeys(n for n in names if owners[name_key(n)] == {term}))
            unique_keys = list(dict.fromkeys(name_key(n) for n in unique))
            if unique_keys:
                kept[term] = [next(n for n in unique if name_key(n) == k) for k in unique_keys]
        return kept

    # --- hierarchy -------------------------------------------------------------------------------------
    def nearest_kept(self, term: str) -> set[str]:
        """The nearest kept DO ancestors of ``term`` (walking up through terms that are not kept)."""
        found, seen, stack = set(), set(), list(self.do.parents.get(term, ()))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.kept:
                found.add(current)
            else:
                stack.extend(self.do.parents.get(current, ()))
        return found

    def matches(self) -> dict[str, set[str]]:
        """Hand-written condition → the DO terms that carry one of its names (computed once)."""
        if self._matches is not None:
            return self._matches
        found: dict[str, set[str]] = defaultdict(set)
        for term, concepts in self.same.items():
            for concept in concepts if term not in NOT_EQUIVALENT else ():
                found[concept].add(term)
        self._matches = dict(found)
        return self._matches

    def handwritten_parents(self, term: str) -> set[str]:
        """Hand-written conditions ``term`` is a kind of: those named like one of its DO ancestors, and those
        every one of its own ICD-10-CM codes implies (juvenile myelomonocytic leukemia, C93.3, under leukemia)."""
        named = {
            concept
            for ancestor in ancestors_of(term, self.do.parents)
            if ancestor not in NOT_EQUIVALENT
            for concept in self.same.get(ancestor, ())
        }
        named |= {KIND_OF_HANDWRITTEN[term][0]} if term in KIND_OF_HANDWRITTEN else set()
        exact = [code for code in self.do.codes(term) if self._described_by(term, code, exactly=True)]
        implied = [set(self.vocabulary.codes.lookup(ICD10CM, code)) - set(CODES_WIDER) for code in exact]
        return named | set.intersection(*implied) if implied else named

    def broader(self, matches: dict[str, set[str]], ids: dict[str, str]) -> dict[str, list[str]]:
        """Hand-written condition → kept DO terms it is a kind of (kept ancestors common to all its matches)."""
        found = {}
        for concept, terms in sorted(matches.items()):
            common = set.intersection(*(set(ancestors_of(t, self.do.parents)) & set(self.kept) for t in terms))
            common -= set(NOT_BROADER.get(concept, ()))
            nearest = {a for a in common if not any(a in ancestors_of(b, self.do.parents) for b in common)}
            if nearest:
                found[concept] = sorted(ids[a] for a in nearest)
        return found

    # --- codes -----------------------------------------------------------------------------------------
    def bound_codes(self) -> dict[str, str]:
        """ICD-10-CM code → the kept term it stands for (unshared, not a catch-all, not hand-written)."""
        users: dict[str, set[str]] = defaultdict(set)
        for term in self.do.labels:
            for code in self.do.codes(term):
                users[code].add(term)
        table = self.vocabulary.codes
        handwritten = {code for system, code, _ in table.ids() if system == ICD10CM}
        return {
            code: term
            for term in self.kept
            for code in self.do.codes(term)
            if users[code] == {term} and code not in handwritten and self._described_by(term, code)
        }

    def _described_by(self, term: str, code: str, exactly: bool = False) -> bool:
        """Whether the code's own description names the term (every word of one of its names), so that the
        code is the term or a kind of it ("Tuberculosis of lung" is not "tuberculous pneumothorax"); ``exactly``:
        no other word either, so that the term is also a kind of what the code implies."""
        description = icd.get_description(code)
        if _CATCH_ALL.search(description):
            return False
        words = _content_words(description)
        if exactly:
            return _content_words(self.do.labels[term]) == words
        return any(_content_words(name) <= words for name in self.do.names(term))

    def code_entries(self, bound: dict[str, str], ids: dict[str, str]) -> dict[str, list[str]]:
        """Code → concept ids: a bound code also implies what its listed ancestors imply, and every listed code
        under a bound code also implies the bound term."""
        table = self.vocabulary.codes
        entries: dict[str, list[str]] = {}
        for code, term in sorted(bound.items()):
            above = [ids[bound[a]] for a in icd.get_ancestors(code) if a in bound]
            entries[code] = list(dict.fromkeys([ids[term], *above, *table.lookup(ICD10CM, code)]))
        handwritten = [c for s, c, _ in table.ids() if s == ICD10CM and "-" not in c]
        for code in handwritten:
            if icd.is_valid_item(code):
                above = [ids[bound[a]] for a in icd.get_ancestors(code) if a in bound]
                if above:
                    entries[code] = list(dict.fromkeys(above))
        return entries

    def snomed_owner(self, term: str, ids: dict[str, str]) -> str | None:
        """The concept a SNOMED CT code of ``term`` stands for: the kept term's, or the hand-written condition
        whose name is the term's label (not a wider DO term, see ``NOT_EQUIVALENT``)."""
        if term in ids:
            return ids[term]
        named = self.vocabulary.concept_names().get(name_key(self.do.labels[term]), ())
        conditions = [i for i in named if self.vocabulary.concepts[i].category == "condition"]
        return conditions[0] if len(conditions) == 1 and term not in NOT_EQUIVALENT else None

    def snomed_entries(self, ids: dict[str, str], ancestors) -> dict[str, list[str]]:
        """SNOMED CT code → concept, for codes that no two DO terms share; a code the hand-written vocabulary
        already binds is kept only when its concepts are all ancestors of the new one (a record then reads as
        the most specific: "non-small cell lung cancer", still a lung cancer)."""
        users: dict[str, set[str]] = defaultdict(set)
        for term in self.do.labels:
            for code in self.do.snomed(term):
                users[code].add(term)
        entries: dict[str, list[str]] = {}
        for code, terms in sorted(users.items(), key=lambda item: int(item[0])):
            owner = self.snomed_owner(next(iter(terms)), ids) if len(terms) == 1 else None
            known = set(self.vocabulary.codes.lookup(SNOMED, code))
            if owner is not None and owner not in known and known <= ancestors(owner):
                entries[code] = [owner]
        return entries

    # --- output ----------------------------------------------------------------------------------------
    def build(self) -> dict:
        """The derived vocabulary as one JSON-ready mapping."""
        taken = set(self.vocabulary.concepts)
        ids = {term: snake_id(self.do.labels[term], term, taken) for term in sorted(self.kept)}
        matches = self.matches()
        concepts = []
        for term in sorted(self.kept, key=lambda t: ids[t]):
            parents = sorted(ids[p] for p in self.nearest_kept(term)) + sorted(self.handwritten_parents(term))
            names = self.kept[term]
            concepts.append({"id": ids[term], "doid": term, "name": names[0], "aliases": names[1:], "is_a": parents})
        broader = self.broader(matches, ids)
        merged = self._merged(concepts, broader)
        return {
            "about": {
                "source": "Human Disease Ontology (github.com/DiseaseOntology/HumanDiseaseOntology)",
                "licence": "CC0 1.0 (Disease Ontology); ICD-10-CM codes: US public domain; SNOMED CT: identifiers"
                " only, as cross-referenced by the Disease Ontology",
                "release": f"{self.do.release} (commit {self.do.commit})",
                "generator": "scripts/build_do_vocabulary.py",
                "filter": " ".join((__doc__ or "").split("keeps:", 1)[1].split()),
            },
            "concepts": concepts,
            "broader": broader,
            "codes": self.code_entries(self.bound_codes(), ids),
            "snomed": self.snomed_entries(ids, merged.ancestors),
            "aliases": acronym_aliases(merged, set(self.vocabulary.measure_names())),
        }

    def _merged(self, concepts: list[dict], broader: dict[str, list[str]]) -> Vocabulary:
        """The hand-written conditions with the derived ones (for the hierarchy and the names)."""
        known = dict(self.vocabulary.concepts)
        for concept_id, parents in broader.items():
            known[concept_id] = known[concept_id].model_copy(update={"is_a": (*known[concept_id].is_a, *parents)})
        for c in concepts:
            known.setdefault(
                c["id"],
                ConceptDef(
                    id=c["id"], name=c["name"], category="condition", aliases=tuple(c["aliases"]), is_a=tuple(c["is_a"])
                ),
            )
        return Vocabulary((), known.values())


def acronym_aliases(vocabulary: Vocabulary, measures: set[str]) -> dict[str, list[str]]:
    """Concept → the acronyms of ``ACRONYMS`` that name it: only an acronym no concept or measure is called, for a
    name that one condition alone has."""
    names = vocabulary.concept_names()
    found: dict[str, list[str]] = {}
    for acronym, name in ACRONYMS.items():
        targets = [i for i in names.get(name_key(name), ()) if vocabulary.concepts[i].category == "condition"]
        if len(targets) != 1 or name_key(acronym) in names or name_key(acronym) in measures:
            raise SystemExit(f"acronym {acronym}: {name!r} names {targets or 'nothing'}, or the acronym is taken")
        found.setdefault(targets[0], []).append(acronym)
    return found


def compact_json(data: dict) -> str:
    """JSON with one concept, link or code per line: quick to load, readable in a diff."""

    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def block(items: list[str], open_: str, close: str) -> str:
        return open_ + "\n" + ",\n".join(items) + "\n" + close

    parts = [
        f'"about":{block([f"{line(k)}:{line(v)}" for k, v in data["about"].items()], "{", "}")}',
        f'"concepts":{block([line(c) for c in data["concepts"]], "[", "]")}',
        f'"broader":{block([f"{line(k)}:{line(v)}" for k, v in data["broader"].items()], "{", "}")}',
        f'"codes":{block([f"{line(k)}:{line(v)}" for k, v in data["codes"].items()], "{", "}")}',
        f'"snomed":{block([f"{line(k)}:{line(v)}" for k, v in data["snomed"].items()], "{", "}")}',
    ]
    if data.get("aliases"):
        parts.append(f'"aliases":{block([f"{line(k)}:{line(v)}" for k, v in data["aliases"].items()], "{", "}")}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> None:
    """Write the derived vocabulary from a DO clone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("repo", type=Path, help="a clone (or git directory) of HumanDiseaseOntology")
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = Builder(Ontology(args.repo, args.commit)).build()
    args.out.write_text(compact_json(data), encoding="utf-8")
    counts = (
        f"{len(data['concepts'])} concepts, {len(data['codes'])} ICD-10-CM and {len(data['snomed'])} SNOMED CT codes"
    )
    print(f"{counts}, {len(data['broader'])} links → {args.out}")


if __name__ == "__main__":
    main()
