"""Registry records → their eligibility parts: id, title, age and sex fields, and criteria blocks.

Reads ChiCTR page text (bilingual: an English and a Chinese block for each of inclusion and exclusion),
ClinicalTrials.gov page text (also its machine-translated Chinese rendering), and ClinicalTrials.gov API v2
study JSON (``protocolSection.eligibilityModule``), and JSON Lines of criteria texts (one trial per line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eligibility.errors import EligibilityError, Location


@dataclass(frozen=True)
class Block:
    """A block of criteria text: its kind when the record says (or None: headings inside), and its language."""

    text: str
    kind: str | None = None
    language: str = "en"


@dataclass
class Record:
    """The eligibility parts of one registry record."""

    registry: str
    source: str
    id: str | None = None
    title: str | None = None
    min_age: str | None = None
    max_age: str | None = None
    sex: str = "all"
    blocks: list[Block] = field(default_factory=list)
    healthy_volunteers: bool | None = None


_NCT = re.compile(r"\bNCT\d{8}\b")
_CHICTR = re.compile(r"\bChiCTR\d{6,}\b")
_STOP = re.compile(
    r"(?m)^\s*(?:Minimum Eligible Age|Maximum Eligible Age|Eligible Sex|Study details|Sponsors|"
    r"Locations|Contacts and Locations|More Information|Study Plan|学习计划|研究计划|Accepts Healthy)"
)
_SEX = {
    "both": "all",
    "all": "all",
    "男女均可": "all",
    "female": "female",
    "女": "female",
    "male": "male",
    "男": "male",
    "females": "female",
    "males": "male",
}


def read_record(path: Path) -> Record:
    """The eligibility parts of a registry record file (format detected from its content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EligibilityError(
            f"cannot read record: {exc}",
            location=Location(file=str(path)),
            hint="give a ChiCTR or ClinicalTrials.gov page saved as text, or API v2 JSON",
        ) from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _ctgov_json(text, str(path))
    if _CHICTR.search(text) and "纳入标准" in text:
        return _chictr(text, str(path))
    if "纳入标准" in text and "排除标准" in text:
        return _ctgov_chinese(text, str(path))
    return _ctgov_text(text, str(path))


def read_records(path: Path) -> Iterator[Record | EligibilityError]:
    """Records of a file: one for a record page or JSON, one per line for JSON Lines of criteria texts.

    A JSON Lines record is ``{"nct" or "id", "criteria", "title"?, "min_age"?, "max_age"?, "sex"?}``; a line
    that is not one gives an error in its place, and the rest are still read.
    """
    from eligibility.registry.ctgov import studies_in

    path = Path(path)
    if path.suffix != ".jsonl":
        if path.read_text(encoding="utf-8").lstrip().startswith("{"):
            yield from studies_in(json.loads(path.read_text(encoding="utf-8")), str(path))
        else:
            yield read_record(path)
        return
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EligibilityError(
            f"cannot read records: {exc.strerror}", location=Location(file=str(path)), hint="check the path"
        ) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield _criteria_line(line, path, number)


def _criteria_line(line: str, path: Path, number: int) -> Record | EligibilityError:
    from eligibility.registry.ctgov import study_record

    try:
        item = json.loads(line)
        if isinstance(item, dict) and "protocolSection" in item:  # JSON Lines of API v2 studies
            return study_record(item, str(path), line=number)
        identifier = str(item.get("nct") or item["id"])
        criteria = str(item["criteria"])
    except EligibilityError as error:
        return error
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        return EligibilityError(
            f"not a criteria record: {exc}",
            location=Location(file=str(path), line=number),
            hint='write one JSON object per line: {"nct": ..., "criteria": ...}',
        )
    return Record(
        "ClinicalTrials.gov",
        f"{path.name}:{number}",
        identifier,
        item.get("title"),
        _years(item.get("min_age")),
        _years(item.get("max_age")),
        _SEX.get(str(item.get("sex") or "all").lower(), "all"),
        [Block(criteria)],
    )


def _between(text: str, start: str, end: str) -> str:
    match = re.search(start + r"(.*?)" + end, text, re.S)
    return match.group(1).strip() if match else ""


def _ctgov_json(text: str, source: str) -> Record:
    from eligibility.registry.ctgov import studies_in

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EligibilityError(
            f"not ClinicalTrials.gov API v2 study JSON: {exc}",
            location=Location(file=source),
            hint="the file needs protocolSection.eligibilityModule",
        ) from None
    found = list(studies_in(data, source))
    if len(found) != 1:
        raise EligibilityError(
            f"{len(found)} studies in one file: a search result drafts one rule file per study",
            location=Location(file=source),
            hint=f"give a folder: eligibility import {Path(source).name} -o trials/",
        )
    if isinstance(found[0], EligibilityError):
        raise found[0]
    return found[0]


def _years(text: str | None) -> str | None:
    match = re.match(r"\s*(\d+)\s*(year|month|week|day)", text or "", re.I)
    return f"{match.group(1)} {match.group(2).lower()}s" if match else None


def _chictr(text: str, source: str) -> Record:
    found = _CHICTR.search(text)
    registration = found.group(0) if found else None
    title = _between(text, r"Public title:\s*\n", r"\n\s*\n") or None
    blocks = [
        Block(_between(text, r"纳入标准[:：]", r"\n\s*Inclusion criteria"), "inclusion", "zh"),
        Block(_between(text, r"\n\s*Inclusion criteria[:：]?", r"\n\s*排除标准[:：]"), "inclusion", "en"),
        Block(_between(text, r"排除标准[:：]", r"\n\s*Exclusion criteria"), "exclusion", "zh"),
        Block(
            _between(text, r"\n\s*Exclusion criteria[:：]?", r"\n\s*(?:研究实施时间|Study execute time)"),
            "exclusion",
            "en",
        ),
    ]
    minimum = re.search(r"Min age\s*(\d+)\s*years", text)
    maximum = re.search(r"Max age\s*(\d+)\s*years", text)
    sex = re.search(r"性别[:：]\s*\n\s*(\S+)", text)
    return Record(
        "ChiCTR",
        source,
        registration,
        title,
        f"{minimum.group(1)} years" if minimum else None,
        f"{maximum.group(1)} years" if maximum else None,
        _SEX.get(sex.group(1), "all") if sex else "all",
        blocks,
    )


def _ctgov_text(text: str, source: str) -> Record:
    nct = _NCT.search(text)
    title = next((line.strip() for line in text.splitlines() if len(line.strip()) > 20), None)
    start = re.search(r"(?im)^\s*(?:(?:common|key)\s+)?inclusion criteria", text)
    body = text[start.start() :] if start else text
    stop = _STOP.search(body)
    body = body[: stop.start()] if stop else body
    minimum = re.search(r"Minimum Eligible Age\s*\n\s*(\d+)\s*Years", text) or re.search(
        r"(?m)^\s*(\d+)\s*-\s*\d+\s*years\s*$", text
    )
    maximum = re.search(r"Maximum Eligible Age\s*\n\s*(\d+)\s*Years", text) or re.search(
        r"(?m)^\s*\d+\s*-\s*(\d+)\s*years\s*$", text
    )
    sex = re.search(r"Eligible Sex\s*\n\s*(\w+)", text) or re.search(r"(?m)^\s*(All|Female|Male)\s*$", text)
    return Record(
        "ClinicalTrials.gov",
        source,
        nct.group(0) if nct else None,
        title,
        f"{minimum.group(1)} years" if minimum else None,
        f"{maximum.group(1)} years" if maximum else None,
        _SEX.get(sex.group(1).lower(), "all") if sex else "all",
        [Block(re.sub(r"(?m)^\s*<!--.*?-->\s*$", "", body))],
    )


def _ctgov_chinese(text: str, source: str) -> Record:
    nct = _NCT.search(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title = lines[1] if len(lines) > 1 else None
    start = text.index("纳入标准")
    stop = _STOP.search(text, start)
    body = text[start : stop.start() if stop else len(text)]
    ages = re.search(r"(\d+)\s*年\s*至\s*(\d+)\s*年", text)
    return Record(
        "ClinicalTrials.gov",
        source,
        nct.group(0) if nct else None,
        title,
        f"{ages.group(1)} years" if ages else None,
        f"{ages.group(2)} years" if ages else None,
        "all",
        [Block(body, None, "zh")],
    )
