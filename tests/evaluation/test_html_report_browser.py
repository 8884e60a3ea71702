"""The HTML report in a real headless Chromium: what a person sees, the filter working, nothing fetched.

Chromium is driven over its DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages
separated by NUL bytes on file descriptors 3 and 4), so the test needs no driver, no websocket
library and no open port. Without Chromium the test skips, except under CI=true where it fails:
`.ci/run` installs Debian's `chromium` when it is missing.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                  "--disable-default-apps", "--mute-audio", "--remote-debugging-pipe"]


def chromium_path() -> str | None:
    """The Chromium binary on PATH, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """A headless Chromium on a DevTools pipe, with one page attached (flattened session)."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900):
        """Start the browser with a fresh profile and open a blank page."""
        self.profile = tempfile.mkdtemp(prefix="practicum-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def pipe_to_fds_3_and_4():
            # The child reads commands on fd 3 and writes replies on fd 4; move both ends above 10 first
            # so that placing one cannot overwrite the other. dup2 leaves 3 and 4 open across exec.
            high_r, high_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w))
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=pipe_to_fds_3_and_4,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from Chromium")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit code {self.process.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, page: bool = False, timeout: float = 30) -> dict:
        """Send one command (to the page session when `page`) and return its result; events are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        """Wait for a page event, e.g. Page.loadEventFired."""
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open(self, path: Path) -> None:
        """Navigate the page to a local file and wait for it to load."""
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", page=True)
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, page=True)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its (JSON) value."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, page=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, expected, timeout: float = 5):
        """Evaluate until the value equals `expected` (events such as hashchange are asynchronous)."""
        deadline = time.monotonic() + timeout
        while (value := self.evaluate(expression)) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return value

    def type_text(self, selector: str, text: str) -> None:
        """Focus an input and type into it as a keyboard would (input events fire)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for char in text:
            self.call("Input.insertText", {"text": char}, page=True)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Save a PNG of the page (the viewport, or the whole page)."""
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.call("Page.getLayoutMetrics", page=True)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000),
                              "scale": 1}
        data = self.call("Page.captureScreenshot", params, page=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Close the browser and remove its profile."""
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser():
    """A headless Chromium; skipped when it is not installed, failed instead under CI=true."""
    binary = chromium_path()
    if binary is None:
        reason = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    chromium = Chromium(binary)
    yield chromium
    chromium.close()


VISIBLE_ROWS = ("Array.from(document.querySelectorAll('table.sessions tbody tr'))"
                ".filter(r => r.offsetParent !== null).map(r => Number(r.dataset.session))")
VISIBLE_TRANSCRIPTS = ("Array.from(document.querySelectorAll('article.transcript'))"
                       ".filter(a => a.offsetParent !== null).map(a => Number(a.dataset.session))")


def test_report_in_a_real_browser(browser, store, tmp_path):
    from tests.evaluation.test_html_report import HOSTILE_SPEC, build_report_file  # here: benchmarks import Chromium

    path, ids = build_report_file(store, tmp_path)
    browser.open(path)
    assert browser.evaluate("document.body.dataset.ready") == "1"

    # What a person reads: a transcript line, the escaped markup shown as text and never run.
    text = browser.evaluate("document.body.innerText")
    assert "Why do the bottoms need to match? Look at the pieces." in text
    assert "<script>window.__pwned=1</script>" in text
    browser.evaluate("document.getElementById('filter-text').scrollIntoView()")
    assert HOSTILE_SPEC in browser.evaluate("document.querySelector('table.sessions').innerText")
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('b.injected, img.injected').length") == 0

    # Charts are drawn: SVG elements with a real size and marks inside.
    chart = browser.evaluate("(() => { const s = document.querySelector('#metrics svg.chart');"
                             " const r = s.getBoundingClientRect();"
                             " return [r.width, r.height, s.querySelectorAll('circle.point').length]; })()")
    assert chart[0] > 200 and chart[1] > 50 and chart[2] > 0
    assert browser.evaluate("document.querySelectorAll('svg.chart rect.bar').length") > 0

    # The filter: typing narrows the visible rows (and the transcripts follow).
    before = browser.evaluate(VISIBLE_ROWS)
    assert sorted(before) == ids
    browser.type_text("#filter-text", "mathdial")
    after = browser.evaluate(VISIBLE_ROWS)
    assert 0 < len(after) < len(before)
    assert set(after) == set(ids[9:])
    assert set(browser.evaluate(VISIBLE_TRANSCRIPTS)) <= set(after)
    assert "of 12 sessions" in browser.evaluate("document.getElementById('filter-count').textContent")
    browser.evaluate("(() => { const t = document.getElementById('filter-text'); t.value = '';"
                     " t.dispatchEvent(new Event('input')); })()")
    assert len(browser.evaluate(VISIBLE_ROWS)) == len(ids)
    browser.evaluate("(() => { const s = document.getElementById('filter-source'); s.value = 'simulated';"
                     " s.dispatchEvent(new Event('change')); })()")
    assert set(browser.evaluate(VISIBLE_ROWS)) == set(ids[:9])

    # Nothing was fetched: the only request is the file itself (data: URIs aside).
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert requests and all(u.startswith(("file://", "data:")) for u in requests), requests
    assert [u for u in requests if u.startswith("file://")] == [path.resolve().as_uri()]
    blocked = [e for e in browser.events if e.get("method") == "Log.entryAdded"
               and "Content Security Policy" in e["params"]["entry"].get("text", "")]
    assert not blocked, blocked

    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_transcript_pages_and_reading_without_scripts(browser, store, tmp_path, monkeypatch):
    from practicum.evaluation.html_report import transcripts
    from tests.evaluation.test_html_report import build_report_file

    monkeypatch.setattr(transcripts, "TRANSCRIPT_PAGE", 5)
    path, ids = build_report_file(store, tmp_path)
    browser.open(path)
    assert browser.evaluate(VISIBLE_TRANSCRIPTS) == ids[:5]
    assert browser.evaluate("document.querySelector('.pager-status').textContent") == "page 1 of 3 (12 transcripts)"
    browser.evaluate("document.querySelector('.pager button[data-step=\"1\"]').click()")
    assert browser.evaluate(VISIBLE_TRANSCRIPTS) == ids[5:10]
    # a link from the session list opens the page that holds its transcript
    browser.evaluate(f"document.querySelector('a[href=\"#s{ids[11]}\"]').click()")
    assert browser.wait_for(VISIBLE_TRANSCRIPTS, ids[10:]) == ids[10:]
    assert browser.evaluate("location.hash") == f"#s{ids[11]}"

    browser.call("Emulation.setScriptExecutionDisabled", {"value": True}, page=True)
    browser.events.clear()
    browser.call("Page.reload", page=True)
    browser.wait_event("Page.loadEventFired")
    assert browser.evaluate("document.body.dataset.ready") is None  # the page script did not run
    assert browser.evaluate(VISIBLE_TRANSCRIPTS) == ids  # every transcript readable
    assert len(browser.evaluate(VISIBLE_ROWS)) == len(ids)  # the first page of rows is plain HTML
