"""The backtest report in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, which scripts/test.sh installs) opens the file with the network cut off,
every chart draws and the console stays free of errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.application.backtest.ports import BacktestReport

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
EXPECTED_CHARTS = [
    "chart-equity",
    "chart-drawdown",
    "chart-returns",
    "chart-monthly-returns",
    "chart-rolling-sharpe",
    "chart-rolling-volatility",
    "chart-rolling-beta",
    "chart-exposure",
    "chart-pnl-by-symbol",
    "chart-monte-carlo-returns",
    "chart-monte-carlo-trades",
]
# Per chart: its id, how many plotly drew (its full data), and how many SVG layers it has.
DRAWN = """
return Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => ({
    id: div.id,
    traces: (div._fullData || []).length,
    svgs: div.querySelectorAll('svg.main-svg').length,
    marks: div.querySelectorAll('.cartesianlayer .trace, .heatmaplayer .hm image').length,
}));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver "
            "(scripts/test.sh does)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        # No network at all: the report must draw from the file alone.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def opened(
    browser: Any, backtest_report: BacktestReport, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    path = HtmlReportWriter().write(backtest_report, tmp_path_factory.mktemp("report") / "r.html")
    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 30).until(
        lambda driver: all(
            chart["traces"] > 0 and chart["svgs"] > 0 for chart in driver.execute_script(DRAWN)
        )
    )
    return browser


def test_every_chart_draws_its_traces_offline(opened: Any) -> None:
    charts = opened.execute_script(DRAWN)

    assert [chart["id"] for chart in charts] == EXPECTED_CHARTS
    for chart in charts:
        assert chart["traces"] > 0, chart
        assert chart["svgs"] >= 2, chart  # plotly's main SVG and its overlay
        assert chart["marks"] > 0, chart
    assert opened.execute_script("return typeof Plotly") == "object"


def test_the_console_has_no_errors(opened: Any) -> None:
    log = opened.get_log("browser")

    errors = [entry for entry in log if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_the_log_button_switches_the_equity_axis_to_log_scale(opened: Any) -> None:
    button = opened.execute_script(
        "return Array.from(document.querySelectorAll('#chart-equity .updatemenu-button'))"
        ".find(b => b.textContent.trim() === 'Log');"
    )
    assert button is not None

    # Plotly's buttons listen on the SVG group; a real mouse click goes through.
    webdriver.ActionChains(opened).move_to_element(button).click().perform()

    WebDriverWait(opened, 10).until(
        lambda driver: (
            driver.execute_script(
                "return document.getElementById('chart-equity')._fullLayout.yaxis.type"
            )
            == "log"
        )
    )
    assert opened.get_log("browser") == []
