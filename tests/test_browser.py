"""Every page of the built book works in a real browser.

The HTML is served from a local ``http.server`` on 127.0.0.1 and each page is opened in
headless Chromium (the system's ``/usr/bin/chromium`` driven through the system
``/usr/bin/chromedriver``, so Selenium never downloads a browser or driver). On every page:
each ``<img>`` has decoded (complete, ``naturalWidth > 0``), the console shows no errors,
and every same-origin link and resource resolves to a file (HTTP 200; ``#fragments`` and
queries are ignored).

Chromium is told that every host other than 127.0.0.1 does not exist, so the test behaves
the same with or without internet. Pages with mathematics load MathJax from its CDN: that
request fails here, and its console error is the one kind ignored (hosts in
:data:`CDN_HOSTS`); readers of the published book load MathJax normally.

Run with ``make test-browser``, which builds the HTML first and points ``LICNN_BOOK_HTML``
at it; without that variable the test builds the book into a temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import os
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

#: Content delivery networks the theme or MathJax may load from; failures to reach them are
#: expected offline and ignored. Any other failing request is an error.
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com")
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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
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
    for page in pages(html_dir):
        driver.get(urljoin(server, page))
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(_ALL_IMAGES_DONE))
        found = driver.execute_script(_COLLECT)
        done.append(Visit(page, console=driver.get_log("browser"), **found))
    return done


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


def _expected_offline(message: str) -> bool:
    """A failed request to a CDN (MathJax and the like): unreachable by design here."""
    host = urlsplit(message.split(" ", 1)[0]).hostname or ""
    return host in CDN_HOSTS and "net::ERR_" in message


def test_no_console_errors(visits: list[Visit]) -> None:
    errors = [
        f"{v.page}: {entry['message']}"
        for v in visits
        for entry in v.console
        if entry.get("level") == "SEVERE" and not _expected_offline(entry.get("message", ""))
    ]
    assert not errors, "console errors:\n" + "\n".join(errors)


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
