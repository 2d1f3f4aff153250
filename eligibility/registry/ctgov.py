"""ClinicalTrials.gov API v2 in its shapes: one study, a search result (``{"studies": [...]}``), JSON Lines of
studies. The structured ``minimumAge``/``maximumAge``/``sex``/``healthyVolunteers`` fields are read, and a study
without an eligibility module is reported by its NCT id rather than imported as a trial with no clauses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from eligibility.errors import EligibilityError, Location
from eligibility.registry.records import Block, Record

_SEX = {"all": "all", "female": "female", "male": "male"}


def _age(text: object) -> str | None:
    match = re.match(r"\s*(\d+)\s*(year|month|week|day)", str(text or ""), re.I)
    return f"{match.group(1)} {match.group(2).lower()}s" if match else None


def _part(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _text(data: dict, key: str) -> str | None:
    """A text field of a JSON object; anything else (a number, a list, null) counts as absent."""
    value = data.get(key)
    return value if isinstance(value, str) and value.strip() else None


def study_record(study: object, source: str, where: str | None = None, line: int | None = None) -> Record:
    """The record of one API v2 study; an error naming the study when it has no criteria to import."""
    location = Location(file=source, line=line, where=where)
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise EligibilityError(
            "not a ClinicalTrials.gov API v2 study: no protocolSection",
            location=location,
            hint="download studies with the API v2 (format=json), or give the record page saved as text",
        )
    protocol = study["protocolSection"]
    ident = _part(protocol, "identificationModule")
    nct = _text(ident, "nctId")
    module = protocol.get("eligibilityModule")
    if not isinstance(module, dict) or _text(module, "eligibilityCriteria") is None:
        missing = "eligibilityModule" if not isinstance(module, dict) else "eligibilityModule.eligibilityCriteria"
        raise EligibilityError(
            f"study {nct or '(no nctId)'} has no {missing}: nothing to import",
            location=location,
            hint="request the study with fields including EligibilityModule, or draft its rules by hand",
        )
    healthy = module.get("healthyVolunteers")
    return Record(
        "ClinicalTrials.gov",
        source,
        nct,
        _text(ident, "briefTitle") or _text(ident, "officialTitle"),
        _age(_text(module, "minimumAge")),
        _age(_text(module, "maximumAge")),
        _SEX.get((_text(module, "sex") or "ALL").lower(), "all"),
        [Block(module["eligibilityCriteria"])],
        healthy_volunteers=healthy if isinstance(healthy, bool) else None,
    )


def studies_in(data: object, source: str) -> Iterator[Record | EligibilityError]:
    """The studies of a parsed API v2 document: a search result's ``studies`` or one study."""
    items = data.get("studies") if isinstance(data, dict) and "studies" in data else [data]
    if not isinstance(items, list):
        yield EligibilityError("`studies` is not a list", location=Location(file=source), hint="give API v2 JSON")
        return
    for index, study in enumerate(items):
        try:
            yield study_record(study, source, f"study {index + 1}" if len(items) > 1 else None)
        except EligibilityError as error:
            yield error


def is_study_list(path: Path) -> bool:
    """True for a file holding several trials: JSON Lines, or an API v2 search result with several studies."""
    if Path(path).suffix.lower() in (".jsonl", ".ndjson"):
        return True
    try:
        with Path(path).open(encoding="utf-8") as handle:
            if handle.read(1) != "{":
                return False
            data = json.loads("{" + handle.read())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and isinstance(data.get("studies"), list) and len(data["studies"]) != 1
