"""docs/PYTHON.md's walkthrough runs as written: its python blocks, in order,
from a directory where data/ is the repository's."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_walkthrough_runs(tmp_path, monkeypatch, capsys):
    text = open(os.path.join(ROOT, "docs/PYTHON.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    os.symlink(os.path.join(ROOT, "data"), tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    scope = {}
    for block in blocks:
        exec(compile(block, "docs/PYTHON.md", "exec"), scope)
    out = capsys.readouterr().out
    assert "ndcg@10" in out and (tmp_path / "build/python-walkthrough/report.html").exists()
    table = scope["table"]
    assert len(table) == 3 and (table["ndcg@10 ci_low"] < table["ndcg@10"]).all()
