"""Drive a real JupyterLab, as a reader would, from tests and benchmarks.

    with jupyterlab(notebooks) as url, chromium() as browser:
        page = open_notebook(browser, url, "07_playground.ipynb")
        run_all(page)

`jupyterlab` starts the project's own `jupyter lab` on a loopback port (no token, a temporary root holding
copies of the given notebooks, the app exposed to the page as window.jupyterapp) and stops it by its
process id. Pages run in Debian's headless Chromium with every request outside the server blocked.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(notebooks: list[Path], env: dict | None = None, timeout: float = 120.0):
    """A JupyterLab server over a temporary copy of `notebooks`; yields its base URL. Its kernels read the
    book's shared runs (HELPERS_CACHE_DIR, else the project's .cache/), never recompute them."""
    root = Path(tempfile.mkdtemp(prefix="ab-lab-"))
    cache = os.environ.get("HELPERS_CACHE_DIR") or str(Path(__file__).resolve().parents[1] / ".cache")
    for nb in notebooks:
        shutil.copy(nb, root / nb.name)
    port = _free_port()
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HELPERS_CACHE_DIR": cache, **(env or {})},
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log = (root / "server.log").read_text()[-3000:]
                    raise RuntimeError(f"jupyter lab did not start:\n{log}") from None
                time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):   # the server and its kernels, by process id
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_notebook(browser, url: str, name: str, blocked: list | None = None):
    """A page with the notebook open in JupyterLab and its kernel ready; outside requests are recorded
    in `blocked` and aborted."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    def route(r):
        if r.request.url.startswith((url, "data:", "blob:")):
            return r.continue_()
        if blocked is not None:
            blocked.append(r.request.url)
        return r.abort()
    ctx.route("**/*", route)
    page = ctx.new_page()
    page.goto(f"{url}/lab/tree/{name}?reset", wait_until="domcontentloaded")   # no restored tabs
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext && "
                           "window.jupyterapp.shell.currentWidget.sessionContext.session && "
                           "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel", timeout=120_000)
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=120_000)
    return page


def run_all(page, timeout_s: float = 600) -> None:
    """Run every cell and wait until each code cell has an execution count and the kernel is idle."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => {
        const nb = window.jupyterapp.shell.currentWidget;
        const cells = nb.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
        return cells.length > 0 && cells.every(c => c.model.executionCount !== null) &&
               nb.sessionContext.session.kernel.status === 'idle';
    }""", timeout=timeout_s * 1000, polling=500)


def errors(page) -> list[str]:
    """Error outputs anywhere in the open notebook (type 'error', or text on stderr)."""
    return page.evaluate("""() => {
        const out = [];
        for (const c of window.jupyterapp.shell.currentWidget.content.widgets) {
            if (c.model.type !== 'code') continue;
            for (const o of c.model.outputs.toJSON()) {
                if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
                if (o.output_type === 'stream' && o.name === 'stderr') out.push('stderr: ' + o.text);
            }
        }
        return out;
    }""")


def explorer(page, timeout_s: float = 60):
    """The open notebook's live explorer, scrolled into view (JupyterLab 4 hides cells outside the
    window, and a notebook in another tab has explorers too)."""
    page.wait_for_function("window.jupyterapp.shell.currentWidget.node.querySelector('.ab-live-explorer')",
                           timeout=timeout_s * 1000)
    page.evaluate("""() => {
        const el = window.jupyterapp.shell.currentWidget.node.querySelector('.ab-live-explorer');
        el.setAttribute('data-ab-under-test', '');
        el.scrollIntoView({block: 'start'});
    }""")
    return page.wait_for_selector("[data-ab-under-test]", state="visible", timeout=timeout_s * 1000)


def images(explorer) -> list[str]:
    """The src of every image of a live explorer (a fresh blob URL after every redraw)."""
    return explorer.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('src') || '')")


def wait_redraw(page, explorer, before: list[str], which: int = 0, timeout_s: float = 30) -> float:
    """Seconds until image `which` of the explorer differs from `before` and has loaded."""
    t = time.perf_counter()
    page.wait_for_function(
        "([el, i, old]) => { const im = el.querySelectorAll('img')[i]; return im && im.getAttribute('src') && "
        "im.getAttribute('src') !== old && im.complete && im.naturalWidth > 0; }",
        arg=[explorer, which, before[which] if which < len(before) else ""], timeout=timeout_s * 1000, polling=10)
    return time.perf_counter() - t
