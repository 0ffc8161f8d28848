"""The built site in a real browser (headless Debian Chromium driven by playwright), offline.

Every page of book/_build/html is served on 127.0.0.1 and opened with every non-local request
blocked. A page passes if it loads, nothing fails or tries to leave the machine, the console stays
clean, every image decodes and every formula is typeset by the vendored MathJax.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import threading
import zipfile
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[2] / "book" / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
               if "_static" not in p.parts and "_sources" not in p.parts) if SITE.is_dir() else []


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """A static file server for `directory` on 127.0.0.1; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def visit(browser, server: str, page_path: str) -> dict:
    """Open one page offline; return what went wrong and what it contains."""
    ctx = browser.new_context()
    problems = {"blocked": [], "failed": [], "console": []}

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            problems["blocked"].append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url} ({r.status})"))
    resp = page.goto(f"{server}/{page_path}", wait_until="load")
    problems["status"] = resp.status if resp else None
    problems["math"] = page.evaluate("document.querySelectorAll('.math, span.math, div.math').length")
    if problems["math"]:
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("MathJax.startup.promise")
    problems["typeset"] = page.evaluate("document.querySelectorAll('mjx-container').length")
    problems["raw_tex"] = page.evaluate(
        "[...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')"
        " && /\\\\\\(|\\\\\\[|\\$\\$/.test(e.textContent)).length")
    problems["images"] = page.evaluate(
        "Promise.all([...document.images].map(i => i.decode().then(() => [i.src, i.naturalWidth],"
        " () => [i.src, 0])))")
    ctx.close()
    return problems


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no {CHROMIUM}: `make chromium` installs it")


def test_there_are_pages():
    if not PAGES:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    assert "book/intro.html" in PAGES and "notebooks/01_baseline.html" in PAGES, PAGES


def redirect_target(page_path: str) -> str | None:
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', (SITE / page_path).read_text())
    return m and (Path(page_path).parent / m.group(1)).as_posix()


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_offline(browser, server, page_path):
    target = redirect_target(page_path)
    if target:  # the root index.html only forwards to the first page
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(f"{server}/{page_path}")
        page.wait_for_url(f"{server}/{target}")
        ctx.close()
        return
    p = visit(browser, server, page_path)
    assert p["status"] == 200
    assert not p["blocked"], f"requests to outside the site: {p['blocked']}"
    assert not p["failed"], f"failed requests: {p['failed']}"
    assert not p["console"], f"console errors: {p['console']}"
    broken = [src for src, width in p["images"] if width == 0]
    assert not broken, f"images that did not decode: {broken}"
    assert p["raw_tex"] == 0, "formulas left as raw TeX"
    if p["math"]:
        assert p["typeset"] > 0, "page has math but MathJax typeset nothing"


def test_chapter_shows_its_figures(browser, server):
    p = visit(browser, server, "notebooks/01_baseline.html")
    cells = json.loads((SITE.parents[2] / "notebooks" / "01_baseline.ipynb").read_text())["cells"]
    figures = sum("image/png" in o.get("data", {}) for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    assert figures >= 3 and len(p["images"]) >= figures and all(w > 0 for _, w in p["images"])
    assert p["typeset"] > 0


def test_every_figure_has_alt_text_that_says_what_it_shows():
    """Each chapter figure's image carries its caption as alt text, not a file name (a screen reader reads it)."""
    pages = sorted((SITE / "notebooks").glob("*.html"))
    if not pages:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    bad = []
    for page in pages:
        for tag in re.findall(r"<img [^>]*_images/[^>]*>", page.read_text()):
            alt = re.search(r'alt="([^"]*)"', tag)
            text = alt.group(1) if alt else ""
            if len(text.split()) < 5 or re.search(r"\.(png|svg|jpe?g)$", text):
                bad.append(f"{page.name}: {text or '(none)'}")
    assert not bad, f"figures without real alt text: {bad}"


def test_the_check_catches_outside_requests_and_broken_pages(browser, tmp_path):
    """The offline check itself: a page that reaches for a CDN, misses an image and throws fails it."""
    (tmp_path / "bad.html").write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/x.js"></script></head><body>'
        '<img src="missing.png"><script>throw new Error("boom")</script></body></html>')
    with serve(tmp_path) as url:
        p = visit(browser, url, "bad.html")
    assert p["blocked"] == ["https://cdn.jsdelivr.net/npm/x.js"]
    assert any("missing.png" in f for f in p["failed"])
    assert any("boom" in c for c in p["console"])
    assert [w for _, w in p["images"]] == [0]


EXPLORER_PAGES = [p for p in PAGES if "ab-explorer" in (SITE / p).read_text()] if SITE.is_dir() else []


def test_explorer_pages_exist():
    if not PAGES:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    assert {"notebooks/06_dynamics.html", "notebooks/07_playground.html"} <= set(EXPLORER_PAGES), EXPLORER_PAGES


@pytest.mark.parametrize("page_path", EXPLORER_PAGES)
def test_static_explorers_respond_offline(browser, server, page_path):
    """Move every control of every static explorer (no kernel, non-local requests blocked): the title and
    the drawing follow the chosen setting, "compare with" overlays a second activation, each panel's
    y axis (its tick labels) stays the same whatever the setting, and reference lines stay drawn."""
    ctx = browser.new_context()
    blocked = []
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server)
              else (blocked.append(r.request.url), r.abort()))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/{page_path}", wait_until="load")
    y_ticks = "svg => [...svg.querySelectorAll('text[text-anchor=end]')].map(t => t.textContent).join(',')"
    for root in page.query_selector_all(".ab-explorer"):
        controls = root.query_selector_all(".ab-controls [data-key]")
        assert controls, "explorer without controls"
        axes_before = root.eval_on_selector_all("svg", f"ss => ss.map({y_ticks})")
        refs = root.evaluate("r => JSON.parse(document.getElementById(r.id + '-data').textContent).panels"
                             ".filter(p => p.ref !== null).length")
        for control in controls:
            key = control.get_attribute("data-key")
            options = (control.eval_on_selector_all("option", "os => os.map(o => o.textContent)")
                       if control.evaluate("e => e.tagName") == "SELECT" else None)
            count = len(options) if options else int(control.get_attribute("max")) + 1
            for index in (count - 1, 0):
                before = root.eval_on_selector("svg path.ab-main:last-of-type", "p => p.getAttribute('d')")
                control.evaluate("(e, i) => { e.value = String(i); e.dispatchEvent(new Event('input')); }", index)
                title = root.eval_on_selector(".ab-title", "t => t.textContent")
                shown = options[index] if options else root.eval_on_selector(
                    f'.ab-val[data-for="{key}"]', "v => v.textContent")
                overlay = root.eval_on_selector_all("path.ab-compare", "ps => ps.length")
                if key == "compare with":
                    assert (f"compared with {shown}" in title) == (index > 0), (index, title)
                    assert (overlay > 0) == (index > 0)
                else:
                    assert f"{key} {shown}" in title, (key, index, title)
                    svg_keys = root.eval_on_selector_all("svg", "s => s.map(x => x.getAttribute('data-key'))")
                    value = root.evaluate("(r, a) => JSON.parse(document.getElementById(r.id + '-data').textContent)"
                                          ".controls[a[0]][a[1]]", [key, index])   # the menu shows its display name
                    assert all(str(value) in k.split("|") for k in svg_keys), (value, svg_keys)
                assert root.eval_on_selector_all("svg", f"ss => ss.map({y_ticks})") == axes_before, "an axis moved"
                assert root.eval_on_selector_all("line.ab-ref", "ls => ls.length") == refs, "a reference line went"
                paths = root.eval_on_selector_all("svg path", "ps => ps.map(p => p.getAttribute('d'))")
                assert any(d for d in paths), "nothing drawn"
                after = root.eval_on_selector("svg path.ab-main:last-of-type", "p => p.getAttribute('d')")
                if key != "compare with" and index == 0 and count > 1:
                    assert after != before, f"moving {key} did not change the figure"
    ctx.close()
    assert not blocked and not errors, (blocked, errors)


def png_dpi(path: Path) -> float:
    """A PNG's resolution from its pHYs chunk (matplotlib writes the figure's dpi there), in dots per inch."""
    data = path.read_bytes()
    i = 8
    while i < len(data):
        size, kind = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8]
        if kind == b"pHYs":
            return int.from_bytes(data[i + 8:i + 12], "big") * 0.0254
        i += 12 + size
    raise AssertionError(f"{path.name}: no pHYs chunk, so no known dpi")


FIGURE_PAGES = [p for p in PAGES if p.startswith("notebooks/") or p == "book/intro.html"]


def test_figures_are_drawn_for_the_column(browser, server):
    """At 1280 px every figure is shown so that a point of its font is at least 1.1 CSS px and its smallest text
    (plotting.style.MIN_FONT) lands at 11 px or more: displayed width against drawn width (pixels / dpi)."""
    from helpers.plotting.style import MIN_FONT
    if not FIGURE_PAGES:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    small, seen = [], 0
    for page_path in FIGURE_PAGES:
        page.goto(f"{server}/{page_path}", wait_until="load")
        for src, natural, shown in page.evaluate(
                "[...document.querySelectorAll(\"img[src*='_images/']\")].map(i => [i.getAttribute('src'),"
                " i.naturalWidth, i.getBoundingClientRect().width])"):
            seen += 1
            inches = natural / png_dpi((SITE / page_path).parent / src)
            px_per_pt = shown / (inches * 72)
            if px_per_pt < 1.1 or MIN_FONT * px_per_pt < 11:
                small.append(f"{page_path} {src}: {inches:.1f} in shown at {shown:.0f} px, "
                             f"{px_per_pt:.2f} px per pt")
    page.close()
    assert seen >= 40, f"only {seen} figures found"
    assert not small, "figures drawn too wide for the column:\n" + "\n".join(small)


def test_no_table_is_wider_than_the_column(browser, server):
    """At 1280 px no table needs more width than the text column has (a table a reader must scroll sideways)."""
    if not FIGURE_PAGES:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    wide = []
    for page_path in FIGURE_PAGES:
        page.goto(f"{server}/{page_path}", wait_until="load")
        column = page.evaluate("document.querySelector('article').getBoundingClientRect().width")
        for width, head in page.evaluate("[...document.querySelectorAll('article table')].map(t => [t.scrollWidth,"
                                         " (t.querySelector('th, td') || {}).textContent || ''])"):
            if width > column + 1:
                wide.append(f"{page_path}: table '{head.strip()[:40]}' {width} px in a {column:.0f}-px column")
    page.close()
    assert not wide, "\n".join(wide)


def test_a_figure_enlarges_on_click_at_phone_width(browser, server):
    """At 390 px a figure is shrunk to the phone's column; a click shows it larger, Escape closes it."""
    if "notebooks/01_baseline.html" not in PAGES:
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{server}/notebooks/01_baseline.html", wait_until="load")
    img = page.query_selector("img.ab-zoomable")
    shown = img.evaluate("i => i.getBoundingClientRect().width")
    img.scroll_into_view_if_needed()
    img.click()
    big = page.eval_on_selector(".ab-zoom img", "i => i.getBoundingClientRect().width")
    assert big >= 1.5 * shown, (shown, big)
    page.keyboard.press("Escape")
    assert page.query_selector(".ab-zoom") is None
    page.close()


def test_the_source_download_the_landing_page_offers_is_there():
    """The landing page links the book's source (make site writes it from git); a link that 404s is worse than none."""
    if not (SITE / "book" / "intro.html").is_file():
        pytest.skip(f"no site at {SITE}: build it first (make site)")
    links = re.findall(r'href="\.\./([^"]+\.zip)"', (SITE / "book" / "intro.html").read_text())
    assert links, "the landing page offers no download"
    for link in links:
        zipped = SITE / link
        assert zipped.is_file() and zipped.read_bytes()[:2] == b"PK", link
        with zipfile.ZipFile(zipped) as z:
            assert "activation-book/notebooks/01_baseline.ipynb" in z.namelist()
