"""The HTML report: untrusted text escaped, self-contained and offline, deterministic, charts in the rule's unit,
the command line's HTML outputs, and the population page's counts."""

import json
import os
import re
import subprocess
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from eligibility import Patient, Screener, load_trials, read_patients
from eligibility.output.html import page_name
from eligibility.output.population import Population
from eligibility.output.report import brief_json
from eligibility.output.write import ReportStyle
from eligibility.resources import bundled_rules_dir

from conftest import CLI, DATA, ROOT, load_cases

EXAMPLES = ROOT / "examples" / "patients"
SCREENER = Screener(load_trials([bundled_rules_dir()]))
PATIENTS = {p.id: p for p in read_patients(EXAMPLES)}
VERDICTS = load_cases("example_verdicts.yaml")
HTML = ReportStyle("html")


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _hostile_page() -> str:
    screener = Screener(load_trials([DATA / "html" / "hostile.yaml"]))
    patient = Patient.model_validate(
        {
            "id": '<script>alert("patient")</script>',
            "as_of": "2026-11-01",
            "observations": [
                {"code": '<script>alert("code")</script>', "value": 1, "unit": "<b>u</b>", "date": "2026-10-30"},
                {"code": "ALC", "value": 0.4, "unit": "10^9/L", "date": "2026-10-30"},
            ],
        }
    )
    return HTML.write(screener, patient)


def test_markup_in_patient_codes_and_criteria_is_shown_as_text():
    page = _hostile_page()
    tags = Elements(page).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "iframe", "img", "b", "object", "embed"}
    assert [tag for tag, _ in tags].count("style") == 1 + page.count("<svg")  # ours, and one per matplotlib chart
    assert not any(key.startswith("on") for _, attrs in tags for key in attrs)
    assert "javascript:" not in page
    for shown in (
        "&lt;script&gt;alert(&#34;patient&#34;)&lt;/script&gt;",  # the patient id
        "&lt;script&gt;alert(&#34;code&#34;)&lt;/script&gt;",  # a patient code, in the warnings
        "&lt;script&gt;alert(&#34;criterion&#34;)&lt;/script&gt; ALC at least",
        "&lt;img src=x onerror=alert(&#34;alt&#34;)&gt;淋巴细胞",
        "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;",
        "&lt;style&gt;body{display:none}&lt;/style&gt;",
    ):
        assert shown in page


def test_page_is_self_contained_and_forbids_scripts():
    page = HTML.write(SCREENER, PATIENTS["P02-ae-lab-limits"])
    assert "default-src 'none'" in page  # the Content-Security-Policy: no fetch, no script at all
    tags = Elements(page).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe")]
    assert not [a for _, a in tags if any(k in a for k in ("src", "srcset"))]
    references = [a["href"] for t, a in tags if t == "a" and "href" in a]
    assert references and all(href.startswith("#") for href in references)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only references inside the page


def test_page_is_deterministic_and_dated_only_by_the_reference_date():
    first = HTML.write(SCREENER, PATIENTS["P02-ae-lab-limits"])
    assert first == HTML.write(SCREENER, PATIENTS["P02-ae-lab-limits"])
    assert date.today().isoformat() not in first or date.today() == date(2026, 11, 1)
    assert "<dc:date>" not in first


def test_a_chart_per_measure_in_the_rule_unit_with_its_limits():
    page = HTML.write(SCREENER, PATIENTS["P02-ae-lab-limits"])
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    alc = next(c for c in captions if c.startswith("ALC:"))
    # 400 cells/µL on record, drawn in the rule's 10^9/L against its 0.5 limit (clause E10a)
    assert alc.startswith("ALC: 1 result, latest 0.4 10^9/L on 2026-10-29; limits 0.5: ≤ ChiCTR2600127018 E10a")
    assert len(captions) == page.count("<svg") == 7
    assert "<text" in page and "≤ 0.5 E10a" in page  # chart text kept as text


def test_summary_counts_trials_once_by_their_best_cohort():
    page = HTML.write(SCREENER, PATIENTS["P09-ra-eligible"])
    counts = dict(
        re.findall(
            r'data-verdict="(\w+)"><span class="icon" aria-hidden="true">.</span>'
            r'<span class="count">(\d+)</span>',
            page,
        )
    )
    best: dict[str, str] = {}
    rank = {"ineligible": 0, "undetermined": 1, "eligible": 2}
    for label, verdict in VERDICTS["P09-ra-eligible"].items():
        trial = label.split("/")[0]
        if trial not in best or rank[verdict] > rank[best[trial]]:
            best[trial] = verdict
    expected = Counter(best.values())
    assert {k: int(v) for k, v in counts.items()} == {v: expected.get(v, 0) for v in rank}


def test_population_counts_and_attrition_add_up():
    population = Population(SCREENER.trials)
    for patient in PATIENTS.values():
        population.add(brief_json(SCREENER.screen(patient)))
    for label, tally in population.trials.items():
        verdicts = Counter(VERDICTS[p][label] for p in PATIENTS)
        assert tally.verdicts == verdicts
        steps = tally.attrition()
        assert sum(s.removed for s in steps) == verdicts["ineligible"]
        assert (steps[-1].remaining if steps else tally.total) == tally.total - verdicts["ineligible"]
        assert all(s.blocking >= s.removed for s in steps)
    listed = {p.id for p in population.listed}
    assert listed == {p for p, v in VERDICTS.items() if set(v.values()) - {"ineligible"}}


def test_page_names_are_safe_and_distinct():
    assert page_name("P01-ae-eligible") == "P01-ae-eligible.html"
    odd = [page_name(x) for x in ("../etc/passwd", "a/b", "a_b", "<x>")]
    assert all("/" not in n and not n.startswith(".") for n in odd)
    assert len(set(odd)) == len(odd)


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)


def test_cli_writes_a_page_a_folder_and_a_population_page(tmp_path: Path):
    one = tmp_path / "one.html"
    result = _run("screen", str(EXAMPLES / "P01-ae-eligible.json"), "--format", "html", "-o", str(one))
    assert result.returncode == 0, result.stderr
    written = one.read_text(encoding="utf-8")
    assert 'Screening report: <span id="patient">P01-ae-eligible</span>' in written
    assert written == HTML.write(SCREENER, PATIENTS["P01-ae-eligible"])  # the same bytes in another process

    chosen = ["P01-ae-eligible", "P08-nmosd-sparse", "P10-sle-low-lvef"]
    patients = tmp_path / "patients.jsonl"
    patients.write_text("".join(PATIENTS[p].model_dump_json(exclude_none=True) + "\n" for p in chosen))
    folder = tmp_path / "all"
    result = _run("screen", str(patients), "--format", "html", "-o", str(folder), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (folder / "patients").iterdir()) == [f"{p}.html" for p in chosen]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert '<span id="patient-count">3</span>' in index and 'href="patients/P01-ae-eligible.html"' in index

    summary = tmp_path / "summary.jsonl"
    summary.write_text(_run("screen", str(patients), "--format", "summary").stdout, encoding="utf-8")
    result = _run("report", str(summary), "-o", str(folder))
    assert result.returncode == 0, result.stderr
    assert (folder / "index.html").read_text(encoding="utf-8") == index  # the same page from the summary records


def test_cli_refuses_many_patients_without_a_folder_and_bad_summaries(tmp_path: Path):
    result = _run("screen", str(EXAMPLES), "--format", "html")
    assert result.returncode == 1 and "give it with -o" in result.stderr and "Traceback" not in result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"patient": "p", "results": []}) + "\n{not json\n", encoding="utf-8")
    result = _run("report", str(bad), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and f"{bad}:2" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("patient", ["P08-nmosd-sparse"])
def test_order_next_list_follows_the_ranking(patient: str):
    from eligibility.output.next_steps import next_steps

    page = HTML.write(SCREENER, PATIENTS[patient])
    shown = re.findall(r'<li data-trials="\d+"><span class="what">(.*?)</span>', page)
    assert shown == [s.what for s in next_steps(SCREENER.screen(PATIENTS[patient]))]
