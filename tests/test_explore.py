"""The dashboard (`run.py explore`, sim.explore): two regimes on one seed, stepped together;
the map, plots and event log read the runs' own state; the Solara page steps, resets and
switches regime; one test drives it in a real headless browser."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim import explore
from sim.cli import main
from sim.model import RiskModel
from sim.regimes import REGIMES
from sim.scenario import load, seed_sequence
from tests.conftest import ROOT, SMALL, write_yaml

QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"


def _run_to_end(pair):
    while pair.running:
        pair.step()
    return pair


def test_both_sides_are_the_studys_replication_on_one_seed():
    sc = load(QUICKSTART)
    pair = _run_to_end(explore.Pair(study=sc, replication=2))
    assert pair.sides == ["territorial", "coordinated"]
    for key in pair.sides:
        spec = next(s for s in sc.runs() if s.regime == key and s.point == 0
                    and s.replication == 2)
        alone = RiskModel(regime=spec.preset, params=spec.overrides,
                          rng=seed_sequence(sc.seed, spec.seed))
        ours, theirs = pair.runs[key].outcomes(), alone.run()  # the run the study records
        assert ours.keys() == theirs.keys()
        np.testing.assert_array_equal(list(ours.values()), list(theirs.values()))
    left, right = (pair.runs[k] for k in pair.sides)
    assert [(i.spec.origin, i.spec.start_step) for i in left.incidents] == \
        [(i.spec.origin, i.spec.start_step) for i in right.incidents]
    # the article's point on this seed: the platform warns more cities than the hierarchy
    assert explore.tally(right, pair.t)["in_time"] > explore.tally(left, pair.t)["in_time"]


def test_derived_event_log_replays_every_warning_arrival_and_report():
    pair = explore.Pair(study=load(QUICKSTART))
    seen = {key: {"warned": set(), "arrived": set(), "reported": set()} for key in pair.sides}
    while pair.running:
        pair.step()
        for key in pair.sides:
            for e in explore.derived_events(pair.runs[key], pair.t):
                assert set(e) == {"step", "hour", "event", "actor", "target", "incident",
                                  "amount", "detail"}
                assert e["step"] == pair.t and e["hour"] == pair.t * pair.step_hours
                if e["event"] in seen[key]:
                    city = e["target"] if e["event"] == "warned" else e["actor"]
                    seen[key][e["event"]].add((city, e["step"]))
    for key in pair.sides:
        inc = pair.runs[key].incidents[0]
        assert seen[key]["warned"] == {(j, int(s)) for j, s in enumerate(inc.informed)
                                       if 0 <= s <= pair.t}
        assert seen[key]["arrived"] == {(j, int(s)) for j, s in enumerate(inc.arrival)
                                        if 0 <= s <= pair.t}
        assert seen[key]["reported"] == {(inc.origin, inc.report_step)}
    rows = explore.shown_events(explore.derived_events(pair.runs["coordinated"], 4),
                                pair.runs["coordinated"], "zh")
    assert [4, 24.0, "收到预警", "", "城市1", 0, None, ""] in rows  # words and names, not keys


def test_event_panel_uses_the_models_own_log_when_there_is_one():
    pair = explore.Pair(study=load(QUICKSTART))
    pair.step()
    run = pair.runs["coordinated"]
    run.events = [{"step": 0, "hour": 6.0, "event": "detected", "actor": "City 0",
                   "target": "", "incident": 0, "amount": None, "detail": "x"},
                  {"step": 1, "hour": 12.0, "event": "reported", "actor": "City 0",
                   "target": "", "incident": 0, "amount": None, "detail": ""}]
    events, own = explore.step_events(run, 0)
    assert own and [e["event"] for e in events] == ["detected"]


def test_city_state_follows_the_incident_arrays():
    pair = explore.Pair(study=load(QUICKSTART))
    for _ in range(12):
        pair.step()
    for key in pair.sides:
        run = pair.runs[key]
        inc = run.incidents[0]
        state = explore.city_state(run, pair.t)
        t = pair.t
        np.testing.assert_array_equal(state.warned, (inc.informed >= 0) & (inc.informed <= t))
        np.testing.assert_array_equal(state.emergency, (inc.ready >= 0) & (inc.ready <= t))
        np.testing.assert_array_equal(state.hit, (inc.arrival >= 0) & (inc.arrival <= t))
        assert state.origins == [inc.origin]
    # the platform warns every city at once; the hierarchy warns them as the spill arrives
    assert explore.city_state(pair.runs["coordinated"], pair.t).warned.all()
    assert not explore.city_state(pair.runs["territorial"], pair.t).warned.all()


def test_sliders_never_cover_a_regime_setting_and_do_change_the_runs():
    sc = load(QUICKSTART)
    sliders = explore.slider_paths(sc)
    set_by_regimes = {k for r in REGIMES.values() for k in r.settings}
    assert sliders and not set(sliders) & set_by_regimes
    assert "river_spill.magnitude" in sliders and "region.reach_hours" in sliders
    blind = _run_to_end(explore.Pair(study=sc, sensing__monitoring_prob=0.0))
    for run in blind.runs.values():  # nobody watches: the spill is never detected
        assert all(inc.detected_step < 0 for inc in run.incidents)
    params = explore.model_params(sc)
    assert params["left"]["values"][:2] == ["territorial", "coordinated"]
    assert set(REGIMES) <= set(params["left"]["values"])
    assert params["sensing__monitoring_prob"]["value"] == 0.5


def test_one_regime_alone_and_unknown_regime():
    pair = explore.Pair(study=load(QUICKSTART), left="spontaneous", right="none")
    assert pair.sides == ["spontaneous"] and list(pair.runs) == ["spontaneous"]
    with pytest.raises(ValueError, match=r"unknown regime 'federal'.*territorial"):
        explore.Pair(study=load(QUICKSTART), left="federal")


def test_map_puts_cities_at_their_places_with_rivers_and_real_outlines():
    pair = explore.Pair(study=load(ROOT / "scenarios" / "regimes_yangtze_delta.yaml"))
    for _ in range(40):
        pair.step()
    with explore.plt_rc("en"):
        fig = explore.map_figure(pair)
    region = pair.region
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 2
    for ax in axes:
        cities = [c for c in ax.collections if len(c.get_offsets()) == region.n]
        np.testing.assert_allclose(cities[0].get_offsets(),
                                   np.column_stack([region.lon, region.lat]))
        arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
        assert len(arrows) == len(region.rivers) > 0
        # the base map: land and province lines under the cities
        assert sum(len(c.get_paths()) for c in ax.collections
                   if c.get_zorder() < 1) > 10
        x0, x1 = ax.get_xlim()
        assert x0 < region.lon.min() and region.lon.max() < x1
    png = explore.png(explore.map_figure, pair)
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_plots_grow_with_the_steps():
    pair = explore.Pair(study=load(QUICKSTART))
    for _ in range(10):
        pair.step()
    with explore.plt_rc("en"):
        fig = explore.plots_figure(pair)
    loss_axis = fig.axes[0]
    lines = loss_axis.get_lines()
    assert len(lines) == 2 and all(len(line.get_xdata()) == 10 for line in lines)
    for line, key in zip(lines, pair.sides, strict=True):
        assert line.get_ydata()[-1] == pytest.approx(explore.tally(pair.runs[key], pair.t)
                                                     ["loss"])


def test_page_steps_resets_and_switches_regime_without_a_browser():
    solara = pytest.importorskip("solara")
    import ipyvuetify as v
    import ipywidgets as w

    page = explore.dashboard(QUICKSTART)
    _box, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    buttons = {b.children[0]: b for b in rc.find(v.Btn).widgets if b.children}
    assert {"Reset", "Step"} <= set(buttons)
    assert len(rc.find(w.Image).widgets) == 2  # the map and the plots

    def text() -> str:
        return " ".join(str(h.unsafe_innerHTML) for h in rc.find(v.Html).widgets
                        if getattr(h, "unsafe_innerHTML", None)) + " ".join(
            str(m.children) for m in rc.find(v.Html).widgets)

    before = rc.find(w.Image).widgets[0].value
    for _ in range(6):
        buttons["Step"].click()
    assert rc.find(w.Image).widgets[0].value != before  # the map moved on
    assert "Territorial" in text() and "Coordinated" in text()
    left = next(s for s in rc.find(v.Select).widgets if s.label == "Regime (left)")
    left.v_model = "spontaneous"
    buttons["Reset"].click()
    assert "Spontaneous" in text() and "Territorial" not in text()
    buttons["Step"].click()


def test_explore_command_line_errors_exit_2(tmp_path, capsys):
    bad = write_yaml(tmp_path / "bad.yaml", dict(SMALL, replicatons=3))
    assert main(["explore", str(bad)]) == 2
    assert "did you mean 'replications'" in capsys.readouterr().err
    assert main(["explore", str(tmp_path / "missing.yaml")]) == 2
    assert main(["explore", str(QUICKSTART), "--port", "0"]) == 2
    assert "--port 0" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["explore", str(QUICKSTART), "--port", str(port)]) == 2
        assert f"--port {port + 1}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["explore", "--help"])
    assert "SolaraViz" in capsys.readouterr().out


# --- a real browser -------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not (CHROMIUM and DRIVER),
                    reason="no headless browser here: install Debian's chromium and "
                           "chromium-driver (apt-get install chromium chromium-driver) to run "
                           "the dashboard in a real browser")
def test_dashboard_in_a_headless_browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "explore",
                               str(QUICKSTART), "--port", str(port)], cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"})
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1600,1300"):
        options.add_argument(arg)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.time() < deadline, "the explore server did not start in 90 s"
                time.sleep(0.5)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.get(url)
        # solara re-renders whole subtrees: an element found a moment ago may be gone
        wait = WebDriverWait(driver, 90, ignored_exceptions=(StaleElementReferenceException,))

        def body() -> str:
            return driver.find_element(By.TAG_NAME, "body").text

        def button(label: str):
            return next(b for b in driver.find_elements(By.TAG_NAME, "button")
                        if b.text.strip().lower() == label)

        # the page fills in piece by piece (map, then plots, then text): wait for all of it
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "img.kuayu-map")
                   and d.find_elements(By.CSS_SELECTOR, "img.kuayu-plots")
                   and "The two runs so far" in body())
        for k in range(1, 9):
            button("step").click()
            wait.until(lambda d, k=k: f"Event log of step {k - 1} " in body())
        assert "Territorial" in body() and "Coordinated" in body()
        shot = tmp_path / "explore.png"
        driver.save_screenshot(str(shot))
        keep = os.environ.get("KUAYU_SCREENSHOT")  # e.g. to look at it after the test
        if keep:
            shutil.copy(shot, keep)
        assert shot.stat().st_size > 50_000
        map_png = driver.find_element(By.CSS_SELECTOR, "img.kuayu-map")
        assert map_png.size["width"] > 300  # drawn, decoded and shown by the browser:
        assert driver.execute_script("return arguments[0].complete && "
                                     "arguments[0].naturalWidth", map_png) > 600
        # switch the left regime and reset: the page now compares spontaneous and coordinated
        select = next(s for s in driver.find_elements(By.CSS_SELECTOR, ".v-select")
                      if "Regime (left)" in s.text)
        select.find_element(By.CSS_SELECTOR, ".v-select__slot").click()
        wait.until(lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, ".v-list-item")
                              if i.text.strip() == "spontaneous" and i.is_displayed()])
        item = next(i for i in driver.find_elements(By.CSS_SELECTOR, ".v-list-item")
                    if i.text.strip() == "spontaneous" and i.is_displayed())
        item.click()
        button("reset").click()
        wait.until(lambda d: "Spontaneous" in body() and "Territorial" not in body())
        button("step").click()
        wait.until(lambda d: "Event log of step 0 " in body())
        if keep:
            driver.save_screenshot(str(Path(keep).with_name("explore_switched.png")))
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
