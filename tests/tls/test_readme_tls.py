"""The README's TLS library examples run and print what the README says."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("marker", ["tls-example", "tls-session-example"])
def test_tls_example_output(marker: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(f"<!-- {marker}:begin -->")[1].split(f"<!-- {marker}:end -->")[0]
    code, output = block.split("```python\n")[1].split("```\n\n```\n")
    expected = output.split("```")[0]
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md ({marker})", "exec"), {})
    finally:
        os.chdir(cwd)
    assert out.getvalue() == expected
