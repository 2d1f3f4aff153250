"""Regenerates docs/report-example.png: the HTML report of a bundled example patient, as headless Chromium
shows it (Debian's chromium, driven by Playwright; never a downloaded browser).

    python scripts/screenshot_report.py [PATIENT.json] [-o docs/report-example.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


def main() -> None:
    """Write the page with the command line, open it in Chromium, save the top of it as a PNG."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patient", nargs="?", default=str(ROOT / "examples" / "patients" / "P02-ae-lab-limits.json"))
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "report-example.png"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "report.html"
        command = [
            sys.executable,
            "-m",
            "eligibility",
            "screen",
            args.patient,
            "--format",
            "html",
            "-o",
            str(page_path),
        ]
        subprocess.run(command, check=True, cwd=ROOT)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS
            )
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(page_path.as_uri())
            page.screenshot(path=args.output)
            browser.close()
    print(f"{args.output}: {args.width}x{args.height}")


if __name__ == "__main__":
    main()
