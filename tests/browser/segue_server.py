"""`segue serve` as a child process for the browser tests: a free port, a token
file and an events database in a work directory, ready once /healthz answers,
stopped with SIGTERM (it must drain and exit 0)."""
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from cdp import die_with_parent, stop_process_group


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SegueServer:
    def __init__(self, segue, model, data, workdir, timeout=30.0):
        self.token = secrets.token_hex(16)
        token_file = os.path.join(workdir, "token")
        with open(token_file, "w") as f:
            f.write(self.token + "\n")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(workdir, "serve.log")
        args = [segue, "serve", "--model", model, "--data", data, "--port", str(self.port), "--threads", "4",
                "--token-file", token_file, "--events", os.path.join(workdir, "events.db")]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True, preexec_fn=die_with_parent(signal.SIGTERM))
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError("segue serve exited with %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                status, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("segue serve not healthy after %.0f s:\n%s" % (timeout, self.log_tail()))
            time.sleep(0.1)

    def request(self, method, path, body=None, token=None, timeout=10):
        """(status, parsed JSON or text) of one request; HTTP errors are answers, not exceptions."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        text = raw.decode("utf-8")
        return status, json.loads(text) if kind.startswith("application/json") else text

    def get_json(self, path):
        status, body = self.request("GET", path)
        if status != 200:
            raise AssertionError("GET %s -> %s %s" % (path, status, body))
        return body

    def log_tail(self, chars=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-chars:]
        except OSError:
            return ""

    def stop(self):
        """The exit code after SIGTERM (killed after 20 s: an ASan build flushes slowly)."""
        return stop_process_group(self.process, grace=20.0)
