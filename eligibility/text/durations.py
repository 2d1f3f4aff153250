"""Time since diagnosis, age at onset and first/last dose in free text.

- disease duration: "disease duration of at least 5 years", "duration of diabetes ≥ 6 months", "diagnosed with
  myasthenia gravis at least 6 months prior to screening", "asthma for at least 12 months", "at least 6 months since
  onset", "多发性硬化病程≥2年", "确诊类风湿关节炎≥6个月" → ``duration of condition X >= …``;
- age at onset: "onset of multiple sclerosis before age 18", "diagnosed before the age of 40", "18岁前发病" →
  ``age at onset of X < 18 years``;
- first/last dose: "last dose of rituximab at least 6 months before enrolment", "at least 4 weeks since the last
  dose of X", "末次使用利妥昔单抗距入组≥6个月" → ``last dose of rituximab at least 6 months ago``.

The condition must be named in the clause (one, or several joined by "or"): "病程≥6个月" alone names no disease
and stays for review. Words that make the onset something else ("symptom duration", "after age 50", which may mean
either bound) are not read.
"""

from __future__ import annotations

import itertools
import re

from eligibility.lang import ast
from eligibility.text.attribution import Mention
from eligibility.text.cues import cue
from eligibility.text.doses import Reading, Span, _in_parentheses, clause_bounds, read_doses
from eligibility.text.leaves import duration_of, window_of
from eligibility.text.lexicon import NameHit

_DURATION_WORDS = re.compile(
    r"(?i)\btime\s+(?:since|from)\s+(?:the\s+)?(?:first\s+)?(?:diagnosis|onset)\b|\b(?:disease|illness)\s+duration\b|\bduration\s+of\s+(?:the\s+)?(?:disease|illness)\b|\bduration\s+of\b|"
    r"\bduration\b|病程|患病时间|病史时间|病史"
)
_DIAGNOSIS = re.compile(r"(?i)\bdiagnos(?:ed|is)\b|\bdocumented\b|确诊|诊断")
_NOT_ONSET = re.compile(
    r"(?i)\bsymptoms?\b|\bsigns?\b|\bepisodes?\b|\btreat\w*|\btherap\w*|\bremission\b|\bdoses?\b|\bsomeone\b|"
    r"\bcaregivers?\b|\bcarers?\b|\bpreference\b|\bpreferably\b|治疗|缓解|症状"
)
# Between what names the onset (a condition, "disease duration", "diagnosed with X") and the number: nothing else.
_CLOSE = re.compile(
    r"(?i)[\s,:()]*(?:(?:of|is|was|were|for|at|must\s+be|should\s+be|has\s+been|have\s+been|been|a|an|the|"
    r"made|established|confirmed|diagnosed|documented)\s+)*[\s,:]*|[\s,:]*(?:为|已|达|超过)?"
)
_WITHIN = re.compile(r"(?i)within|in\s+the|during|past|last|previous|过去|近|最近")
_EXAMPLE = re.compile(r"(?i)\b(?:such\s+as|e\.?\s?g|including|like|for\s+example)\b|如|例如|包括")
_NOT_A_DURATION = frozenset({"pregnancy"})
_SINCE = re.compile(
    r"(?i)\s*(?:have\s+)?(?:passed\s+|elapsed\s+)?since\s+(?:the\s+)?(?:first\s+)?(?:diagnosis|onset)\b|\s*(?:after|from)\s+(?:the\s+)?(?:diagnosis|onset)\b"
)
_ANCHOR = re.compile(
    r"(?i)\s*(?:(?:the\s+)?(?:date\s+of\s+(?:the\s+)?)?(?:screening|enrol\w*|randomi[sz]\w*|study\s+entry|entry|inclusion|"
    r"baseline|registration|day\s+1|signing\s+(?:of\s+)?(?:the\s+)?(?:informed\s+)?consent)(?:\s+visit)?\b|"
    r"(?:入组|筛选|随机|签署知情同意)(?:时|前)?)"
)
_ONSET_BEFORE_AGE = re.compile(
    r"(?i)\b(?:onset|diagnos(?:ed|is))\b(?P<mid>[^.;:]{0,60}?)\b(?:before|prior\s+to|under|below)\s+(?:(?:the\s+)?age\s+"
    r"(?:of\s+)?(?P<n>\d{1,3})(?:\s*(?:years?|yrs?)(?:\s+old|\s+of\s+age)?)?|(?P<n2>\d{1,3})\s*(?:years?|yrs?)\s+(?:of\s+age|old))|(?P<zh>\d{1,3})\s*岁\s*(?:以前|之前|前)\s*"
    r"(?:发病|起病|确诊|诊断|出现症状)"
)
_TIMING = re.compile(
    r"(?i)\b(?P<which>last|final|most\s+recent|first)\s+(?:(?:dose|administration|infusion|injection|course|use)s?"
    r"\s+(?:of\s+)?(?:the\s+)?(?:treatment\s+with\s+)?)?$|(?P<zh>末次|最后一次|首次|第一次)(?:使用|给药|用药|输注|接受|应用)?$"
)
_TIMING_GAP = re.compile(
    r"(?i)^\s*(?:(?:treatment|therapy|infusion|dose|administration|injection|course)s?\s+)?(?:(?:was|were|must\s+be|should\s+be|has\s+been|have\s+been|is)\s+)?"
    r"(?:(?:given|administered|received|taken)\s+)?$|^(?:治疗|给药|用药)?(?:距|距离|至)(?:入组|筛选|随机)(?:时间)?$"
)
_SINCE_DOSE = re.compile(
    r"(?i)^\s*(?:have\s+|has\s+|must\s+have\s+)?(?:passed\s+|elapsed\s+)?(?:since|from)\s+(?:the\s+)?(?P<which>last|final|most\s+recent)\s+"
    r"(?:dose|administration|infusion|injection)s?\s+(?:of\s+)?$"
)
# "Time since last dose of X ≥ 6 months": the number is how long ago.
_ELAPSED = re.compile(r"(?i)\b(?:time|interval|period)\s+(?:since|from)\s+(?:the\s+)?$|距离?$")
_TRIAL_DRUGS = frozenset({"investigational_product"})
_FUTURE = re.compile(r"(?i)\b(?:agree\w*|contracepti\w*|pregnan\w*|donat\w*|will|plan\w*)\b|避孕|妊娠|怀孕")
_WHICH = {
    "last": "last",
    "final": "last",
    "most recent": "last",
    "first": "first",
    "末次": "last",
    "最后一次": "last",
    "首次": "first",
    "第一次": "first",
}


def _conditions_in(hits: list[NameHit], clause: Span, text: str) -> list[NameHit] | None:
    """The conditions named in the clause: one, or several joined by "or"; None otherwise (or when one is only an
    example, "(including TIA)", or the text names someone else's, "family history", "partner")."""
    inside = [h for h in hits if clause[0] <= h.start and h.end <= clause[1]]
    words = text[clause[0] : inside[-1].end] if inside else ""
    if not inside or cue("not_had").search(words) or any(h.id in _NOT_A_DURATION for h in inside):
        return None
    if any(_in_parentheses(text, h.start) or _EXAMPLE.search(text[clause[0] : h.start]) for h in inside):
        return None
    ids = list(dict.fromkeys(h.id for h in inside))
    if len(ids) == 1:
        return [inside[0]]
    firsts = [next(h for h in inside if h.id == i) for i in ids]
    gaps = [text[a.end : b.start] for a, b in itertools.pairwise(firsts)]
    if all(re.fullmatch(r"(?i)\s*(?:,|or|,\s*or|/|或)\s*", gap) for gap in gaps):
        return firsts
    return None


def _onset_rule(cls, found: list[NameHit], op: str, duration: ast.Duration) -> ast.Node:
    return cls(
        concept=found[0].id,
        alternatives=tuple(h.id for h in found[1:]),
        op=op,
        duration=duration,
        concept_text=found[0].text,
    )


def read_disease_durations(text: str, mentions: list[Mention], conditions: list[NameHit]) -> list[Reading]:
    """ "Disease duration ≥ 2 years", "diagnosed with X at least 6 months ago", "X for at least 12 months"; both
    bounds of a range ("disease duration between 2 and 10 years") or neither."""
    readings: list[Reading] = []
    for index, mention in enumerate(mentions):
        if mention.category != "window" or mention.amount.kind != "time":
            continue
        reading = _duration(text, mention, mentions, conditions)
        if mention.phrase.kind != "range":
            readings += [reading] if reading is not None else []
        elif index + 1 < len(mentions) and mentions[index + 1].phrase is mention.phrase and reading is not None:
            upper = _duration(text, mentions[index + 1], mentions, conditions)
            if upper is not None:
                readings.append(Reading(ast.AllOf(items=(reading.node, upper.node)), reading.place, reading.spans))
    return readings


def _close(text: str, hit: NameHit, phrase: Span) -> bool:
    """True when a condition is named right before the number ("asthma for at least …") or, in Chinese, right
    after it ("确诊≥6个月的类风湿关节炎")."""
    if hit.end <= phrase[0]:
        return _CLOSE.fullmatch(text[hit.end : phrase[0]]) is not None
    return hit.start >= phrase[1] and re.fullmatch(r"\s*的\s*", text[phrase[1] : hit.start]) is not None


def _other_times(mentions: list[Mention], mention: Mention, clause: Span) -> bool:
    """True when the clause holds another time than the duration's ("at least 6 months (180 days) prior")."""
    return any(
        m.phrase is not mention.phrase and m.amount.kind == "time" and clause[0] <= m.phrase.start < clause[1]
        for m in mentions
    )


def _duration(text: str, mention: Mention, mentions: list[Mention], conditions: list[NameHit]) -> Reading | None:
    phrase = (mention.phrase.start, mention.phrase.end)
    clause = clause_bounds(text, *phrase)
    duration = duration_of(mention.amount.value, mention.amount.unit)
    if duration is None or duration.unit == "hour" or _NOT_ONSET.search(text[clause[0] : clause[1]]):
        return None
    found = _conditions_in(conditions, clause, text)
    if found is None or _other_times(mentions, mention, clause):
        return None
    before = text[clause[0] : phrase[0]]
    inside = text[phrase[0] : phrase[1]]
    named = [m for m in _DURATION_WORDS.finditer(before) if _CLOSE.fullmatch(before[m.end() :])]
    named += list(_DURATION_WORDS.finditer(inside))
    named += [m for m in _DURATION_WORDS.finditer(before) if any(_close(text, h, phrase) for h in found)]
    diagnosis = _DIAGNOSIS.search(before)
    close = any(_close(text, h, phrase) for h in found)
    since = _SINCE.match(text, phrase[1])
    kind, op = mention.phrase.kind, mention.op
    after_since = since is not None and any(
        re.fullmatch(r"(?i)\s*(?:of|with)?\s*", text[since.end() : h.start]) for h in found if h.start >= since.end()
    )
    if named or (since and (close or after_since)):
        pass
    elif diagnosis and close and (mention.phrase.before or kind in ("duration", "comparison")) and op in (">=", ">"):
        pass
    elif diagnosis and close and kind == "window" and _WITHIN.search(inside):
        op = "<="  # "diagnosed within the past 6 months": the first diagnosis is that recent
    elif kind == "duration" and op in (">=", ">") and close:
        pass  # "asthma for at least 12 months"
    else:
        return None
    if op not in ("<", "<=", ">", ">="):
        return None
    spans: list[Span] = [phrase, *((h.start, h.end) for h in found)]
    spans += [(clause[0] + m.start(), clause[0] + m.end()) for m in named if m.string is before]
    if diagnosis:
        spans.append((clause[0] + diagnosis.start(), clause[0] + diagnosis.end()))
    if since:
        spans.append((phrase[1], phrase[1] + since.end()))
    anchor = _ANCHOR.match(text, spans[-1][1] if since else phrase[1])
    if anchor:
        spans.append((anchor.start(), anchor.end()))
    node = _onset_rule(ast.DiseaseDuration, found, op, duration)
    place = (min(s for s, _ in spans), max(e for _, e in spans))
    return Reading(node, place, tuple(spans))


def read_onset_ages(text: str, conditions: list[NameHit]) -> list[Reading]:
    """ "Onset of multiple sclerosis before age 18", "18岁前发病": an age at onset below a bound."""
    readings = []
    for match in _ONSET_BEFORE_AGE.finditer(text):
        clause = clause_bounds(text, match.start(), match.end())
        found = _conditions_in(conditions, clause, text)
        if found is None:
            continue
        value = match.group("n") or match.group("n2") or match.group("zh")
        node = _onset_rule(ast.AgeAtOnset, found, "<", ast.Duration(value=int(value), unit="year"))
        spans = [(match.start(), match.end()), *((h.start, h.end) for h in found)]
        readings.append(Reading(node, (match.start(), match.end()), tuple(spans)))
    return readings


def read_dose_timings(text: str, mentions: list[Mention], medications: list[NameHit]) -> list[Reading]:
    """ "Last dose of rituximab at least 6 months before enrolment", "末次使用利妥昔单抗距入组≥6个月"."""
    readings = []
    for mention in mentions:
        if mention.category != "window" or mention.amount.kind != "time" or mention.phrase.kind == "duration":
            continue
        reading = _timing_before(text, mention, medications) or _timing_since(text, mention, medications)
        if reading is not None:
            readings.append(reading)
    return readings


def _timing_before(text: str, mention: Mention, medications: list[NameHit]) -> Reading | None:
    """The drug named after "last dose of", then the window: "last dose of X at least 6 months before …"."""
    phrase = (mention.phrase.start, mention.phrase.end)
    clause = clause_bounds(text, *phrase)
    drugs = [h for h in medications if clause[0] <= h.start and h.end <= phrase[0]]
    if not drugs:
        return None
    drug = drugs[-1]
    opening = _TIMING.search(text[clause[0] : drug.start])
    gap = _TIMING_GAP.match(text[drug.end : phrase[0]])
    if opening is None or gap is None:
        return None
    elapsed = _ELAPSED.search(text, clause[0], clause[0] + opening.start())
    chinese = opening.group("zh") is not None
    if not (mention.phrase.before or mention.phrase.kind == "window" or chinese or elapsed):
        return None
    which = _WHICH[re.sub(r"\s+", " ", (opening.group("which") or opening.group("zh")).lower())]
    spans = [(clause[0] + opening.start(), clause[0] + opening.end()), (drug.start, drug.end), (drug.end, phrase[0])]
    if elapsed:
        spans.append((elapsed.start(), elapsed.end()))
    return _timing(text, which, drug, mention, spans)


def _timing_since(text: str, mention: Mention, medications: list[NameHit]) -> Reading | None:
    """The window, then "since the last dose of X"."""
    phrase = (mention.phrase.start, mention.phrase.end)
    clause = clause_bounds(text, *phrase)
    drugs = [h for h in medications if phrase[1] <= h.start < clause[1]]
    if not drugs or mention.op not in (">=", ">") or mention.phrase.kind != "comparison":
        return None
    since = _SINCE_DOSE.match(text[phrase[1] : drugs[0].start])
    if since is None:
        return None
    spans = [(phrase[1], drugs[0].start), (drugs[0].start, drugs[0].end)]
    return _timing(text, "last", drugs[0], mention, spans)


def _timing(text: str, which: str, drug: NameHit, mention: Mention, spans: list[Span]) -> Reading | None:
    window = window_of(mention)
    clause = clause_bounds(text, mention.phrase.start, mention.phrase.end)
    if window is None or window.duration.unit == "hour" or drug.id in _TRIAL_DRUGS:
        return None  # the study drug's first or last dose is the trial's own, not the patient's history
    if _FUTURE.search(text[clause[0] : clause[1]]):
        return None  # "contraception for 90 days after the last dose of X"
    spans.append((mention.phrase.start, mention.phrase.end))
    anchor = _ANCHOR.match(text, max(e for _, e in spans))
    if anchor:
        spans.append((anchor.start(), anchor.end()))
    node = ast.DoseTiming(which=which, concept=drug.id, window=window, concept_text=drug.text)
    return Reading(node, (min(s for s, _ in spans), max(e for _, e in spans)), tuple(spans))


def read_courses(text: str, mentions: list[Mention], finders, vocabulary, kind: str) -> list[Reading]:
    """Every dose, first/last dose, disease duration and age at onset of an item, none overlapping another."""
    medications, conditions = finders["medication"].find(text), finders["condition"].find(text)
    found = [
        *read_doses(text, mentions, medications, vocabulary, kind),
        *read_dose_timings(text, mentions, medications),
        *read_disease_durations(text, mentions, conditions),
        *read_onset_ages(text, conditions),
    ]
    kept: list[Reading] = []
    for reading in found:
        if any(_overlap(a, b) for other in kept for a in other.spans for b in reading.spans):
            continue
        phrases = [(m.phrase.start, m.phrase.end) for m in mentions]
        if any(_overlap(p, s) and not _contained(p, reading.spans) for p in phrases for s in reading.spans):
            continue  # a phrase of the grammar reaches into the reading ("> 27.5 kg/m2 …, diagnosis … before")
        kept.append(reading)
    return kept


def _contained(span: Span, spans: tuple[Span, ...]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in spans)


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]
