"""``eligibility convert``: FHIR R4 input → the patient JSON the engine sees (one JSON line per patient), so a
user can audit the mapping; per-type counts (read, dropped, warned) on standard error."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from eligibility.errors import EligibilityError, Location, PatientError
from eligibility.patient.fhir import FhirStats
from eligibility.patient.fhir_read import is_fhir, read_fhir
from eligibility.vocab.vocabulary import Vocabulary


def convert(sources: list[Path], out: TextIO, vocabulary: Vocabulary, errors: TextIO = sys.stderr) -> FhirStats:
    """Write each patient of ``sources`` as contract JSON to ``out``; problems to ``errors``; the counts."""
    total = FhirStats()
    for source in sources:
        if not source.exists() or not is_fhir(source):
            raise EligibilityError(
                "not FHIR input",
                location=Location(str(source)),
                hint="give a FHIR Bundle .json, an NDJSON of Bundles or a Bulk Data export folder",
            )
        for patient, stats in read_fhir(source, vocabulary):
            if isinstance(patient, PatientError) or stats is None:
                print(str(patient), file=errors)
                continue
            total.add(stats)
            out.write(json.dumps(patient.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) + "\n")
    return total


def stats_text(stats: FhirStats) -> str:
    """The counts as one line per resource type."""
    return "\n".join(
        f"{kind}: read {n['read']}, dropped {n['dropped']}, not read {n['warned']}"
        for kind, n in stats.as_dict().items()
    )
