"""Every command, driven with hostile inputs: no traceback, ever.

Bad databases (missing folder, a directory, 0 bytes, random bytes, a text file, a truncated
SQLite file), usage files in other encodings and wrappers (cp1252, UTF-16 with BOM, gzip, a
truncated gzip, binary junk), numbers ratecard must not misread (huge counts, French and Excel
forms, decimal commas), empty files, JSON junk, bad dates, unknown providers and models, and
bad option values.  Each case runs in-process through ``scraper.cli.main`` (an uncaught
exception fails the test with its traceback); a few run as real processes, where a traceback
would reach the user's terminal.  A refused input must give a non-zero exit and one line on
stderr; a refused usage file's line names the file (and, for a row, its line and field).
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.cli import COMMAND_MODULES, main

ROOT = Path(__file__).resolve().parents[1]
#: A mirror nobody listens on: a scrape that got past its database checks fails at once, offline.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The hostile inputs, and one good (curated) history to run the usage files against."""
    d = tmp_path_factory.mktemp("fuzz")
    good = d / "good.db"
    assert main(["backfill", "--curated", "--db", str(good)]) == 0
    (d / "folder.db").mkdir()
    (d / "empty.db").write_bytes(b"")
    (d / "random.db").write_bytes(os.urandom(4096))
    (d / "text.db").write_text("provider,model\ndeepseek,deepseek-chat\n", encoding="utf-8")
    whole = good.read_bytes()
    (d / "truncated.db").write_bytes(whole[: len(whole) // 3])
    header = b"SQLite format 3\x00" + os.urandom(84)
    (d / "corrupt.db").write_bytes(header + os.urandom(8192))
    files = {"good": good, "missing": d / "no" / "such" / "dir" / "prices.db"}
    for name in ("folder", "empty", "random", "text", "truncated", "corrupt"):
        files[name] = d / f"{name}.db"
    files.update(usage_files(d))
    files["dir"] = d
    yield files


HEADER = "time,provider,model,input_cache_hit_tokens,input_cache_miss_tokens,output_tokens\n"


def usage_files(d: Path) -> dict[str, Path]:
    u = d / "usage"
    u.mkdir()
    good_row = "2025-03-01T18:00:00Z,deepseek,deepseek-chat,1000,2000,3000\n"
    texts: dict[str, bytes] = {
        "cp1252.csv": (HEADER + good_row + "2025-03-01T19:00:00Z,deepseek,deepseek-chat,1000,2000,3000\n"
                       ).encode("cp1252") + "2025-03-01T20:00:00Z,deepseek,modèle-€,1,2,3\n".encode("cp1252"),
        "utf16.csv": (HEADER + good_row).encode("utf-16"),
        "gzip.csv.gz": gzip.compress((HEADER + good_row).encode()),
        "truncated.csv.gz": gzip.compress((HEADER + good_row * 200).encode())[:60],
        "junk.csv": os.urandom(3000),
        "nul.csv": (HEADER + good_row).encode() + b"\x00\x00\x00" + os.urandom(40),
        "huge.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,deepseek-chat,1,2," + "9" * 400 + "\n").encode(),
        "negative.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,deepseek-chat,-5,2,3\n").encode(),
        "french.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,deepseek-chat,297\u00a0429,2,3\n").encode(),
        "decimal_comma.csv": ("time;provider;model;input_cache_hit_tokens;input_cache_miss_tokens;output_tokens\n"
                              "2025-03-01T18:00:00Z;deepseek;deepseek-chat;1,5;2;3\n").encode(),
        "exponent.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,deepseek-chat,1e6,2,3\n").encode(),
        "empty.csv": b"",
        "header_only.csv": HEADER.encode(),
        "blank_lines.csv": b"\n\n\n",
        "bad_date.csv": (HEADER + "2025-13-45,deepseek,deepseek-chat,1,2,3\n").encode(),
        "word_date.csv": (HEADER + "yesterday,deepseek,deepseek-chat,1,2,3\n").encode(),
        "far_date.csv": (HEADER + "9999-12-31T23:59:59Z,deepseek,deepseek-chat,1,2,3\n").encode(),
        "old_date.csv": (HEADER + "0001-01-01,deepseek,deepseek-chat,1,2,3\n").encode(),
        "unknown_provider.csv": (HEADER + "2025-03-01T18:00:00Z,nosuch,deepseek-chat,1,2,3\n").encode(),
        "unknown_model.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,gpt-99,1,2,3\n").encode(),
        "control_chars.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek,deep\x1b[31mseek\rchat,1,2,3\n").encode(),
        "ragged.csv": (HEADER + "2025-03-01T18:00:00Z,deepseek\n" + good_row + good_row.strip() + ",x,y,z\n").encode(),
        "no_columns.csv": b"a,b,c\n1,2,3\n",
        "json_junk.json": b"{",
        "json_array_junk.json": b"[1, 2",
        "json_null.json": b"null",
        "json_number.json": b"42",
        "json_data_number.json": b'{"data": 5}',
        "json_nested.json": b'{"data": [{"results": "x", "starting_at": 7}]}',
        "json_deep.json": b"[" * 100000 + b"]" * 100000,
        "jsonl_mixed.jsonl": b'{"time": "2025-03-01T18:00:00Z", "provider": "deepseek"}\nnot json\n[]\n',
        "jsonl_types.jsonl": (b'{"time": 5, "provider": ["x"], "model": {"a": 1}, "input_cache_hit_tokens": true,'
                              b' "input_cache_miss_tokens": null, "output_tokens": "3"}\n'),
        "anthropic_bad.json": (b'{"data": [{"starting_at": "2025-08-01T00:00:00Z", "ending_at": "nope",'
                               b' "results": [{"model": "claude-sonnet-4", "uncached_input_tokens": "many",'
                               b' "context_window": "huge"}]}]}'),
        "openai_bad.json": (b'{"object": "page", "data": [{"object": "bucket", "start_time": "x",'
                            b' "end_time": 1e300, "results": [{"object": "organization.usage.completions.result",'
                            b' "input_tokens": -1}]}]}'),
        "completion_bad.jsonl": b'{"object": "chat.completion", "created": 1e20, "model": "deepseek-chat", "usage": 7}\n',
    }
    out = {}
    for name, data in texts.items():
        path = u / name
        path.write_bytes(data)
        out[f"usage:{name}"] = path
    return out


BAD_DBS = ("missing", "folder", "empty", "random", "text", "truncated", "corrupt")


def db_cases(files: dict[str, Path], tmp: Path) -> list[list[str]]:
    """Every command that opens the history, once per bad database."""
    usage = str(files["usage:gzip.csv.gz"])
    cases = []
    for bad in BAD_DBS:
        db = ["--db", str(files[bad])]
        cases += [
            ["prices", *db], ["prices", *db, "--at", "2025-03-01"], ["changes", *db],
            ["rebuild", *db], ["status", *db], ["export", *db, str(tmp / f"export-{bad}")],
            ["feed", *db, str(tmp / f"feed-{bad}.atom")],
            ["reprice", *db, usage], ["reprice", *db, usage, "--json"], ["reprice", *db, usage, "--csv"],
            ["reprice", *db, usage, "--summary"],
            ["explain", *db, usage, "--before", "2025-02-01", "--after", "2025-03-01"],
            ["sql", *db], ["backfill", *db, "--curated"],
            ["scrape", *db, "--mirror", NOWHERE, "--provider", "deepseek"],
            ["nightly", *db, "--mirror", NOWHERE, "--provider", "deepseek", "--out", str(tmp / f"out-{bad}")],
        ]
    return cases


def usage_cases(files: dict[str, Path]) -> list[list[str]]:
    """Each hostile usage file through every command that reads one: the table, the summary and
    ``--at`` read it their own ways (one pass into groups; every row at one instant, its time cell
    unused); the other outputs: ``rows_read_cases``."""
    db = ["--db", str(files["good"])]
    cases = []
    for key, path in files.items():
        if not key.startswith("usage:"):
            continue
        cases += [["reprice", *db, str(path)], ["reprice", *db, str(path), "--summary"],
                  ["reprice", *db, str(path), "--at", "2025-09-01"],
                  ["explain", *db, str(path), "--before", "2025-09-01", "--after", "2025-10-01"]]
        cases += [["parse", "--provider", p, str(path)] for p in ("deepseek", "openrouter", "xai")]
    return cases


def rows_read_cases(files: dict[str, Path], read: set[str]) -> list[list[str]]:
    """The other per-row outputs, on each file whose rows the table read (priced, or named the
    unpriced ones).  A refused file is refused by the read every output shares (bad rows are
    found before any row is written): running each output on each refused file repeated the
    table's case, a third of this test's time on a slow CI."""
    db = ["--db", str(files["good"])]
    return [["reprice", *db, path, *more] for path in sorted(read)
            for more in (("--json",), ("--csv",))]


def option_cases(files: dict[str, Path], tmp: Path) -> list[list[str]]:
    """Bad values of every kind of option, on a good history."""
    db = ["--db", str(files["good"])]
    usage = str(files["usage:cp1252.csv"])
    junk = str(files["usage:junk.csv"])
    return [
        ["prices", *db, "--at", "2025-02-30"], ["prices", *db, "--at", "yesterday"],
        ["prices", *db, "--at", "99999-01-01"], ["prices", *db, "--provider", "nosuch"],
        ["prices", *db, "--model", "gpt-99"], ["prices", *db, "--currency", "XXX"],
        ["prices", *db, "--provider", "deepseek", "--model", "claude-opus-4-1"],
        ["prices", *db, "--model", "\x1b[2J\r"], ["prices", *db, "--at", "2025-01-01T25:00:00Z"],
        ["changes", *db, "--since", "2025-99-01"], ["changes", *db, "--until", "nope"],
        ["changes", *db, "--since", "2026-01-01", "--until", "2025-01-01"], ["changes", *db, "--provider", "x"],
        ["reprice", *db, usage, "--currency", "XXX"], ["reprice", *db, usage, "--at", "soon"],
        ["reprice", *db, usage, "--provider", "nosuch"], ["reprice", *db, usage, "--as", "nosuch"],
        ["reprice", *db, usage, "--as", "deepseek/gpt-99"], ["reprice", *db, str(tmp / "absent.csv")],
        ["reprice", *db, str(files["dir"])], ["reprice", *db, usage, "--currency", "EUR"],
        ["explain", *db, usage, "--before", "x", "--after", "2025-01-01"],
        ["explain", *db, usage, "--before", "2025-01-01", "--after", "2025-01-01", "--currency", "XXX"],
        ["explain", *db, str(tmp / "absent.csv"), "--before", "2025-01-01", "--after", "2025-02-01"],
        ["sql", *db, "--dialect", "oracle"], ["sql", *db, "--currency", "XXX"], ["sql", *db, "--at", "bad"],
        ["sql", *db, "--usage-table", "x; DROP TABLE prices"], ["sql", *db, "--missing", "time,\x1b[2J"],
        ["sql", *db, "--provider", "x'; DROP TABLE prices --"],
        ["export", *db, "--rates", str(tmp / "rates.xlsx")], ["export", *db, "--currency", "XXX"],
        ["export", *db, junk], ["feed", *db, str(files["dir"])], ["feed", *db, str(Path(junk) / "f.atom")],
        ["rebuild", *db, "--from-git", str(tmp / "not-a-repo")], ["rebuild", *db, "--from-git", junk],
        ["rebuild", *db, "--provider", "nosuch"],
        ["backfill", *db, "--git", str(tmp / "not-a-repo")], ["backfill", *db, "--git", junk],
        ["backfill", *db, "--curated", "--provider", "nosuch"],
        ["backfill", *db, "--curated", "--from", "2026-01-01", "--to", "2025-01-01"],
        ["parse", "--provider", "deepseek", str(tmp / "absent.html")],
        ["parse", "--provider", "deepseek", str(files["dir"])],
        ["mirror", str(tmp / "absent")], ["mirror", junk], ["mirror", str(files["dir"]), "--port", "-5"],
        ["scrape", *db, "--mirror", "ftp://x"], ["scrape", *db, "--provider", "nosuch"],
        ["scrape", *db, "--max-bytes", "-1"], ["scrape", *db, "--run-timeout", "inf"],
        ["scrape", *db, "--at", "nope"],
        ["schedule", *db, "--cron", "not a cron"], ["schedule", *db, "--grace", "-1"],
        ["serve", *db, "--port", "99999"], ["serve", "--db", str(files["empty"])],
        ["serve", "--db", str(files["missing"])], ["serve", "--db", str(files["folder"])],
        ["nightly", *db, "--repo", str(tmp / "not-a-repo"), "--mirror", NOWHERE, "--provider", "deepseek",
         "--out", str(tmp / "nightly-out")],
        ["status", *db, "--json"],
    ]


def run_case(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr); an exception escaping ``main`` is what the user would see as a
    traceback, recorded so that every failing case is listed, not just the first."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: bad usage
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # noqa: BLE001 - the point of the test
        out, err = capsys.readouterr()
        return -1, out, err + f"Traceback: {type(exc).__name__}: {exc}"[:300]
    out, err = capsys.readouterr()
    return code, out, err


def check(argv: list[str], code: int, out: str, err: str) -> list[str]:
    """What is wrong with one outcome (nothing: an empty list)."""
    problems = []
    if "Traceback" in err or "Traceback" in out:
        problems.append("a traceback")
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        if code == 2:  # argparse: the usage line(s), then one 'ratecard X: error: ...' line
            if not lines or "error:" not in lines[-1]:
                problems.append(f"bad usage without an error line: {err!r}")
        elif len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr, not one: {err[:400]!r}")
        elif not lines[0].startswith("ratecard "):
            problems.append(f"the error line does not say which command: {lines[0]!r}")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in err):
        problems.append(f"a control character reached the terminal: {err[:200]!r}")
    return problems


#: The one line of a run whose rows were read but some could not be priced (exit 1, by design).
UNPRICED = re.compile(r"^ratecard (reprice|explain): \d+ row\(s\) unpriced")


def test_every_command_is_driven(lab, tmp_path):
    """The cases cover every registered command (a new command must get cases here)."""
    argvs = db_cases(lab, tmp_path) + usage_cases(lab) + option_cases(lab, tmp_path)
    covered = {argv[0] for argv in argvs}
    registered = {name.rsplit(".", 1)[1] for name in COMMAND_MODULES}
    assert registered - covered == set()


@pytest.mark.parametrize("bad", BAD_DBS)
def test_a_bad_database_is_one_line_and_a_non_zero_exit_for_every_command(lab, tmp_path, capsys, bad):
    failures = []
    for argv in db_cases(lab, tmp_path):
        if str(lab[bad]) not in argv:
            continue
        code, out, err = run_case(argv, capsys)
        problems = check(argv, code, out, err)
        if code == 0:
            problems.append("exit 0")
        elif str(lab[bad].name) not in err:
            problems.append(f"the line does not name the database: {err!r}")
        if problems:
            failures.append(f"{' '.join(argv[:1] + argv[3:])}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)
    if bad != "missing":  # nothing created, nothing half-written beside a bad database
        assert not list(lab[bad].parent.glob(f"{lab[bad].name}-journal"))


def test_hostile_usage_files_are_read_or_refused_in_one_line(lab, capsys):
    failures = []
    read: set[str] = set()  # the files whose rows the table output read

    def drive(argv: list[str]) -> None:
        code, out, err = run_case(argv, capsys)
        problems = check(argv, code, out, err)
        path = Path(argv[-1] if argv[0] == "parse" else argv[3])
        if code not in (0, 1):
            problems.append(f"exit {code}")
        if code == 1 and argv[0] != "parse" and path.name not in err and not UNPRICED.match(err):
            problems.append(f"the line does not name the file: {err!r}")
        if argv[0] == "reprice" and len(argv) == 4 and (code == 0 or UNPRICED.match(err)):
            read.add(argv[3])
        if problems:
            failures.append(f"{' '.join(argv[:1] + argv[3:])}: {'; '.join(problems)}")
    for argv in usage_cases(lab):
        drive(argv)
    assert len(read) >= 6  # utf16, gzip, french, header only, far date, unknown model...
    for argv in rows_read_cases(lab, read):
        drive(argv)
    assert not failures, "\n".join(failures)


def test_bad_option_values_are_refused_in_one_line(lab, tmp_path, capsys):
    failures = []
    for argv in option_cases(lab, tmp_path):
        code, out, err = run_case(argv, capsys)
        problems = check(argv, code, out, err)
        if code == 0 and argv[0] not in ("status", "reprice", "explain", "sql", "export", "prices"):
            problems.append("exit 0")
        if problems:
            failures.append(f"{' '.join(argv[:1] + argv[3:])}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("case", [
    ("prices", "--db", "{folder}"),
    ("changes", "--db", "{empty}"),
    ("status", "--db", "{corrupt}"),
    ("reprice", "--db", "{good}", "{usage:junk.csv}", "--summary"),
    ("reprice", "--db", "{good}", "{usage:json_deep.json}"),
    ("explain", "--db", "{good}", "{usage:truncated.csv.gz}", "--before", "2025-09-01", "--after", "2025-10-01"),
    ("parse", "--provider", "openrouter", "{usage:json_deep.json}"),
    ("serve", "--db", "{truncated}"),
])
def test_in_a_real_process_a_refusal_is_one_line_never_a_traceback(lab, case):
    argv = [str(lab[part[1:-1]]) if part.startswith("{") else part for part in case]
    done = subprocess.run([sys.executable, "-m", "scraper", *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ratecard {case[0]}: "), done.stderr
