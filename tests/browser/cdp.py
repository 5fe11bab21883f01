"""Headless Chromium driven over the Chrome DevTools Protocol (one page).

Just what the web page test and the screenshot script need: open a URL, run
JavaScript, wait for a condition, click and type with real input events,
capture a PNG. Chromium runs in its own process group and dies with us
(PR_SET_PDEATHSIG), so a failed or killed test leaves nothing behind.
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import websocket  # Debian's python3-websocket (websocket-client)

_PR_SET_PDEATHSIG = 1


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def die_with_parent(sig=signal.SIGKILL):
    """A preexec_fn: the child gets `sig` when this process ends, however it ends."""
    def preexec():
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig))
    return preexec


def stop_process_group(process, grace=5.0):
    """SIGTERM to the group `process` leads, SIGKILL after `grace` seconds; returns the exit code."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return process.wait(timeout=grace)


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, profile_dir, width=1280, height=900, timeout=30.0):
        chromium = find_chromium()
        if chromium is None:
            raise BrowserError("chromium is not installed (scripts/install_deps.sh installs it)")
        os.makedirs(profile_dir, exist_ok=True)
        stale = os.path.join(profile_dir, "DevToolsActivePort")  # a reused profile: the port of an old run
        if os.path.exists(stale):
            os.remove(stale)
        self.log_path = os.path.join(profile_dir, "chromium.log")
        args = [chromium, "--headless", "--remote-debugging-port=0", "--user-data-dir=" + profile_dir,
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--mute-audio", "--hide-scrollbars",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True, preexec_fn=die_with_parent())
        self.console = []  # console messages and uncaught exceptions of the page
        self._next_id = 0
        self.ws = None
        try:
            port = self._devtools_port(profile_dir, timeout)
            target = self._page_target(port, timeout)
            # No Origin header: Chromium rejects DevTools connections from other origins.
            self.ws = websocket.create_connection(target, timeout=timeout, suppress_origin=True)
            self.send("Page.enable")
            self.send("Runtime.enable")
            self.send("Log.enable")
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, profile_dir, timeout):
        # With --remote-debugging-port=0 Chromium picks a free port and writes it here.
        path = os.path.join(profile_dir, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError("chromium exited with %s; its log:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.05)
        raise BrowserError("chromium did not open its DevTools port in %.0f s; its log:\n%s" % (timeout, self.log_tail()))

    def _page_target(self, port, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as response:
                    targets = json.load(response)
                for target in targets:
                    if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
                        return target["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrowserError("chromium has no page target after %.0f s" % timeout)
            time.sleep(0.05)

    def log_tail(self, chars=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-chars:]
        except OSError:
            return ""

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        stop_process_group(self.process)

    # ---- the protocol ----
    def send(self, method, params=None):
        self._next_id += 1
        message_id = self._next_id
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise BrowserError("%s failed: %s" % (method, message["error"]))
                return message.get("result", {})
            self._note_event(message)

    def _note_event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            self.console.append("console.%s: %s" % (params.get("type"), text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console.append("exception: %s" % details.get("exception", {}).get("description", details.get("text")))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append("log.%s: %s %s" % (entry.get("level"), entry.get("text"), entry.get("url", "")))

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError("JavaScript failed: %s\n  in: %s" % (
                details.get("exception", {}).get("description", details.get("text")), expression))
        return result.get("result", {}).get("value")

    def wait_for(self, expression, what, timeout=15.0):
        """Polls `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError("timed out after %.0f s waiting for %s\n  (%s)\n  page console:\n    %s" % (
                    timeout, what, expression, "\n    ".join(self.console[-20:]) or "(empty)"))
            time.sleep(0.05)

    # ---- a person's actions ----
    def navigate(self, url, timeout=15.0):
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href.startsWith(%s)" % json.dumps(url[:40]),
                      "the page to load: " + url, timeout)

    def click(self, selector):
        """A real mouse click at the element's centre, after checking nothing covers it there."""
        box = self.evaluate("""(() => {
            const node = document.querySelector(%s);
            if (!node) return null;
            node.scrollIntoView({block: "center", inline: "center"});
            const r = node.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            const top = document.elementFromPoint(x, y);
            return {x, y, w: r.width, h: r.height, hit: !!top && (top === node || node.contains(top))};
        })()""" % json.dumps(selector))
        if box is None:
            raise BrowserError("nothing on the page matches %s" % selector)
        if box["w"] <= 0 or box["h"] <= 0 or not box["hit"]:
            raise BrowserError("%s is not visible or is covered (box %s)" % (selector, box))
        point = {"x": box["x"], "y": box["y"]}
        self.send("Input.dispatchMouseEvent", dict(point, type="mouseMoved"))
        self.send("Input.dispatchMouseEvent", dict(point, type="mousePressed", button="left", clickCount=1))
        self.send("Input.dispatchMouseEvent", dict(point, type="mouseReleased", button="left", clickCount=1))

    def type_text(self, selector, text):
        """Clicks into a field and types `text` key by key."""
        self.click(selector)
        for ch in text:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": ch, "unmodifiedText": ch, "key": ch})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch})

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
