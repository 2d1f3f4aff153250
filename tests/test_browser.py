"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright (never a downloaded
browser). The DOM shows the verdict counts, the blocking clauses and the order-next list as computed; the page
makes no network request and raises no error; a screenshot is a plausible, non-blank picture; A4 printing works.
"""

import io
import shutil
from collections import Counter
from pathlib import Path

import pytest

from eligibility import Screener, load_trials, read_patients
from eligibility.output.next_steps import next_steps
from eligibility.output.population import Population
from eligibility.output.report import brief_json
from eligibility.output.write import ReportStyle
from eligibility.resources import bundled_rules_dir
from eligibility.screen.screener import best_verdict

from conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (scripts/test-setup.sh installs it)", allow_module_level=True)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENER = Screener(load_trials([bundled_rules_dir()]))
PATIENTS = {p.id: p for p in read_patients(ROOT / "examples" / "patients")}
PATIENT = "P02-ae-lab-limits"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    (folder / f"{PATIENT}.html").write_text(ReportStyle("html").write(SCREENER, PATIENTS[PATIENT]), encoding="utf-8")
    population = Population(SCREENER.trials)
    for patient in PATIENTS.values():
        population.add(brief_json(SCREENER.screen(patient)), f"{patient.id}.html" if patient.id == PATIENT else None)
    (folder / "index.html").write_text(population.page(), encoding="utf-8")
    return folder


@pytest.fixture
def page(browser, site):
    opened = browser.new_page(viewport={"width": 1100, "height": 900})
    requests, errors = [], []
    opened.on("request", lambda request: requests.append(request.url))
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto((site / f"{PATIENT}.html").as_uri())
    yield opened
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    assert not errors
    opened.close()


def test_verdict_counts_in_the_dom(page):
    report = SCREENER.screen(PATIENTS[PATIENT])
    by_trial: dict = {}
    for result in report.results:
        by_trial.setdefault(result.trial.id, []).append(result)
    expected = Counter(best_verdict(results) for results in by_trial.values())
    for verdict in ("eligible", "undetermined", "ineligible"):
        shown = page.locator(f'#summary .counts li[data-verdict="{verdict}"] .count').inner_text()
        assert int(shown) == expected[verdict]
    assert page.locator("#trial-list tbody tr").count() == len(by_trial)


def test_a_blocking_clause_with_its_explanation(page):
    rows = page.locator('article[data-trial="ChiCTR2600127018"] table[data-outcome="fail"] tbody tr')
    texts = rows.all_inner_texts()
    alc = next(t for t in texts if t.startswith("E10a"))
    assert "ALC 400 cells/uL = 0.4 10^9/L < 0.5 10^9/L (2026-10-29)" in alc
    assert "Absolute lymphocyte count" in alc
    assert page.locator('article[data-trial="ChiCTR2600127018"] h3 .badge').inner_text().strip() == "✘ineligible"


def test_order_next_list_in_ranked_order(page):
    expected = [step.what for step in next_steps(SCREENER.screen(PATIENTS[PATIENT]))]
    assert page.locator("#order-next li .what").all_inner_texts() == expected
    assert page.get_by_role("heading", name="What to order next").is_visible()


def test_charts_are_drawn_with_their_text(page):
    figures = page.locator("figure.chart")
    assert figures.count() == 7
    box = figures.first.locator("svg").bounding_box()
    assert box and 200 < box["width"] < 700 and 80 < box["height"] < 300
    assert "≤ 0.5 E10a" in page.locator("figure.chart svg").nth(1).text_content()


def test_screenshot_is_a_plausible_picture(page):
    from PIL import Image, ImageStat

    picture = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("L")
    assert picture.size == (1100, 900)
    stats = ImageStat.Stat(picture)
    assert 150 < stats.mean[0] < 252  # mostly white paper, with text on it
    assert stats.stddev[0] > 20  # not blank
    assert len(picture.getcolors(256) or []) > 16  # antialiased text, coloured badges


def test_prints_on_a4(page):
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") > 3  # several A4 pages
    assert b"/MediaBox [0 0 594.95996 841.91998]" in pdf or b"/MediaBox [0 0 595" in pdf


def test_population_page_counts_attrition_and_links(browser, site):
    opened = browser.new_page(viewport={"width": 1100, "height": 900})
    opened.goto((site / "index.html").as_uri())
    assert opened.locator("#patient-count").inner_text() == str(len(PATIENTS))
    row = opened.locator('#verdict-table tr[data-trial="ChiCTR2600127018"]')
    counts = [row.locator(f'td[data-verdict="{v}"]').inner_text() for v in ("eligible", "undetermined", "ineligible")]
    assert sum(map(int, counts)) == len(PATIENTS)
    removed = opened.locator('article.attrition[data-trial="ChiCTR2600127018"] td.removed').all_inner_texts()
    assert sum(map(int, removed)) == int(counts[2])
    opened.get_by_role("link", name=PATIENT).click()
    opened.wait_for_load_state()
    assert opened.locator("h1").inner_text() == f"Screening report: {PATIENT}"
    opened.close()
