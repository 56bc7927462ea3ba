"""The Dagster UI, in a real headless Chromium, shows the whole lineage, schedule and sensors.

Starts `dagster-webserver -w workspace.yaml` on a free loopback port against a fresh
DAGSTER_HOME, checks assets, edges, the schedule and the sensors through the GraphQL API the
page uses, then opens the global asset lineage, expands every group, zooms out until no
more nodes appear, checks what is drawn and saves a screenshot to
data/screenshots/asset_lineage.png (git-ignored).
"""

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project import settings
from dagster_project.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1200",
)
STARTUP_TIMEOUT_SECONDS = 120
WEBSERVER_START_ATTEMPTS = 5
PAGE_TIMEOUT_SECONDS = 60
MAX_ZOOM_OUT_STEPS = 8
# The weekly path from raw flows to a figure, which must be drawn and connected.
WEEKLY_CHAIN = (
    "raw_flows",
    "stg_flows",
    "int_attributed_flow_totals",
    "int_traffic_hourly",
    "port_usage",
    "port_share_chart",
)

WORKSPACE_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
  __typename
  ... on PythonError { message }
  ... on RepositoryLocation { repositories {
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name sensorState { status } }
  } }
} } } } }
"""
ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(base_url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


def loaded_location(base_url: str) -> dict | None:
    """The code location once the webserver has loaded it, else None."""
    try:
        entries = graphql(base_url, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    except OSError:
        return None
    location = entries[0]["locationOrLoadError"] if entries else None
    if location and location["__typename"] == "PythonError":
        raise AssertionError(f"code location failed to load: {location['message']}")
    return location


def start_webserver(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """dagster-webserver on a free port once its code location has loaded, and its address.

    A free port can be taken by another process before the webserver binds it; the
    webserver then exits and is started again on another port.
    """
    for _attempt in range(WEBSERVER_START_ATTEMPTS):
        port = free_port()
        command = [
            str(Path(sys.executable).parent / "dagster-webserver"),
            *("-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)),
        ]
        with log_path.open("w") as log:
            # Own process group: the webserver starts a code server that must stop with it.
            server = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        try:
            while server.poll() is None and time.monotonic() < deadline:
                if loaded_location(base_url) is not None:
                    return server, base_url
                time.sleep(1)
        except BaseException:  # a code location that failed to load: no server left behind
            stop(server)
            raise
        stop(server)
        if "address already in use" not in log_path.read_text().lower():
            break
    pytest.fail(f"dagster-webserver did not come up:\n{log_path.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """Stops the webserver and what it started (its code server), whichever still runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def ui_environment(home: Path) -> dict[str, str]:
    """A fresh Dagster home and data folders under `home`."""
    dagster_home = home / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "TRAFFICREPORT_DATA_DIR": str(home / "data"),
        "TRAFFICREPORT_DUCKDB": str(home / "data" / "warehouse.duckdb"),
        "TRAFFICREPORT_OUTPUT_DIR": str(home / "assets"),
    }


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui")
    server, base_url = start_webserver(ui_environment(home), home / "webserver.log")
    try:
        yield base_url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def expected_lineage() -> dict[str, set[str]]:
    """Every asset of the code location and its upstream assets, as `defs` declares them."""
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {parent.to_user_string() for parent in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }


@pytest.fixture(scope="module")
def expected_groups() -> set[str]:
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
    return {node.group_name for node in nodes if node.is_materializable}


def test_graphql_serves_the_lineage_schedule_and_sensors(webserver: str, expected_lineage):
    nodes = graphql(webserver, ASSETS_QUERY)["assetNodes"]
    served = {
        "/".join(node["assetKey"]["path"]): {"/".join(up["path"]) for up in node["dependencyKeys"]}
        for node in nodes
    }
    assert served == expected_lineage
    for upstream, downstream in itertools.pairwise(WEEKLY_CHAIN):
        assert upstream in served[downstream]

    (repository,) = loaded_location(webserver)["repositories"]
    schedules = {s["name"]: s for s in repository["schedules"]}
    weekly = schedules["weekly_report_schedule"]
    assert (weekly["cronSchedule"], weekly["executionTimezone"]) == ("0 3 * * 1", "Asia/Tokyo")
    assert weekly["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert sensors == {
        "cross_week_after_weekly": "RUNNING",
        "inbox_sensor": "RUNNING",
        "dead_run_monitor": "RUNNING",
    }


def shown_as(asset: str, label: str) -> bool:
    """The graph shortens long names in the middle: `int_fl…_attributed`."""
    if "…" not in label:
        return label == asset
    head, tail = label.split("…", 1)
    return asset.startswith(head) and asset.endswith(tail)


def open_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.exists():
            pytest.fail(f"{program} is missing: run bash scripts/install_system_packages.sh")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options), profile


def drawn_asset_labels(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, "[class*='AssetNode_assetName']")
    return [element.text for element in elements if element.text]


def page_lines(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text.splitlines()


def zoom_out_while_more_assets_show(driver) -> list[str]:
    """The graph draws only nodes in view; zoom out until no more labelled nodes appear."""
    from selenium.webdriver.common.by import By

    def click(icon: str) -> None:
        driver.find_element(By.XPATH, f"//button[.//*[@aria-label='{icon}']]").click()
        time.sleep(1)

    labels = drawn_asset_labels(driver)
    for _ in range(MAX_ZOOM_OUT_STEPS):
        click("zoom_out")
        wider = drawn_asset_labels(driver)
        if len(wider) < len(labels):  # too far out: names are no longer drawn
            click("zoom_in")
            break
        labels = wider
    return drawn_asset_labels(driver)


def test_browser_draws_the_lineage(webserver: str, expected_lineage, expected_groups):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver, profile = open_browser()
    screenshot = settings.data_dir() / "screenshots" / "asset_lineage.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(f"{webserver}/asset-groups")
        # Mark the community sign-up dialog as seen so that it does not cover the graph.
        driver.execute_script("window.localStorage.setItem('communityNux', '1')")
        driver.get(f"{webserver}/asset-groups")
        wait = WebDriverWait(driver, PAGE_TIMEOUT_SECONDS)
        # The sidebar lists every asset group once the page has loaded the graph.
        wait.until(lambda d: expected_groups <= set(page_lines(d)))
        # Alt+E is the graph's "Expand all groups".
        ActionChains(driver).key_down(Keys.ALT).send_keys("e").key_up(Keys.ALT).perform()
        wait.until(drawn_asset_labels)
        labels = zoom_out_while_more_assets_show(driver)
        assert driver.save_screenshot(str(screenshot))
        # The whole graph is too wide to draw every node at a readable zoom; the upstream
        # lineage of the weekly figure must be drawn in full.
        driver.get(
            f"{webserver}/assets/{WEEKLY_CHAIN[-1]}"
            "?view=lineage&lineageScope=upstream&lineageDepth=10"
        )
        wait.until(
            lambda d: (
                set(WEEKLY_CHAIN)
                <= {
                    a
                    for a in expected_lineage
                    if any(shown_as(a, label) for label in drawn_asset_labels(d))
                }
            )
        )
        chain_labels = drawn_asset_labels(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    unknown = [label for label in labels if not any(shown_as(a, label) for a in expected_lineage)]
    assert not unknown, f"drawn nodes that are not assets of the code location: {unknown}"
    drawn = {a for a in expected_lineage if any(shown_as(a, label) for label in chain_labels)}
    assert drawn >= set(WEEKLY_CHAIN), f"drawn: {sorted(drawn)}"
    assert screenshot.stat().st_size > 10_000
