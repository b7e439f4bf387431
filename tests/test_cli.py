"""The command line itself: its version flag."""

from importlib.metadata import version

import pytest

from scraper.cli import main


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ratecard {version('ratecard')}\n"
