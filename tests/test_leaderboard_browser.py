"""The leaderboard page in a real browser: Debian's chromium, headless, driven by Selenium through
Debian's chromedriver (no browser download), loading index.html from disk.

scripts/setup.sh installs chromium and chromium-driver; in CI (``CI=true``) a missing browser is
a failure, elsewhere the test says why it cannot run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from effbench.leaderboard import Settings, write_leaderboard

from . import leaderboard_runs as lr

ARTIFACTS = Path(os.environ.get("EFFBENCH_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if not chromium or not driver:
        message = "Debian's chromium and chromium-driver are needed (scripts/setup.sh installs them as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return chromium, driver


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("lb-browser")
    runs = lr.standard_runs(root)
    out = root / "site"
    doc = write_leaderboard(
        runs, out, Settings(bootstrap_resamples=300, permutation_resamples=5000), str(root / "set" / "problems")
    )
    return out / "index.html", doc


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = _browser_paths()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _body_labels(browser):
    from selenium.webdriver.common.by import By

    return [tr.get_attribute("data-slug") for tr in browser.find_elements(By.CSS_SELECTOR, "#board-table-1 tbody tr")]


def test_page_in_chromium_sorts_and_drills_down_without_console_errors(browser, page):
    """Loaded from disk: no console error, one table row per model row, a click on a column header
    sorts by it (both directions), a model's link opens its drill-down, a problem's link opens
    the per-problem comparison; a screenshot is saved as a test artifact."""
    from selenium.webdriver.common.by import By

    path, doc = page
    browser.get(path.resolve().as_uri())
    rows = doc["tables"][0]["rows"]
    assert _body_labels(browser) == [r["slug"] for r in rows]

    # sort by eff@1: ascending, then descending
    header = next(
        th for th in browser.find_elements(By.CSS_SELECTOR, "#board-table-1 thead th") if th.text.startswith("eff@1")
    )
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    by_eff = sorted(rows, key=lambda r: r["eff@1"])
    assert _body_labels(browser) == [r["slug"] for r in by_eff]
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert _body_labels(browser) == [r["slug"] for r in reversed(by_eff)]
    # sort by model name (text)
    model_th = next(
        th for th in browser.find_elements(By.CSS_SELECTOR, "#board-table-1 thead th") if th.text == "model"
    )
    model_th.click()
    assert _body_labels(browser) == [r["slug"] for r in sorted(rows, key=lambda r: r["label"].lower())]

    # drill-down of the model "mid"
    mid = next(r for r in rows if r["label"] == "mid")
    details = browser.find_element(By.ID, f"row-{mid['slug']}")
    assert details.get_attribute("open") is None
    browser.find_element(By.CSS_SELECTOR, f'#board-table-1 a[href="#row-{mid["slug"]}"]').click()
    assert details.get_attribute("open") is not None
    link = details.find_element(By.CSS_SELECTOR, f'a[href="#problem-table-1-{lr.PROBLEMS[0]}"]')
    assert link.is_displayed()
    link.click()
    problem = browser.find_element(By.ID, f"problem-table-1-{lr.PROBLEMS[0]}")
    assert problem.get_attribute("open") is not None
    assert "expert profile" in problem.text and "mid: best sample" in problem.text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "leaderboard-browser.png"
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
