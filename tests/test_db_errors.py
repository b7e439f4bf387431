"""Whatever --db names, every command answers in one line and a non-zero exit, never a traceback,
and nothing already stored is replaced (a 0-byte file is refused, not taken for a new database)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db.errors import describe_sqlite_error
from db.schema import open_db
from scraper.cli import main

#: Commands that read or write the history, with the arguments they need besides --db.
COMMANDS = [
    ("prices",), ("changes",), ("status",), ("rebuild",), ("export", "{tmp}/out"),
    ("feed", "{tmp}/feed.xml"), ("scrape", "--mirror", "http://127.0.0.1:9"), ("backfill", "--curated"),
    ("reprice", "{tmp}/usage.csv"),  # reads the prices table with sqlite3 alone (db.readonly)
]


_HISTORY: list[bytes] = []


def _history_bytes() -> bytes:
    """A real ratecard database (every table and view in place), made once."""
    if not _HISTORY:
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"ratecard-db-errors-{os.getpid()}.db"
        tmp.unlink(missing_ok=True)
        open_db(tmp).close()
        _HISTORY.append(tmp.read_bytes())
        tmp.unlink()
    return _HISTORY[0]


def _bad_paths(tmp: Path) -> dict[str, Path]:
    tmp.mkdir()
    (tmp / "a_directory").mkdir()
    (tmp / "empty.db").write_bytes(b"")
    (tmp / "text.db").write_text("hello, not sqlite\n")
    corrupt = tmp / "corrupt.db"
    corrupt.write_bytes(_history_bytes())
    data = bytearray(corrupt.read_bytes())
    data[100:len(data)] = b"\xff" * (len(data) - 100)  # the header kept, every page garbage
    corrupt.write_bytes(bytes(data))
    truncated = tmp / "truncated.db"
    truncated.write_bytes(corrupt.read_bytes()[:100])
    return {"directory": tmp / "a_directory", "empty": tmp / "empty.db", "text": tmp / "text.db",
            "corrupt": corrupt, "truncated": truncated, "missing folder": tmp / "no" / "such" / "h.db"}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_gives_one_line_for_every_bad_database(tmp_path, capsys, command):
    capsys.readouterr()
    for name, path in _bad_paths(tmp_path / command[0]).items():
        before = path.read_bytes() if path.is_file() else None
        args = [a.format(tmp=tmp_path) for a in command]
        code = main([*args, "--db", str(path)])
        err = capsys.readouterr().err
        assert code == 1, (name, err)
        lines = err.strip().splitlines()
        assert len(lines) >= 1 and "Traceback" not in err, (name, err)
        assert lines[-1].startswith(f"ratecard {command[0]}: ") and str(path) in lines[-1], (name, err)
        if before is not None:
            assert path.read_bytes() == before, f"{name}: the file was changed"


def test_empty_file_is_refused_and_kept_empty(tmp_path, capsys):
    db = tmp_path / "prices.db"
    db.write_bytes(b"")
    assert main(["backfill", "--curated", "--db", str(db)]) == 1
    assert "empty (0-byte) file" in capsys.readouterr().err
    assert db.read_bytes() == b""


def test_read_only_database_is_one_line_for_a_writer(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions; a read-only file cannot be made here")
    db = tmp_path / "prices.db"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    db.chmod(0o444)
    assert main(["rebuild", "--db", str(db)]) == 1
    assert "read-only" in capsys.readouterr().err


def test_a_real_process_prints_no_traceback(tmp_path):
    (tmp_path / "d").mkdir()
    done = subprocess.run([sys.executable, "-m", "scraper", "prices", "--db", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"ratecard prices: {tmp_path / 'd'}: is a directory, not a SQLite database file\n"


@pytest.mark.parametrize("message, words", [
    ("attempt to write a readonly database", "the database is read-only and this command needs to write to it"),
    ("database or disk is full", "the disk is full; nothing was written"),
    ("database disk image is malformed", "the database file is corrupt (database disk image is malformed)"),
    ("file is not a database", "not a SQLite database (or encrypted, or its header is damaged)"),
])
def test_sqlite_errors_are_told_in_words(message, words):
    assert describe_sqlite_error(sqlite3.OperationalError(message)).startswith(words)


def test_a_sqlite_error_after_opening_is_one_line(tmp_path, capsys, monkeypatch):
    """A full disk met in the middle of a command (after the database opened fine)."""
    db = tmp_path / "prices.db"
    open_db(db).close()

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("scraper.commands.rebuild.rebuild", full)
    assert main(["rebuild", "--db", str(db)]) == 1
    assert capsys.readouterr().err == f"ratecard rebuild: {db}: the disk is full; nothing was written\n"
