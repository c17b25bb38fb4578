#!/usr/bin/env python3
"""Open trainbench's HTML pages in headless Chromium and check them like a reader would.

Usage: check_pages.py --shots DIR PAGE.html [PAGE.html ...]

For every page:
  * static: no reference that a browser would fetch over the network (src=/href= to
    http(s), @import, url(http...)); the SVG namespace URI is not a fetch and is allowed;
  * loads it from disk (file://) and fails on any console error, uncaught exception or
    browser log error (a failed resource load included);
  * every figure's SVG has a non-empty box on the page and non-empty drawn content;
  * clicking a sortable table's header changes the row order, and the rows end up sorted;
  * hovering a data point shows the tooltip with its numbers (an interval for the report,
    a commit for the history);
  * saves a screenshot of the first screen and of the whole page into DIR;
  * a report at 1400 x 900 (a laptop screen): the first answer, with a difference and its
    interval ("… points [lo, hi] …"), lies wholly on the first screen, and no table of
    configurations is wider than the page (no horizontal scrolling); the screenshot is
    report-1400x900.png.

The browser is driven through the Chrome DevTools Protocol over a pipe
(--remote-debugging-pipe: JSON messages separated by NUL bytes on file descriptors 3 and 4),
so this needs only Python's standard library and Debian's `chromium` package.
Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]

# References a browser would fetch from the network: the rule of trainbench's
# report::html::page::fetchable_references (namespace URIs such as the SVG xmlns are names,
# not fetches).
FETCHABLE = [
    re.compile(r"""(?<![\w:-])(?:src|href|xlink:href|action|poster|data)\s*=\s*["' ]*(?:https?:|//)""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"""url\(\s*["' ]*(?:https?:|//)""", re.I),
]


class Browser:
    """A headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, binary, profile):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,
            pass_fds=(3, 4),
        )
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]

    def _read(self, timeout):
        deadline = time.time() + timeout
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            import select

            ready, _, _ = select.select([self.from_r], [], [], 0.5)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(timeout)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, name, timeout=30):
        for i, e in enumerate(self.events):
            if e["method"] == name:
                return self.events.pop(i)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self._read(deadline - time.time())
            if m.get("method") == name:
                return m
            if "method" in m:
                self.events.append(m)
        raise TimeoutError(f"no {name} event")

    def drain(self, seconds):
        deadline = time.time() + seconds
        import select

        while time.time() < deadline:
            ready, _, _ = select.select([self.from_r], [], [], 0.05)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    break
                self.buf += chunk
            while b"\0" in self.buf:
                msg, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(msg)
                if "method" in m:
                    self.events.append(m)

    def eval(self, expression):
        r = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluation failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def close(self):
        try:
            self.session = None
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def static_check(path):
    text = open(path, encoding="utf-8").read()
    problems = []
    for pattern in FETCHABLE:
        for m in pattern.finditer(text):
            problems.append(f"fetchable reference: {text[max(0, m.start() - 40):m.end() + 40]!r}")
    return problems, len(text.encode())


FIGURES_JS = r"""
(() => {
  const out = [];
  document.querySelectorAll("figure > svg").forEach((svg, i) => {
    const fig = svg.closest("figure");
    const r = svg.getBoundingClientRect();
    let bbox = {width: 0, height: 0};
    try { bbox = svg.getBBox(); } catch (e) {}
    const marks = svg.querySelectorAll("circle, rect, polyline, polygon, path, line").length;
    out.push({id: fig.id || ("figure " + i), w: r.width, h: r.height,
              bw: bbox.width, bh: bbox.height, marks});
  });
  return out;
})()
"""

SORT_JS = r"""
(() => {
  const rowsOf = (t) => Array.from(t.tBodies[0].rows);
  const keyOf = (r, i) => { const c = r.cells[i]; const v = c.getAttribute("data-v");
    return v === null || v === "" ? null : parseFloat(v); };
  for (const t of document.querySelectorAll("table.sortable")) {
    const rows = rowsOf(t);
    if (rows.length < 2) continue;
    const heads = t.tHead.rows[0].cells;
    // A column other than the first (usually already in order) when one can sort.
    const order = Array.from(heads, (_, i) => i).slice(1).concat([0]);
    for (const i of order) {
      const keys = rows.map((r) => keyOf(r, i)).filter((k) => k !== null);
      if (new Set(keys).size < 2) continue;
      const before = rows.map((r) => r.textContent).join("\n");
      const button = heads[i].querySelector("button") || heads[i];
      button.click();
      let after = rowsOf(t).map((r) => r.textContent).join("\n");
      let clicks = 1;
      if (after === before) { button.click(); clicks = 2; after = rowsOf(t).map((r) => r.textContent).join("\n"); }
      const sorted = rowsOf(t).map((r) => keyOf(r, i)).filter((k) => k !== null);
      const dir = heads[i].getAttribute("aria-sort");
      const ok = sorted.every((k, j) => j === 0 ||
        (dir === "ascending" ? sorted[j - 1] <= k : sorted[j - 1] >= k));
      return {table: t.className, column: heads[i].textContent.trim(), clicks,
              changed: after !== before, monotonic: ok, aria: dir};
    }
  }
  return null;
})()
"""

HOVER_TARGET_JS = r"""
(() => {
  const el = document.querySelector("figure svg .pt[data-tip]");
  if (!el) return null;
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2, tip: el.getAttribute("data-tip")};
})()
"""


FIRST_SCREEN_JS = r"""
(() => {
  window.scrollTo(0, 0);
  const a = document.querySelector("#answers .answer");
  const r = a ? a.getBoundingClientRect() : null;
  const wide = Array.from(document.querySelectorAll("table.configs"), (t) => {
    const box = t.closest(".scroll") || t.parentElement;
    return {scroll: box.scrollWidth, client: box.clientWidth,
            right: t.getBoundingClientRect().right};
  }).filter((w) => w.scroll > w.client + 1 || w.right > window.innerWidth);
  return {answer: a ? a.textContent : null, top: r ? r.top : null, bottom: r ? r.bottom : null,
          height: window.innerHeight, page: document.documentElement.scrollWidth,
          width: window.innerWidth, wide};
})()
"""

DIFFERENCE = re.compile(r"-?\d+\.\d+ points \[-?\d+\.\d+, -?\d+\.\d+\]")


def first_screen(browser, shots, name):
    """The report at 1400 x 900: its first answer states a difference with its interval and
    is wholly visible without scrolling, and no configurations table scrolls sideways."""
    failures = []
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.drain(0.3)
    f = browser.eval(FIRST_SCREEN_JS)
    shot = browser.call("Page.captureScreenshot", {"format": "png"})
    open(os.path.join(shots, f"{name}-1400x900.png"), "wb").write(base64.b64decode(shot["data"]))
    if not f["answer"]:
        failures.append("1400x900: no answer on the page")
    else:
        if not DIFFERENCE.search(f["answer"]):
            failures.append(f"1400x900: the first answer states no difference with its interval: {f['answer'][:200]!r}")
        if f["top"] < 0 or f["bottom"] > f["height"]:
            failures.append(f"1400x900: the first answer is not wholly on the first screen "
                            f"(top {f['top']:.0f}, bottom {f['bottom']:.0f} of {f['height']} px)")
    if f["wide"] or f["page"] > f["width"]:
        failures.append(f"1400x900: horizontal scrolling: page {f['page']} px in {f['width']}; "
                        f"tables {f['wide']}")
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.drain(0.3)
    return failures, f


def check_page(browser, path, shots, kind, name):
    failures = []
    problems, size = static_check(path)
    failures += problems
    browser.events.clear()
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.call("Page.navigate", {"url": "file://" + os.path.abspath(path)})
    browser.wait_event("Page.loadEventFired")
    browser.drain(0.5)

    screen = None
    if kind == "report":
        more, screen = first_screen(browser, shots, name)
        failures += more

    figures = browser.eval(FIGURES_JS)
    if not figures:
        failures.append("no figures on the page")
    for f in figures:
        if f["w"] <= 0 or f["h"] <= 0 or f["bw"] <= 0 or f["bh"] <= 0 or f["marks"] == 0:
            failures.append(f"figure {f['id']} is empty: {f}")

    sort = browser.eval(SORT_JS)
    if sort is None:
        failures.append("no sortable table with two different values in a column")
    elif not (sort["changed"] and sort["monotonic"]):
        failures.append(f"sorting did not reorder the table: {sort}")

    hover = browser.eval(HOVER_TARGET_JS)
    tip_text = None
    if hover is None:
        failures.append("no data point to hover")
    else:
        browser.call("Input.dispatchMouseEvent",
                     {"type": "mouseMoved", "x": hover["x"], "y": hover["y"]})
        browser.drain(0.2)
        tip_text = browser.eval(
            "(() => { const t = document.getElementById('tip'); return t.hidden ? null : t.textContent; })()")
        want = r"\[.*,.*\]" if kind == "report" else r"\b[0-9a-f]{7}\b"
        if not tip_text or not re.search(want, tip_text):
            failures.append(f"hover shows no numbers: {tip_text!r} (wanted /{want}/)")
        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        open(os.path.join(shots, f"{name}-hover.png"), "wb").write(base64.b64decode(shot["data"]))
        browser.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 1, "y": 1})

    # The first screen as a reader sees it, and the whole page.
    browser.eval("window.scrollTo(0, 0)")
    browser.drain(0.2)
    shot = browser.call("Page.captureScreenshot", {"format": "png"})
    open(os.path.join(shots, f"{name}-top.png"), "wb").write(base64.b64decode(shot["data"]))
    metrics = browser.call("Page.getLayoutMetrics")
    content = metrics.get("cssContentSize") or metrics["contentSize"]
    height = min(int(content["height"]), 16000)
    shot = browser.call("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}})
    open(os.path.join(shots, f"{name}-full.png"), "wb").write(base64.b64decode(shot["data"]))

    # Each section on its own (a readable size for a person checking the screenshots).
    sections = browser.eval("""Array.from(document.querySelectorAll('section[id]'), s => {
        const r = s.getBoundingClientRect();
        return {id: s.id, y: r.top + window.scrollY, h: r.height}; })""")
    for sec in sections:
        sec_name = re.sub(r"[^A-Za-z0-9_-]", "_", sec["id"])
        # In parts of at most 1600 px, so that each stays readable at full size.
        parts = max(1, -(-int(sec["h"]) // 1600))
        for part in range(min(parts, 8)):
            y = sec["y"] + part * 1600
            h = min(1600, sec["y"] + sec["h"] - y)
            shot = browser.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": y, "width": 1280, "height": h, "scale": 1}})
            suffix = "" if parts == 1 else f"-{part + 1}"
            open(os.path.join(shots, f"{name}-section-{sec_name}{suffix}.png"), "wb").write(
                base64.b64decode(shot["data"]))

    browser.drain(0.3)
    for e in browser.events:
        p = e.get("params", {})
        if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            failures.append(f"console.{p['type']}: {args}")
        elif e["method"] == "Runtime.exceptionThrown":
            failures.append(f"uncaught exception: {p.get('exceptionDetails', {}).get('text')} "
                            f"{p.get('exceptionDetails', {}).get('exception', {}).get('description', '')}")
        elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            failures.append(f"browser log error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
    return failures, {"page": path, "bytes": size, "figures": len(figures or []),
                      "sorted": sort, "tooltip": tip_text, "screen": screen}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shots", required=True, help="folder for the screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("pages", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.shots, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="trainbench-chromium-")
    browser = Browser(args.chromium, profile)
    failed = False
    try:
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            browser.call(method)
        for page in args.pages:
            kind = "history" if os.path.basename(page).startswith("history") else "report"
            # A report's screenshots are named after its folder (smoke, tiny-vs-toy, …).
            name = kind if kind == "history" else os.path.basename(os.path.dirname(os.path.abspath(page)))
            failures, info = check_page(browser, page, args.shots, kind, name)
            status = "ok" if not failures else "FAILED"
            print(f"{status}: {page} ({info['bytes'] / 1024:.0f} KiB, {info['figures']} figures; "
                  f"sorted by '{(info['sorted'] or {}).get('column')}'; tooltip {info['tooltip']!r})")
            if info["screen"] and info["screen"]["answer"]:
                sc = info["screen"]
                print(f"  1400x900: first answer at {sc['top']:.0f}–{sc['bottom']:.0f} px of "
                      f"{sc['height']}: {sc['answer'][:160]!r}")
            for f in failures:
                print(f"  - {f}")
            failed |= bool(failures)
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"screenshots in {args.shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
