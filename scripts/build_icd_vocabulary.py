"""Derive conditions and clinical findings from the ICD-10-CM tabular list: ``eligibility/data/concepts_icd.json``.

Run by hand after ``build_do_vocabulary.py`` (it reads the vocabulary with the Disease Ontology conditions)::

    python scripts/build_icd_vocabulary.py

ICD-10-CM (US National Center for Health Statistics, public domain) is read through the ``simple-icd-10-cm``
package. Only the chapters of diseases and findings that the Disease Ontology leaves out are read (blood and
immune D50-D89, endocrine and metabolic E, mental F, nervous G, eye and ear H, circulatory I, respiratory J,
digestive K, skin L, musculoskeletal M, genitourinary N, symptoms and signs R00-R69, not abnormal test results),
and it keeps:

- a code whose title names its whole meaning: no comma, bracket or parenthesis (which qualify it), no catch-all
  ("Other …", "unspecified", "not elsewhere classified", "NOS"), no "with", "without", "due to", "in", history,
  status, side ("right", "left") or a test result ("level", "count", "finding", "score"): "Dehydration"
  (E86.0), "Malignant pleural effusion" (J91.0), "Coma" (R40.2); the code covers its descendants;
- a title of two one-word conditions joined by "and" ("Hyperosmolality and hypernatremia", E87.0; not "Embolism
  and thrombosis of vein", whose parts share words) becomes a concept for the pair (with the code) and one for
  each part that is a usable name ("hypernatremia"), a kind of the pair with no code of its own: the code does
  not say which part a patient has, so a patient coded E87.0 neither has nor lacks hypernatremia (unknown, reason
  ``unspecific``), while a patient with no such code lacks it;
- the inclusion terms listed under a kept code (without "NOS", whose meaning is wider than the code), as kinds of
  the code's concept with no code of their own, for the same reason;
- names of at least 4 characters, not a vocabulary name already (hand-written, Disease Ontology or measure), not
  words of a measure's name ("coma" of "Glasgow Coma Scale"), not an episode or attack (criteria use them as time
  frames: "during the current depressive episode"), not a cue word, and, for one-word names, a word built like a
  clinical term ("-emia", "-itis", "-osis", …, and not a plain English word from ``COMMON_WORDS``); British
  spellings ("hypernatraemia", "oedema") as aliases;
- a code none of whose descendants the vocabulary binds already (that condition is known by another name:
  "opiate dependence" F11.20); a code under a bound one keeps what the bound one implied;
- a title's concept is a kind of what its code read as before (the concepts of the nearest listed ancestor code
  whose title is one of their names, or of a chapter range; never those bound to codes wider than their names:
  I48 "Atrial fibrillation and flutter" does not make a flutter a fibrillation), and of the condition its title
  ends with
  after qualifying words ("permanent atrial fibrillation" of atrial fibrillation; not after "of", "non-",
  "pseudo-", nor a figurative head: "day blindness");
- each concept is a kind of the concept of its nearest kept ICD-10-CM ancestor ("dehydration" of "volume
  depletion", E86), so that a record of the ancestor is unspecific for it; under a pair, also of the part its
  name contains ("postural kyphosis", M40.0, of "kyphosis" as well as of "kyphosis and lordosis").
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import simple_icd_10_cm as icd  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from build_do_vocabulary import CODES_WIDER, compact_json, readable_id  # noqa: E402

from eligibility.resources import data_path  # noqa: E402
from eligibility.vocab.codes import ICD10CM  # noqa: E402
from eligibility.vocab.vocabulary import DERIVED, load_vocabulary, name_key  # noqa: E402

OUT = ROOT / "eligibility" / "data" / "concepts_icd.json"
CHAPTERS = re.compile(r"^(D[5-8][0-9]|[EFGHIJKLMN][0-9][0-9]|R[0-6][0-9])")
_QUALIFIED = re.compile(r"[,()\[\];:/]")
_CATCH_ALL = re.compile(
    r"\b(other|unspecified|specified|elsewhere|nos|without|with|due|in|history|status|encounter|level|levels"
    r"|count|finding|findings|result|results|reading|screening|complicating|following|after|during|associated"
    r"|related|induced|sequelae|sequela|personal|family|classified|type|stage|use|underdosing|poisoning|right|left"
    r"|bilateral|unilateral|score|evidence|smear|postprocedural|intraoperative|stoma)\b",
    re.I,
)
_CLINICAL_WORD = re.compile(
    r"(emia|aemia|ia|osis|oses|itis|ism|pathy|algia|oma|uria|esis|ysis|rrhea|rrhoea|plegia|trophy|ectasis|lepsy"
    r"|phagia|pnea|ation|ness|ea|ity|cele|sis)$"
)
# One-word titles and parts built like clinical terms that are also plain words, or too wide to be a condition.
COMMON_WORDS = {
    "collapse", "complication", "complications", "illness", "weakness", "sickness", "ea", "frailty", "obesity",
    "debility", "senility", "disability", "anxiety", "nervousness", "irritability", "hostility", "hyperactivity",
    "unhappiness", "sadness", "inattention", "lateness", "information", "orientation", "fatigability", "mobility",
    "immobility", "disorientation", "hallucination", "hallucinations", "agitation", "malnutrition", "intoxication",
    "cachexia", "ataxia", "aphasia", "amnesia", "anorexia", "ptosis", "nausea", "area", "anesthesia",
    "bifurcation", "deformity", "discontinuity", "embolism", "thrombosis", "neuropathy", "granuloma", "slowness",
    "verbosity", "overactivity", "suspiciousness", "impulsiveness", "restlessness", "demoralization", "apathy",
    "gluconeogenesis", "fasciculation", "eructation", "formication", "giddiness", "hypersensitivity", "toxicity",
}  # fmt: skip
# Words that also name a time frame in criteria ("during the current depressive episode"): not condition names.
TIME_FRAMES = {"episode", "episodes", "attack", "attacks"}
# Heads a title uses figuratively: "day blindness" is not blindness, "word deafness" not deafness.
FIGURATIVE = {"blindness", "deafness", "disease", "syndrome", "disorder", "injury", "lesion"}
_NOT_QUALIFIERS = {"of", "and", "or", "not", "to", "on", "by", "from", "without", "like", "non", "pseudo", "post"}
_BRITISH = (
    (r"emia\b", "aemia"),
    (r"\bhem", "haem"),
    (r"\bedema", "oedema"),
    (r"\besophag", "oesophag"),
    (r"tumor\b", "tumour"),
    (r"rrhea\b", "rrhoea"),
    (r"\bpedia", "paedia"),
    (r"\bischemi", "ischaemi"),
    (r"\banesthe", "anaesthe"),
)


def plain_title(title: str) -> bool:
    """Whether an ICD-10-CM title names one meaning that criteria text would write as is."""
    return not _QUALIFIED.search(title) and not _CATCH_ALL.search(title)


def inside_measure(name: str, measures: set[str]) -> bool:
    """Whether ``name`` is words of a measure's name ("coma" of "Glasgow Coma Scale"): text naming the measure
    would read the condition."""
    key = f" {name_key(name)} "
    return any(key in f" {m} " for m in measures)


def usable_name(name: str, taken: set[str], cues: set[str]) -> bool:
    """Whether ``name`` can stand for a condition in criteria text (see the module docstring)."""
    key = name_key(name)
    if len(key) < 4 or key in taken or key in cues or not re.search(r"[a-z]{3}", key):
        return False
    if key.endswith(" episode") or key.split()[-1] in TIME_FRAMES:
        return False
    if " " not in key:
        return key not in COMMON_WORDS and _CLINICAL_WORD.search(key) is not None and "-" not in key[:2]
    return True


def british(name: str) -> list[str]:
    """The British spellings of ``name`` ("hypernatraemia", "oedema"), if it has any."""
    found = name
    for pattern, replacement in _BRITISH:
        found = re.sub(pattern, replacement, found)
    return [found] if found != name else []


def _lower_first(title: str) -> str:
    """A title as running text writes it ("Dehydration" → "dehydration"; "HIV …" kept)."""
    return title if title[:2].isupper() else title[:1].lower() + title[1:]


def snake_id(label: str, code: str, taken: set[str]) -> str:
    """A readable concept id from a title (``…_icd_<code>`` when the readable one is taken)."""
    return readable_id(label, taken, "f", f"icd_{code.replace('.', '').lower()}")


def _cue_words() -> set[str]:
    """The plain words among the cue patterns of the drafting lexicon (``cues.yaml``, English regular-expression
    fragments separated by spaces; ``patients?`` gives "patient" and "patients"): never a concept name."""
    import yaml

    cues = yaml.safe_load(data_path("cues.yaml").read_text(encoding="utf-8")) or {}
    words: set[str] = set()
    for value in cues.values():
        text = value.get("en", "") if isinstance(value, dict) else ""
        for fragment in str(text).split():
            match = re.fullmatch(r"([a-z][a-z-]*)(s\?)?", fragment.casefold())
            if match:
                words |= {match.group(1), match.group(1) + "s"} if match.group(2) else {match.group(1)}
    return words


class Builder:
    """Selects the codes, names and hierarchy of the derived findings."""

    def __init__(self) -> None:
        self.vocabulary = load_vocabulary(derived_files=(DERIVED,))
        self.taken = set(self.vocabulary.concept_names()) | set(self.vocabulary.measure_names())
        self.cues = _cue_words()
        self.measures = set(self.vocabulary.measure_names())
        self.bound = {c for s, c, _ in self.vocabulary.codes.ids() if s == ICD10CM and "-" not in c}
        self.ids = set(self.vocabulary.concepts)
        self.names = self.vocabulary.concept_names()
        self.concepts: list[dict] = []
        self.codes: dict[str, list[str]] = {}
        self.by_code: dict[str, str] = {}
        self.parts: dict[str, dict[str, str]] = {}  # pair concept → its parts (name key → concept)

    def candidate_codes(self) -> list[str]:
        """Categories and subcategories of the chapters read, none of whose descendants is bound already."""
        found = []
        for code in icd.get_all_codes(with_dots=True):
            if not CHAPTERS.match(code) or icd.is_chapter_or_block(code) or icd.is_extended_subcategory(code):
                continue
            family = {code, *icd.get_descendants(code)}
            if not family & self.bound:
                found.append(code)
        return found

    def _add(self, name: str, code: str, parents: list[str]) -> str:
        names = [name]
        names += [b for n in names for b in british(n) if name_key(b) not in self.taken]
        concept_id = snake_id(name, code, self.ids)
        self.taken |= {name_key(n) for n in names}
        self.concepts.append({"id": concept_id, "icd": code, "name": name, "aliases": names[1:], "is_a": parents})
        return concept_id

    def _parents(self, code: str, name: str) -> list[str]:
        """The concept of the nearest ancestor code that has one (ancestors come first in the tabular list), and,
        under a pair ("Kyphosis and lordosis"), the part the name says ("postural kyphosis" is a kyphosis)."""
        for ancestor in icd.get_ancestors(code):
            if ancestor in self.by_code:
                pair = self.by_code[ancestor]
                words = set(name_key(name).split())
                return [pair, *(part for key, part in self.parts.get(pair, {}).items() if key in words)]
        return []

    def _implied(self, code: str) -> list[str]:
        """The conditions a record of ``code`` read as before through its nearest listed ancestor code, when that
        code's title is one of their names (I48.2, chronic atrial fibrillation, under I48 "Atrial fibrillation
        and flutter" bound to atrial fibrillation: a flutter is not a fibrillation, so nothing is implied), or
        through a range of categories (a chapter: "I00-I99" is cardiovascular disease)."""
        listed = next((a for a in icd.get_ancestors(code) if a in self.bound), None)
        found = self.vocabulary.codes.lookup(ICD10CM, code)
        if listed is not None:
            title = name_key(icd.get_description(listed))
            found = tuple(i for i in found if title in self._names_of(i))
        return [i for i in found if i not in CODES_WIDER and self.vocabulary.concepts[i].category == "condition"]

    def _names_of(self, concept_id: str) -> set[str]:
        concept = self.vocabulary.concepts[concept_id]
        return {name_key(n) for n in (concept.id.replace("_", " "), concept.name, *concept.aliases)}

    def _head(self, name: str) -> list[str]:
        """The condition a title ends with, after words that only qualify it ("permanent atrial fibrillation",
        "acute eosinophilic pneumonia"): never after "of", "non-", "pseudo-", "-like", nor a figurative head
        ("day blindness", "word deafness")."""
        words = name_key(name).split()
        for start in range(1, len(words)):
            head, tail = words[:start], " ".join(words[start:])
            found = [i for i in self.names.get(tail, ()) if self.vocabulary.concepts[i].category == "condition"]
            if found and tail not in FIGURATIVE and not set(head) & _NOT_QUALIFIERS:
                if not any(w.startswith(("non", "pseudo")) or w.endswith("-like") for w in head):
                    return found[:1]
        return []

    def add_code(self, code: str) -> None:
        """The concepts of one code: its title (or its pair and parts), and its inclusion terms."""
        title = icd.get_description(code)
        parts = [p.strip() for p in title.split(" and ")]
        if not plain_title(title) or len(parts) > 2 or " or " in title:
            return
        if len(parts) == 2 and (" " in parts[0] or " " in parts[1]):
            parts = [title]  # "Embolism and thrombosis of vein": the parts share words, not two conditions
        name = _lower_first(title)
        if len(parts) == 1 and not usable_name(name, self.taken, self.cues):
            return
        if inside_measure(name, self.measures):
            return
        if len(parts) == 2 and name_key(name) in self.taken:
            return
        parents = [*self._parents(code, name), *self._implied(code), *self._head(name)]
        concept = self._add(name, code, list(dict.fromkeys(parents)))
        self.by_code[code] = concept
        self.codes[code] = [concept, *self.vocabulary.codes.lookup(ICD10CM, code)]
        narrower = parts if len(parts) == 2 else []  # "Hyperosmolality and hypernatremia": one word each
        narrower += [t for t in icd.get_inclusion_term(code) if plain_title(t) and " and " not in t]
        for term in dict.fromkeys(narrower):
            if usable_name(term, self.taken, self.cues) and not inside_measure(term, self.measures):
                part = self._add(_lower_first(term), code, [concept])
                if term in parts and len(parts) == 2:
                    self.parts.setdefault(concept, {})[name_key(term)] = part

    def build(self) -> dict:
        """The derived findings as one JSON-ready mapping (the same shape as ``concepts_do.json``)."""
        for code in self.candidate_codes():
            self.add_code(code)
        return {
            "about": {
                "source": "ICD-10-CM tabular list (US National Center for Health Statistics), via simple-icd-10-cm",
                "licence": "ICD-10-CM: US public domain",
                "release": f"simple-icd-10-cm {_version()}",
                "generator": "scripts/build_icd_vocabulary.py",
                "filter": " ".join((__doc__ or "").split("it keeps:", 1)[1].split()),
            },
            "concepts": self.concepts,
            "broader": {},
            "codes": self.codes,
            "snomed": {},
        }


def _version() -> str:
    from importlib.metadata import version

    return version("simple-icd-10-cm")


def main() -> None:
    """Write the derived findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = Builder().build()
    args.out.write_text(compact_json(data), encoding="utf-8")
    print(f"{len(data['concepts'])} concepts, {len(data['codes'])} codes → {args.out}")


if __name__ == "__main__":
    main()
