"""Shared set-up of the Python benchmarks: the machine line, the embedded
Last.fm data imported and split as scripts/quickstart.sh does."""

import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}"


def header(title):
    print(f"# {title}")
    print(f"# command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    print(f"# machine: {machine()}")


def lastfm_split(workdir):
    """(data, train, test): Last.fm HetRec imported with --kcore-users 5, split random seed 42."""
    import segue

    store = os.path.join(workdir, "lastfm")
    data = segue.import_("lastfm", os.path.join(ROOT, "data/lastfm-hetrec-2k"), store, kcore_users=5)
    train, test = segue.split(data, method="random", seed=42)
    return data, train, test


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)
