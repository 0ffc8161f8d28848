"""The live widgets in a real JupyterLab (the client readers use), driven by headless Chromium: every
chapter with a live explorer runs top to bottom without an error, every control redraws its figure, the
playground trains, and a diverging run is said in the widget, not thrown as a traceback."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import lab_client  # noqa: E402
from conftest import NO_RUNS, book_runs_ready  # noqa: E402

LIVE = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if "widgets.explore" in p.read_text())
pytestmark = [pytest.mark.skipif(not Path(lab_client.CHROMIUM).is_file(),
                                 reason=f"no {lab_client.CHROMIUM}: `make chromium` installs it"),
              pytest.mark.skipif(not book_runs_ready(), reason=NO_RUNS)]   # the chapters' kernels read them


@pytest.fixture(scope="module")
def lab():
    with lab_client.jupyterlab(LIVE) as url, lab_client.chromium() as browser:
        yield url, browser


def test_the_chapters_with_live_widgets_are_found():
    assert {p.name for p in LIVE} == {"06_dynamics.ipynb", "07_playground.ipynb"}, LIVE


def _select(page, explorer, index: int, value: str) -> None:
    explorer.query_selector_all("select")[index].select_option(label=value)


def _slide(page, explorer, index: int, key: str = "End") -> None:
    handle = explorer.query_selector_all(".noUi-handle")[index]
    handle.focus()
    page.keyboard.press(key)


def _train(page, explorer, timeout_s: float) -> None:
    """Press train once the controls have settled, and wait for the new loss figure."""
    page.wait_for_timeout(300)
    before = lab_client.images(explorer)
    explorer.query_selector("button:has-text('train')").click()
    lab_client.wait_redraw(page, explorer, before, which=1, timeout_s=timeout_s)


@pytest.mark.parametrize("name", [p.name for p in LIVE])
def test_chapter_runs_in_jupyterlab_and_every_control_redraws(lab, name):
    url, browser = lab
    blocked: list[str] = []
    page = lab_client.open_notebook(browser, url, name, blocked)
    lab_client.run_all(page)
    assert not lab_client.errors(page), lab_client.errors(page)
    explorer = lab_client.explorer(page)
    page.wait_for_function("el => [...el.querySelectorAll('img')].some(i => i.naturalWidth > 0)", arg=explorer,
                           timeout=60_000)
    selects = explorer.query_selector_all("select")
    sliders = explorer.query_selector_all(".noUi-handle")
    for i, select in enumerate(selects):                      # every dropdown: pick another option
        options = select.eval_on_selector_all("option", "os => os.map(o => o.textContent)")
        before = lab_client.images(explorer)
        select.select_option(label=options[-1] if select.input_value() != "0" else options[1])
        assert lab_client.wait_redraw(page, explorer, before) < 30, f"dropdown {i} did not redraw"
    for i in range(len(sliders)):                             # every slider that redraws at once
        before = lab_client.images(explorer)
        _slide(page, explorer, i, "End")
        if name == "07_playground.ipynb" and i > 0:           # lr and epochs act when *train* is pressed
            continue
        assert lab_client.wait_redraw(page, explorer, before) < 30, f"slider {i} did not redraw"
    status = explorer.query_selector_all(".ab-status.ab-error")
    assert not status, [s.inner_text() for s in status]
    assert not blocked, blocked
    page.context.close()


def test_playground_trains_and_reports_divergence_in_the_widget(lab):
    url, browser = lab
    page = lab_client.open_notebook(browser, url, "07_playground.ipynb")
    lab_client.run_all(page)
    explorer = lab_client.explorer(page)
    _train(page, explorer, timeout_s=120)                     # defaults: ReLU, depth 10, lr 1e-3, 200 epochs
    assert "final train MSE" in explorer.inner_text()
    # too large a step: Leaky ReLU at learning rate 1 diverges (chapter 4), and the widget says so
    _select(page, explorer, 1, "Leaky ReLU")
    _slide(page, explorer, 1, "End")                           # lr 1
    _train(page, explorer, timeout_s=120)
    assert "diverged" in explorer.inner_text()
    # the example: depth 50 sigmoid at the largest learning rate: a message, never a traceback
    _select(page, explorer, 1, "Sigmoid")
    _slide(page, explorer, 0, "End")                           # depth 50
    _train(page, explorer, timeout_s=180)
    text = explorer.query_selector_all(".ab-status")[-1].inner_text()
    assert "diverged" in text or "final train MSE" in text, text
    assert "Traceback" not in explorer.inner_text() and not lab_client.errors(page)
    page.context.close()
