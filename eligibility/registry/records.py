"""Registry records → their eligibility parts: id, title, age and sex fields, and criteria blocks.

Reads ChiCTR page text (bilingual: an English and a Chinese block for each of inclusion and exclusion),
ClinicalTrials.gov page text (also its machine-translated Chinese rendering), and ClinicalTrials.gov API v2
study JSON (``protocolSection.eligibilityModule``), and JSON Lines of criteria texts (one trial per line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eligibility.errors import EligibilityError, Location
from eligibility.inputs import load_json, open_binary, read_lines, read_text


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
    text = read_text(path, "record")
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
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        text = read_text(path, "record")
        if text.lstrip().startswith("{"):
            yield from studies_in(load_json(text, str(path)), str(path))
        else:
            yield read_record(path)
        return
    with open_binary(path) as handle:
        for number, line in read_lines(handle, str(path)):
            yield line if isinstance(line, EligibilityError) else _criteria_line(line, path, number)


_TEXT_FIELDS = ("title", "min_age", "max_age", "sex")


def _criteria_line(line: str, path: Path, number: int) -> Record | EligibilityError:
    place = Location(file=str(path), line=number)
    hint = 'write one JSON object per line: {"nct": "...", "criteria": "...", "min_age": "18 Years"}'
    try:
        item = load_json(line, str(path), number)
    except EligibilityError as error:
        return error
    if isinstance(item, dict) and "protocolSection" in item:  # JSON Lines of API v2 studies
        from eligibility.registry.ctgov import study_record

        try:
            return study_record(item, str(path), line=number)
        except EligibilityError as error:
            return error
    if not isinstance(item, dict):
        return EligibilityError("not a criteria record: a JSON object is needed", location=place, hint=hint)
    identifier = item.get("nct") or item.get("id")
    wrong = [k for k in ("criteria", *_TEXT_FIELDS) if item.get(k) is not None and not isinstance(item[k], str)]
    if not isinstance(identifier, str) or not identifier.strip():
        return EligibilityError("not a criteria record: no text `nct` or `id`", location=place, hint=hint)
    if wrong or not isinstance(item.get("criteria"), str) or not item["criteria"].strip():
        problem = f"{', '.join(wrong)} must be text" if wrong else "`criteria` is missing or empty"
        return EligibilityError(f"not a criteria record ({identifier}): {problem}", location=place, hint=hint)
    return Record(
        "ClinicalTrials.gov",
        f"{path.name}:{number}",
        identifier.strip(),
        item.get("title"),
        _years(item.get("min_age")),
        _years(item.get("max_age")),
        _SEX.get(str(item.get("sex") or "all").lower(), "all"),
        [Block(item["criteria"])],
    )


def _between(text: str, start: str, end: str) -> str:
    match = re.search(start + r"(.*?)" + end, text, re.S)
    return match.group(1).strip() if match else ""


def _ctgov_json(text: str, source: str) -> Record:
    from eligibility.registry.ctgov import studies_in

    found = list(studies_in(load_json(text, source), source))
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
