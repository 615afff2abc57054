"""The README's TLS library example runs and prints what the README says."""

from __future__ import annotations

import contextlib
import io
import os

from tests.conftest import ROOT


def test_tls_example_output() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- tls-example:begin -->")[1].split("<!-- tls-example:end -->")[0]
    code, output = block.split("```python\n")[1].split("```\n\n```\n")
    expected = output.split("```")[0]
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md (TLS example)", "exec"), {})
    finally:
        os.chdir(cwd)
    assert out.getvalue() == expected
