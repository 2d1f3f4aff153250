"""Records that may or may not be of the kind a rule asks for.

A record names the most specific concept its source knew. A record of generic "zoster vaccine" may be the live
vaccine or the recombinant one; a record of "malignancy" may be a breast cancer. Such a record neither matches
``has immunization live_vaccine`` nor rules it out, even when immunizations are complete: the rule is unknown
with reason ``unspecific``. Precisely, a record of concept R is *unspecific* for a rule about concept Q when R
is not a kind of Q but some kind of R is a kind of Q (R is broader than Q, or overlaps it, as "zoster vaccine"
overlaps "live vaccine"). Likewise, for ``has condition malignancy except basal_cell_carcinoma``, a record of
"skin cancer" (a malignancy that may or may not be a basal-cell carcinoma) is unspecific.
"""

from __future__ import annotations

from functools import lru_cache

from eligibility.patient.index import Occurrence, PatientIndex
from eligibility.vocab.vocabulary import Vocabulary


def _overlapping(vocabulary: Vocabulary, concepts: tuple[str, ...]) -> frozenset[str]:
    """Concepts that are not a kind of any of ``concepts`` but have a kind that is."""
    kinds = frozenset().union(*(vocabulary.descendants(c) for c in concepts))
    broader = frozenset().union(*(vocabulary.ancestors(k) for k in kinds))
    return broader - kinds


@lru_cache(maxsize=4096)
def unspecific_concepts(
    vocabulary: Vocabulary, concepts: tuple[str, ...], excluding: tuple[str, ...] = ()
) -> tuple[frozenset[str], frozenset[str]]:
    """(broader, unsure): concepts whose records may or may not be one of ``concepts``, and kinds of
    ``concepts`` whose records may or may not be one of the ``excluding`` ones."""
    kinds = frozenset().union(*(vocabulary.descendants(c) for c in concepts))
    unsure = _overlapping(vocabulary, excluding) & kinds if excluding else frozenset()
    return _overlapping(vocabulary, concepts), unsure


def unspecific_records(
    patient: PatientIndex, vocabulary: Vocabulary, category: str, concepts: tuple[str, ...], excluding=()
) -> list[Occurrence]:
    """The patient's records of ``category`` that may or may not be one of ``concepts`` (other than
    ``excluding``)."""
    broader, unsure = unspecific_concepts(vocabulary, concepts, tuple(excluding))
    by_concept = patient.records.get(category, {})
    found = {id(o): o for c in broader for o in by_concept.get(c, ()) if o.concept == c}
    if unsure:
        found |= {id(o): o for c in concepts for o in by_concept.get(c, ()) if o.concept in unsure}
    return list(found.values())
