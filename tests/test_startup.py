"""Start-up: ``ratecard --help`` and ``ratecard prices`` import only what they use.

Measured in subprocesses against a bare ``python -c pass`` on the same machine, as a ratio (the
best of several runs of each, interleaved, so a busy moment hits both), never as an absolute
time.  Before lazy registration ``--help`` imported every command's libraries: about 12 times a
bare interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import time

HELP = "from scraper.cli import main; main(['--help'])"


def best_of(code: str, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def imported(argv: list[str]) -> set[str]:
    """Modules loaded once the parser for ``argv`` is built (what the command starts with)."""
    code = (f"import sys; from scraper.cli import build_parser; build_parser({argv!r});"
            " print('\\n'.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_help_starts_within_four_times_a_bare_python():
    bare, help_ = [], []
    for _ in range(3):
        bare.append(best_of("pass", 2))
        help_.append(best_of(HELP, 2))
    ratio = min(help_) / min(bare)
    assert ratio < 4, f"ratecard --help takes {ratio:.1f}x a bare python"


def test_help_imports_no_command_library():
    modules = imported(["--help"])
    for heavy in ("httpx", "sqlite_utils", "duckdb", "datasette", "apscheduler", "bs4", "lxml", "parsers.registry",
                  "db.reprice.pricer", "importlib.metadata"):
        assert heavy not in modules, heavy


def test_prices_imports_what_it_uses_and_not_the_scraper():
    modules = imported(["prices"])
    assert "scraper.commands.prices" in modules and "sqlite_utils" in modules
    for heavy in ("httpx", "duckdb", "datasette", "apscheduler", "bs4", "lxml", "scraper.run", "scraper.fetch.http",
                  "scraper.commands.reprice", "scraper.commands.scrape"):
        assert heavy not in modules, heavy


def test_every_command_is_listed_and_each_registers_in_full():
    from scraper.cli import COMMANDS, build_parser

    full = build_parser()
    names = list(full._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert names == list(COMMANDS)
    for name in COMMANDS:
        lazy = build_parser([name])
        action = lazy._subparsers._group_actions[0]  # type: ignore[union-attr]
        assert list(action.choices) == names
        assert action.choices[name].get_default("func") is not None, name


def test_reprice_reads_its_prices_without_sqlite_utils(tmp_path):
    """``reprice`` reads the prices table with sqlite3 alone (``db.readonly``): no sqlite-utils
    import and no schema update on the way to the first priced row; a database without a
    prices table still gets ``open_db``'s answer."""
    import sqlite3

    from scraper.cli import main

    db = tmp_path / "h.db"
    assert main(["backfill", "--curated", "--db", str(db)]) == 0
    usage = tmp_path / "u.csv"
    usage.write_text("time,provider,model,input_tokens,output_tokens\n2025-03-03T10:00:00Z,deepseek,deepseek-chat,"
                     "1000000,0\n", encoding="utf-8")
    code = (f"import sys; from scraper.cli import main; rc = main(['reprice', {str(usage)!r}, '--db', {str(db)!r},"
            " '--summary']); print(rc, 'sqlite_utils' in sys.modules, 'db.schema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.splitlines()[-1] == "0 False False"
    assert "Total: 0.27 USD over 1 priced row(s)" in out
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).execute("CREATE TABLE other (x)").connection.commit()
    code = (f"from scraper.cli import main; print(main(['reprice', {str(usage)!r}, '--db', {str(bare)!r},"
            " '--summary']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "1" and "no prices in the history" in done.stderr
