r"""Every page of the built book works, and reads as a report, in a real browser.

The HTML is served from a local ``http.server`` on 127.0.0.1 and each page is opened in
headless Chromium (the system's ``/usr/bin/chromium`` driven through the system
``/usr/bin/chromedriver``, so Selenium never downloads a browser or driver). On every page:
each ``<img>`` has decoded (complete, ``naturalWidth > 0``), the console shows no errors,
every same-origin link and resource resolves to a file (HTTP 200; ``#fragments`` and
queries are ignored), and no request leaves the machine: Chromium's performance log lists
every request the page made, and any to a host other than 127.0.0.1 fails the test (MathJax
is served from the build, see ``_config.yml``). The page also has to read as a report:

- no raw Markdown table (a ``|---|`` separator line) outside code blocks: tables that
  cells print must be parsed into HTML tables;
- every chapter whose notebook prints a Markdown table shows ``<table>`` elements, and no
  table is wider than the text column (cut at the right, or scrolled);
- MathJax has typeset every formula: no ``\(``, ``\[`` or ``$...$`` is left in the text;
- on every chapter, each code input is hidden (inside a closed ``<details>``) by default.

Chromium is also told that every host other than 127.0.0.1 does not exist, so the test
behaves the same with or without internet.

Run with ``make test-browser``, which builds the HTML first and points ``LICNN_BOOK_HTML``
at it; without that variable the test builds the book into a temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("LICNN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LICNN_CHROMEDRIVER", "/usr/bin/chromedriver")

#: The only host a page may request anything from: the local server.
LOCAL_HOSTS = {"127.0.0.1"}
#: A separator line of a Markdown table (``|---|---|``, with optional colons), also after
#: smart quotes turned ``---`` into an em dash (as docutils does outside tables).
RAW_TABLE = re.compile(r"\|\s*:?(?:-{3,}|[–—]-?):?\s*\|\s*:?(?:-{3,}|[–—]-?)")
#: Maths MathJax should have typeset: ``\(...\)``, ``\[...\]`` or ``$...$``.
RAW_MATH = re.compile(r"\\\(|\\\[|\$[^$\s][^$]*\$")
#: Folders of a Sphinx build that hold assets, not pages.
ASSET_DIRS = {"_static", "_sources", "_images", "_downloads"}

_COLLECT = """
const urls = (sel, attr) => Array.from(document.querySelectorAll(sel)).map(e => e[attr]);
return {
  images: Array.from(document.images).map(i => ({
    src: i.currentSrc || i.src, complete: i.complete, width: i.naturalWidth})),
  links: urls('a[href]', 'href'),
  resources: [...urls('img[src]', 'src'), ...urls('link[href]', 'href'),
              ...urls('script[src]', 'src')],
};
"""
# Text of the page outside code: inputs, outputs printed as text, and inline code.
_PROSE_TEXT = """
const root = document.querySelector('main') || document.body;
const copy = root.cloneNode(true);
copy.querySelectorAll('pre, code, script, style, .cell_input, mjx-container, .MathJax')
    .forEach(e => e.remove());
copy.querySelectorAll('p, li, td, th, dt, dd, figcaption, h1, h2, h3, h4, div')
    .forEach(e => e.append(document.createTextNode('\\n')));
return copy.textContent;
"""
_REPORT = """
const inputs = Array.from(document.querySelectorAll('.cell_input'));
return {
  tables: document.querySelectorAll('main table').length,
  // Tables wider than the text column they stand in (cut at the right or scrolled).
  wide_tables: Array.from(document.querySelectorAll('main table'))
      .filter(t => t.offsetParent !== null)
      .filter(t => t.getBoundingClientRect().right
                   > t.closest('.full-width, section, article, main').getBoundingClientRect().right + 1
                   || (t.parentElement.scrollWidth > t.parentElement.clientWidth + 1))
      .map(t => t.innerText.slice(0, 60)),
  code_inputs: inputs.length,
  shown_inputs: inputs.filter(e => { const d = e.closest('details'); return !d || d.open; })
      .length,
  untypeset: Array.from(document.querySelectorAll('.math'))
      .filter(e => !e.querySelector('mjx-container') && e.tagName !== 'MJX-CONTAINER')
      .map(e => e.textContent.slice(0, 60)),
};
"""
_MATHJAX_DONE = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('.math')) { done(true); return; }
const wait = (tries) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done(true), () => done(false));
  } else if (tries > 0) { setTimeout(() => wait(tries - 1), 100); } else { done(false); }
};
wait(100);
"""
_ALL_IMAGES_DONE = """
for (const img of document.images) { img.loading = 'eager'; }
return Array.from(document.images).every(i => i.complete);
"""


@dataclass
class Visit:
    page: str
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    console: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    text: str = ""
    report: dict = field(default_factory=dict)
    mathjax_done: bool = True


@pytest.fixture(scope="module")
def html_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("LICNN_BOOK_HTML")
    if given:
        path = Path(given)
        path = path if path.is_absolute() else ROOT / path
        assert (path / "index.html").is_file(), f"LICNN_BOOK_HTML={given} holds no built book"
        return path
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", "-W", "--path-output", str(out), "book/"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"jupyter-book build failed:\n{result.stdout[-4000:]}"
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(html_dir: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (run `make browser`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def pages(html_dir: Path) -> list[str]:
    found = (p.relative_to(html_dir) for p in html_dir.rglob("*.html"))
    return sorted(p.as_posix() for p in found if not ASSET_DIRS & set(p.parts))


@pytest.fixture(scope="module")
def visits(html_dir: Path, server: str, driver) -> list[Visit]:
    from selenium.webdriver.support.ui import WebDriverWait

    done = []
    driver.set_script_timeout(30)
    for page in pages(html_dir):
        driver.get_log("performance")  # drop what earlier pages logged
        driver.get(urljoin(server, page))
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(_ALL_IMAGES_DONE))
        mathjax_done = bool(driver.execute_async_script(_MATHJAX_DONE))
        found = driver.execute_script(_COLLECT)
        visit = Visit(
            page,
            console=driver.get_log("browser"),
            requests=_requested_urls(driver.get_log("performance")),
            text=driver.execute_script(_PROSE_TEXT),
            report=driver.execute_script(_REPORT),
            mathjax_done=mathjax_done,
            **found,
        )
        done.append(visit)
    return done


def _requested_urls(entries: list[dict]) -> list[str]:
    """The URLs of every request in Chromium's performance log entries."""
    urls = []
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_pages_found(visits: list[Visit]) -> None:
    names = {v.page for v in visits}
    assert {"index.html", "intro.html"} <= names, f"unexpected build: {sorted(names)}"
    assert any(name[:2].isdigit() for name in names), "no notebook pages in the build"


def test_images_decode(visits: list[Visit]) -> None:
    broken = [
        f"{v.page}: {img['src']}"
        for v in visits
        for img in v.images
        if not (img["complete"] and img["width"] > 0)
    ]
    assert not broken, "images that did not decode:\n" + "\n".join(broken)


def test_no_console_errors(visits: list[Visit]) -> None:
    errors = [
        f"{v.page}: {entry['message']}"
        for v in visits
        for entry in v.console
        if entry.get("level") == "SEVERE"
    ]
    assert not errors, "console errors:\n" + "\n".join(errors)


def test_no_request_leaves_the_machine(visits: list[Visit]) -> None:
    assert any(v.requests for v in visits), "the performance log recorded no requests"
    external = sorted(
        {
            f"{v.page}: {url}"
            for v in visits
            for url in v.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOCAL_HOSTS
        }
    )
    assert not external, "requests to other hosts:\n" + "\n".join(external)


def test_no_raw_markdown_tables(visits: list[Visit]) -> None:
    raw = [
        f"{v.page}: {line.strip()[:80]}"
        for v in visits
        for line in v.text.splitlines()
        if RAW_TABLE.search(line)
    ]
    assert not raw, "Markdown tables shown as text, not as tables:\n" + "\n".join(raw)


def _prints_a_table(notebook: Path) -> bool:
    """Whether a code cell of ``notebook`` has a Markdown output with a table in it."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return any(
        RAW_TABLE.search(_text(output.get("data", {}).get("text/markdown", "")))
        for cell in nb.cells
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])
        for output in cell.get("outputs", [])
    )


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def test_printed_tables_are_html_tables(visits: list[Visit]) -> None:
    book = ROOT / "book"
    checked, missing = 0, []
    for v in visits:
        notebook = book / Path(v.page).with_suffix(".ipynb")
        if notebook.is_file() and _prints_a_table(notebook):
            checked += 1
            if not v.report["tables"]:
                missing.append(v.page)
    assert checked, "no chapter prints a table: is book/ the book that was built?"
    assert not missing, f"pages whose printed tables are not HTML tables: {missing}"


def test_tables_fit_the_page(visits: list[Visit]) -> None:
    wide = [f"{v.page}: {t!r}" for v in visits for t in v.report["wide_tables"]]
    assert not wide, "tables wider than the text column:\n" + "\n".join(wide)


def test_maths_is_typeset(visits: list[Visit]) -> None:
    problems = [f"{v.page}: MathJax did not finish" for v in visits if not v.mathjax_done]
    problems += [f"{v.page}: {t}" for v in visits for t in v.report["untypeset"]]
    problems += [f"{v.page}: {m.group(0)[:60]}" for v in visits for m in RAW_MATH.finditer(v.text)]
    assert not problems, "maths left untypeset:\n" + "\n".join(problems)


def test_code_is_hidden_by_default(visits: list[Visit]) -> None:
    chapters = [v for v in visits if v.page[:2].isdigit()]
    assert chapters and all(v.report["code_inputs"] for v in chapters), (
        "a chapter page shows no code cells at all: were the notebooks built?"
    )
    shown = [f"{v.page}: {v.report['shown_inputs']}" for v in chapters if v.report["shown_inputs"]]
    assert not shown, "chapters with code inputs shown by default:\n" + "\n".join(shown)


def test_internal_links_resolve(visits: list[Visit], server: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    origin = urlsplit(server).netloc
    status: dict[str, int | str] = {}
    broken = []
    for v in visits:
        for url in {*v.links, *v.resources}:
            target = urldefrag(url).url.split("?", 1)[0]
            if urlsplit(target).netloc != origin:
                continue
            if target not in status:
                try:
                    with opener.open(target, timeout=10) as response:
                        status[target] = response.status
                except urllib.error.HTTPError as exc:
                    status[target] = exc.code
                except urllib.error.URLError as exc:
                    status[target] = str(exc.reason)
            if status[target] != 200:
                broken.append(f"{v.page}: {target} -> {status[target]}")
    assert not broken, "internal links that do not resolve:\n" + "\n".join(sorted(broken))
