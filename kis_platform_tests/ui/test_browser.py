"""The Dagster UI in a real browser (Debian's Chromium driven by Playwright), against `kis-platform up`.

The asset graph must show every asset of the code location and every dependency edge GraphQL reports; the
`minute_bars` partitions page must accept a backfill of three minutes and the three runs must succeed.
Screenshots go to kis_platform_tests/artifacts/ (git-ignored); one graph screenshot becomes docs/images/asset-graph.png.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kis_platform.settings import REPO_ROOT
from kis_platform_tests.foundation.platform_proc import BIN, free_port, platform_env

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "kis_platform_tests" / "artifacts"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no browser: /usr/bin/chromium is not installed "
                                "(apt-get install chromium)")

ASSETS_QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    reply = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60).json()
    assert "errors" not in reply, reply
    return reply["data"]


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui") / "home"
    port = free_port(3400)
    env = platform_env(home, KIS_PLATFORM_UI_PORT=str(port), KIS_PLATFORM_PG_PORT=str(free_port(56500)),
                       KIS_SIM_PORT=str(free_port(18500)))
    log = home.parent / "up.log"
    proc = subprocess.Popen([str(BIN / "kis-platform"), "up"], env=env, cwd=REPO_ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "Dagster UI:" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    # tall enough that the whole graph (about 20 assets in six groups) fits at the zoom the UI picks on load
    context = browser.new_context(viewport={"width": 2400, "height": 2400})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


def _dismiss_dialogs(page: object) -> None:
    """The first visit shows a "Join the Dagster community" dialog over the page; skip it if it comes."""
    try:
        page.get_by_role("button", name="Skip").click(timeout=6000)  # type: ignore[attr-defined]
    except sync_api.TimeoutError:
        pass


def test_asset_graph_shows_every_asset_and_edge(ui_url: str, page: object) -> None:
    nodes = _graphql(ui_url, ASSETS_QUERY)["assetNodes"]
    expected = {"/".join(n["assetKey"]["path"]) for n in nodes}
    edges = sum(len(n["dependencyKeys"]) for n in nodes)
    assert "market_db_backup" in expected

    page.goto(f"{ui_url}/asset-groups", wait_until="networkidle")  # type: ignore[attr-defined]
    _dismiss_dialogs(page)
    viewport = page.locator("[data-svg-viewport]")  # type: ignore[attr-defined]
    for _ in range(len(expected) + 5):  # groups start collapsed; expanding one re-renders the rest
        folded = viewport.locator('[aria-label="unfold_more"]')
        if not folded.count():
            break
        folded.first.click()
        page.wait_for_timeout(700)  # type: ignore[attr-defined]
    page.reload(wait_until="networkidle")  # type: ignore[attr-defined]  # the graph fits itself to the window on load
    _dismiss_dialogs(page)
    names = viewport.locator('[class*="AssetNode_assetName"]')
    names.first.wait_for()
    shown = {names.nth(i).inner_text().strip() for i in range(names.count())}
    drawn = viewport.locator('path[stroke="var(--color-lineage-edge)"]').count()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "asset-graph.png"))  # type: ignore[attr-defined]
    (REPO_ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ARTIFACTS / "asset-graph.png", REPO_ROOT / "docs" / "images" / "asset-graph.png")
    assert shown == {k.split("/")[-1] for k in expected}
    assert drawn == edges


BACKFILLS_QUERY = "{ partitionBackfillsOrError { ... on PartitionBackfills { results { id status } } } }"
MINUTES_QUERY = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionKeys partitionStats { numMaterialized numFailed } } } }"""


CALENDAR_QUERY = """{ assetNodeOrError(assetKey: {path: ["trading_calendar"]}) { ... on AssetNode {
  assetMaterializations(limit: 1) { timestamp } } } }"""


def _wait_for_calendar(ui_url: str, seconds: float = 300) -> None:
    """On a fresh install the calendar sensor materializes trading_calendar first; it registers the partitions."""
    deadline = time.monotonic() + seconds
    while not _graphql(ui_url, CALENDAR_QUERY)["assetNodeOrError"]["assetMaterializations"]:
        assert time.monotonic() < deadline, "trading_calendar was not materialized by its sensor"
        time.sleep(3)


def test_backfill_three_minutes_from_the_partitions_page(ui_url: str, page: object) -> None:
    _wait_for_calendar(ui_url)
    node = _graphql(ui_url, MINUTES_QUERY, {"key": {"path": ["minute_bars"]}})["assetNodeOrError"]
    if not node:
        pytest.skip("asset minute_bars (DynamicPartitionsDefinition 'session_minutes') is not defined yet")
    last_day = node["partitionKeys"][-1][:10] if node["partitionKeys"] else ""
    keys = [k for k in node["partitionKeys"] if k.startswith(last_day) and k[11:] in ("10:00", "10:01", "10:02")]
    if len(keys) < 3:
        pytest.skip(f"minute_bars has no 10:00-10:02 partitions on {last_day!r}; the calendar has not registered them")
    before = node["partitionStats"]["numMaterialized"]

    page.goto(f"{ui_url}/assets/minute_bars?view=partitions", wait_until="networkidle")  # type: ignore[attr-defined]
    _dismiss_dialogs(page)
    page.screenshot(path=str(ARTIFACTS / "minute-partitions.png"))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Materialize").first.click()  # type: ignore[attr-defined]
    dialog = page.locator(".dagster-dialog")  # type: ignore[attr-defined]  # the launch dialog, not the popover
    # Dynamic partitions are picked one by one from a searchable list (the range syntax is for time windows).
    dialog.get_by_text("Select a partition or create one").click(timeout=90_000)
    search = page.get_by_placeholder("Filter partitions")  # type: ignore[attr-defined]
    for key in keys:
        search.fill(key)
        page.get_by_text(key, exact=True).filter(visible=True).first.click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    assert "3 partitions" in dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / "minute-backfill-dialog.png"))  # type: ignore[attr-defined]
    dialog.get_by_role("button", name="Launch backfill").click()
    page.screenshot(path=str(ARTIFACTS / "minute-backfill-launched.png"))  # type: ignore[attr-defined]

    deadline = time.monotonic() + 300
    while True:
        results = _graphql(ui_url, BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"]
        if results and results[0]["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "FAILED", "COMPLETED_FAILED"):
            break
        assert time.monotonic() < deadline, results
        time.sleep(2)
    stats = _graphql(ui_url, MINUTES_QUERY, {"key": {"path": ["minute_bars"]}})["assetNodeOrError"]["partitionStats"]
    page.goto(f"{ui_url}/assets/minute_bars?view=partitions", wait_until="networkidle")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "minute-backfill-done.png"))  # type: ignore[attr-defined]
    assert results[0]["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), results[0]
    assert stats["numFailed"] == 0 and stats["numMaterialized"] >= min(before + 3, len(node["partitionKeys"]))
