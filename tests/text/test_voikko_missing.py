"""Without Voikko (a non-root install without the Debian packages) the classifier degrades with one
clear warning and no traceback from libvoikko's destructor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# libvoikko's loader fails as it does when libvoikko.so.1 is not installed
SCRIPT = """
import json, sys, libvoikko

def missing(cls, path=None):
    raise OSError("libvoikko.so.1: cannot open shared object file: No such file or directory")

libvoikko.VoikkoLibrary.open = classmethod(missing)
from triggerwatch.text import finnish
from triggerwatch.text.classify import classify_all

found = classify_all("Kone Oyj ostaa Beta Oy:n", "Kauppa vahvistaa Kone Oyj:n asemaa.", "fi")
found += classify_all("Acme Oyj aloittaa muutosneuvottelut", None, "fi")
print(json.dumps({"voikko": finnish.voikko_available(), "kinds": [c.kind.value for c in found]}))
"""


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(REPO) / "services"), **env},
        check=False,
    )


def test_without_the_voikko_library_one_warning_and_no_traceback() -> None:
    result = _run({})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"voikko": False, "kinds": ["merger", "layoffs"]}
    assert result.stderr.count("Voikko unavailable") == 1, result.stderr
    assert "libvoikko1" in result.stderr and "voikko-fi" in result.stderr  # what to install
    assert "Traceback" not in result.stderr and "AttributeError" not in result.stderr, result.stderr
    assert "_Voikko__handle" not in result.stderr


def test_voikko_switched_off_is_silent() -> None:
    result = _run({"TRIGGERWATCH_VOIKKO": "off"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["voikko"] is False
    assert "Voikko unavailable" not in result.stderr and "Traceback" not in result.stderr
