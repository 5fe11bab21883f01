#!/usr/bin/python3
"""Screenshot of the web page for the docs, with the test's CDP code.

Serves MODEL over STORE, opens the page for one listener with reasons on,
types the token into the page, skips one card (so the picture shows what
feedback changes) and writes a full-page PNG.
Usage: screenshot_page.py --segue BIN --model M --data STORE --user ID --out PNG
scripts/screenshot_page.sh runs it on the Last.fm data.
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cdp import Browser  # noqa: E402
from segue_server import SegueServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segue", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--skip-rank", type=int, default=3, help="which card to skip before the picture (0: none)")
    parser.add_argument("--search", default="", help="also type this into the search box")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    work = tempfile.mkdtemp(prefix="segue-screenshot-")
    server = browser = None
    try:
        server = SegueServer(options.segue, options.model, options.data, work)
        browser = Browser(os.path.join(work, "chromium"), width=options.width, height=options.height)
        browser.navigate(server.url + "/?user=" + options.user)
        browser.wait_for("document.body.dataset.ready === '1' && document.getElementById('recs').dataset.state === 'ready'"
                         " && document.querySelectorAll('#history li').length > 0", "the listener's list")
        if options.skip_rank > 0:
            browser.type_text("#token", server.token)
            version = browser.evaluate("Number(document.getElementById('recs').dataset.version)")
            browser.click("#recs li.card[data-rank='%d'] button[data-action='skip']" % options.skip_rank)
            browser.wait_for("(() => { const r = document.getElementById('recs'); return r.dataset.state === 'ready'"
                             " && Number(r.dataset.version) > %d; })()" % version, "the list after the skip")
            browser.wait_for("!!document.querySelector(\"#history li[data-event='skip']\")", "the activity panel")
        if options.search:
            browser.type_text("#search", options.search)
            browser.wait_for("!document.getElementById('suggestions').hidden", "suggestions")
        # The new cards' highlight fades in 1.6 s: take the picture while it shows, with no hover or focus ring.
        browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 1, "y": 1})
        browser.evaluate("(() => { const a = document.activeElement; if (a && a.id !== 'search') a.blur(); return 1; })()")
        browser.screenshot(options.out)
        print("wrote %s" % options.out)
    finally:
        if browser is not None:
            browser.close()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
