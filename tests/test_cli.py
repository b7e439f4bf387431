"""The command line itself: its version flag."""

from importlib.metadata import version

import pytest

from scraper.cli import main


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"ratecard {version('ratecard')}\n"


def test_a_damaged_shipped_data_file_is_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    """A broken aliases.json (a bad install, a hand edit) stops reprice with the file and field named."""
    from db.reprice import aliases

    bad = tmp_path / "aliases.json"
    bad.write_text('{"aliases": [{"provider": "openai"}]}')
    monkeypatch.setattr(aliases, "shipped", lambda: aliases.read_table(bad))
    db = tmp_path / "prices.db"
    assert main(["backfill", "--curated", "--provider", "openai", "--db", str(db)]) == 0
    usage = tmp_path / "u.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n2025-01-01,openai,gpt-4o,1,1\n")
    assert main(["reprice", str(usage), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ratecard reprice: {bad}: aliases[0]") and err.count("\n") == 1
