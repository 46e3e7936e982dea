"""The EPUB pack is valid EPUB 3 under Debian's ``epubcheck`` with no errors: one built from the real
stores on moto (every kind of content, including the nasty markup) and one from the renderer alone.

epubcheck comes from Debian (``apt-get install epubcheck``, as ``make epubcheck`` does). Without it
the test is skipped, or fails with the reason when ``CI`` is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.packs import test_content as content
from tests.unit.packs.test_render import EpubRenderer, render

pumps = content.pumps  # the same fixtures as the content tests
compile_ = content.compile_


def _epubcheck() -> list[str]:
    found = os.environ.get("EPUBCHECK") or shutil.which("epubcheck")
    if not found or not Path(found).exists():
        reason = "epubcheck is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure: run `make epubcheck`)", pytrace=False)
        pytest.skip(f"{reason}: run `make epubcheck`")
    real = os.path.realpath(found)
    # Debian installs the jar itself as /usr/bin/epubcheck (run by binfmt where that is set up).
    return ["java", "-jar", real] if real.endswith(".jar") else [found]


def _check(path: Path) -> None:
    command = [*_epubcheck(), str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)  # noqa: S603 - epubcheck on our file
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 fatals / 0 errors" in report, report


def test_rendered_epub_with_nasty_content_is_valid(tmp_path):
    book = tmp_path / "nasty.epub"
    book.write_bytes(render(EpubRenderer))
    _check(book)


def test_compiled_event_pack_is_valid(
    api,
    pumps,
    make_event,
    make_session,
    olga,
    alice,
    bob,
    compile_,
    tmp_path,
):
    event = make_event()
    session = make_session(event)
    content._content(api, pumps, olga, alice, bob, event, session)
    for kind, target, member in (("event", event["id"], None), ("personal", event["id"], alice.sub)):
        book = tmp_path / f"{kind}.epub"
        book.write_bytes(compile_(content._spec(kind, target, member))["epub"])
        _check(book)
