"""Fetch limits against a real server on 127.0.0.1: a gzip bomb, a huge body, a slow drip.

Each must end quickly, in little memory, as a ``too_large`` / ``too_slow`` observation with a
clear message, store nothing of the body and change no price, while the healthy page of the same
run is recorded as usual.  Memory is the scrape process's peak resident size (its own rusage),
compared with an ordinary scrape's measured in the same session.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from db.schema import open_db
from mirror import DEEPSEEK_EN, DEEPSEEK_ZH, ROOT, Mirror, env, page, ratecard_argv
from scraper.cli import main
from scraper.fetch.limits import MIB, FetchLimits, TooLarge, Undecodable, read_bounded

EN_PAGE = "deepseek/2026-08-17-peak.en.html"
ZH_PAGE = "deepseek/2026-08-17-peak.zh-cn.md"
GIB = 1 << 30


def gzip_bomb(decoded: int = GIB) -> bytes:
    """A valid gzip body of ``decoded`` zero bytes, about 1 MB: the same deflate block repeated
    (a full flush resets the compressor, so every 1 MiB of zeros compresses to the same bytes)."""
    zeros = b"\0" * MIB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    c.compress(zeros)
    c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(decoded // MIB):
        crc = zlib.crc32(zeros, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + block * (decoded // MIB) + c.flush()
            + struct.pack("<II", crc, decoded & 0xFFFFFFFF))


def send(handler: BaseHTTPRequestHandler, headers: dict[str, str], body_chunks) -> None:
    """Answer 200 with ``headers`` and the chunks; a client that hangs up ends it quietly."""
    try:
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        for chunk in body_chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass
    handler.close_connection = True


def bomb_answer(bomb: bytes):
    return lambda h: send(h, {"Content-Type": "text/html", "Content-Encoding": "gzip",
                              "Content-Length": str(len(bomb))}, [bomb])


def endless(total: int, declare: bool):
    """A ``total``-byte HTML body sent 64 KiB at a time, its length declared or not."""
    chunk = b"<p>" + b"x" * (64 * 1024 - 3)
    headers = {"Content-Type": "text/html"} | ({"Content-Length": str(total)} if declare else {})
    return lambda h: send(h, headers, (chunk for _ in range(total // len(chunk))))


def drip(every: float, total: int = 10_000):
    """One byte every ``every`` seconds: never idle long enough for a per-read timeout."""
    def chunks():
        for _ in range(total):
            time.sleep(every)
            yield b"<"
    return lambda h: send(h, {"Content-Type": "text/html", "Content-Length": str(total)}, chunks())


# Run in a fresh interpreter, this forks the scrape and reports that child's own peak memory.
# Measured straight from the test process, the peak would be the test process's: Linux keeps the
# high-water mark of the memory a child was started from (vfork shares the parent's, and exec
# records it), so after a suite that used a gigabyte every scrape would seem to use a gigabyte.
PEAK_OF_CHILD = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def scrape(db: Path, mirror: Mirror, *flags: str) -> tuple[int, str, str, float, int]:
    """``ratecard scrape --provider deepseek`` as a real process: exit code, stdout, stderr, seconds,
    and the process's peak resident memory in bytes (its own rusage, zlib's buffers included)."""
    argv = ratecard_argv("scrape", "--db", str(db), "--provider", "deepseek", "--mirror", mirror.url,
                         "--at", "2026-08-18T03:00:00Z", *flags)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as held:
        peak_file = Path(held) / "peak"
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", PEAK_OF_CHILD, str(peak_file), *argv],
                                env=env(), cwd=ROOT, stdout=out, stderr=err, start_new_session=True)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the scrape too, not only the process that forked it
            raise
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(), err.read().decode(), elapsed, int(peak_file.read_text())


def observations(db: Path) -> dict[str, dict]:
    conn = open_db(db, create=False)
    try:
        return {r["source_id"]: r for r in conn.query(
            "SELECT source_id, outcome, error, body_id, way, status FROM observations")}
    finally:
        conn.close()


def body_count(db: Path) -> int:
    conn = open_db(db, create=False)
    try:
        return conn.execute("SELECT count(*) FROM bodies").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


@pytest.fixture(scope="module")
def ordinary_rss(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak memory of a scrape of the two ordinary pages: what the faulty ones are compared with."""
    db = tmp_path_factory.mktemp("baseline") / "prices.db"
    with Mirror({DEEPSEEK_EN: page(EN_PAGE), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, _, err, _, rss = scrape(db, mirror)
    assert code == 0, err
    return rss


def test_the_bomb_is_what_the_issue_describes(bomb: bytes):
    assert len(bomb) < 1_100_000
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    first = inflater.decompress(bomb[:100_000], MIB)
    assert first == b"\0" * MIB  # a real gzip stream of zeros (1 GiB in all, by its trailer)
    assert struct.unpack("<I", bomb[-4:])[0] == GIB & 0xFFFFFFFF


def test_a_gzip_bomb_stops_early_in_little_memory_and_stores_nothing(tmp_path: Path, bomb: bytes,
                                                                      ordinary_rss: int):
    """With the default limits either one may stop the bomb first: which depends on how the bytes
    arrive (32 KiB reads decode past 200:1 before 8 MiB; 64 KiB reads reach 8 MiB first)."""
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: bomb_answer(bomb), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, out, err, elapsed, peak = scrape(db, mirror)
    assert code == 1
    assert elapsed < 15 and peak < ordinary_rss + 40 * MIB, (elapsed, peak, ordinary_rss)
    seen = observations(db)
    assert seen["deepseek-zh-cn"]["outcome"] == "ok"
    bombed = seen["deepseek-en"]
    assert (bombed["outcome"], bombed["body_id"], bombed["way"], bombed["status"]) == ("too_large", None, "http", 200)
    decoded, wire = (int(n) for n in re.findall(r"(\d+) (?:decoded bytes|bytes decoded|on the wire)",
                                                bombed["error"]))
    if bombed["error"].startswith("decompression ratio"):
        assert bombed["error"] == (f"decompression ratio over 200:1 ({decoded} bytes decoded from {wire} on the"
                                   " wire): a compression bomb?")
        bound = max(200 * wire, MIB)  # the ratio is not judged on the first MiB
        assert bound < decoded <= bound + 64 * 1024 and decoded <= 8 * MIB
    else:
        assert bombed["error"] == (f"body over the {8 * MIB}-byte limit (stopped after {decoded} decoded bytes"
                                   f" from {wire} on the wire)")
        assert 8 * MIB < decoded <= 8 * MIB + 64 * 1024 and decoded <= 200 * wire
    assert wire < 200_000  # 1 GiB never inflated
    assert body_count(db) == 1  # the zh-cn page only
    assert f"deepseek-en  TOO_LARGE  via http  HTTP 200  {bombed['error'][:40]}" in out
    assert "ratecard scrape: deepseek-en (" in err and ": too_large: " in err


def test_with_no_ratio_limit_the_size_limit_stops_the_bomb(tmp_path: Path, bomb: bytes, ordinary_rss: int):
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: bomb_answer(bomb), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, out, _, elapsed, peak = scrape(db, mirror, "--max-ratio", str(10 ** 9))
    assert code == 1 and elapsed < 15 and peak < ordinary_rss + 40 * MIB, (elapsed, peak, ordinary_rss)
    error = observations(db)["deepseek-en"]["error"]
    decoded, wire = (int(n) for n in re.findall(r"(\d+) (?:decoded bytes|on the wire)", error))
    assert error == f"body over the {8 * MIB}-byte limit (stopped after {decoded} decoded bytes from {wire} on the wire)"
    assert 8 * MIB < decoded <= 8 * MIB + 64 * 1024 and wire < 200_000
    assert f"deepseek-en  TOO_LARGE  via http  HTTP 200  body over the {8 * MIB}-byte limit" in out


def test_with_a_higher_size_limit_the_ratio_limit_stops_the_bomb(tmp_path: Path, bomb: bytes,
                                                                  ordinary_rss: int):
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: bomb_answer(bomb), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, out, _, elapsed, peak = scrape(db, mirror, "--max-bytes", str(256 * MIB))
    assert code == 1 and elapsed < 15, elapsed
    # at most what 200 x the bytes received decode to, held until the ratio shows
    assert peak < ordinary_rss + 64 * MIB, (peak, ordinary_rss)
    error = observations(db)["deepseek-en"]["error"]
    assert error.startswith("decompression ratio over 200:1 (") and error.endswith("a compression bomb?")
    assert "deepseek-en  TOO_LARGE  via http  HTTP 200  decompression ratio over 200:1" in out


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "no-length"])
def test_a_200_mb_body_is_refused_at_the_size_limit(tmp_path: Path, declare: bool, ordinary_rss: int):
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: endless(200 * MIB, declare), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, _, _, elapsed, peak = scrape(db, mirror)
    assert code == 1 and elapsed < 15 and peak < ordinary_rss + 40 * MIB, (elapsed, peak, ordinary_rss)
    seen = observations(db)["deepseek-en"]
    assert (seen["outcome"], seen["body_id"]) == ("too_large", None)
    if declare:
        assert seen["error"] == f"Content-Length {200 * MIB} bytes is over the {8 * MIB}-byte limit"
    else:
        assert seen["error"].startswith(f"body over the {8 * MIB}-byte limit (stopped after ")
    assert body_count(db) == 1


def test_a_slow_drip_is_stopped_at_the_source_time_limit(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: drip(0.3), DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, out, _, elapsed, _ = scrape(db, mirror, "--source-timeout", "2")
    assert code == 1
    assert 2 < elapsed < 8, elapsed  # the 20 s per-read timeout never fires: a byte comes every 0.3 s
    seen = observations(db)
    assert seen["deepseek-zh-cn"]["outcome"] == "ok"
    assert (seen["deepseek-en"]["outcome"], seen["deepseek-en"]["error"], seen["deepseek-en"]["body_id"]) == (
        "too_slow", "stopped at the source's time limit (2s)", None)
    assert "deepseek-en  TOO_SLOW  via http  HTTP -  stopped at the source's time limit (2s)" in out
    assert observations(db)["deepseek-en"]["way"] == "http"


def test_the_run_time_limit_stops_every_hung_source(tmp_path: Path):
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: drip(0.3), DEEPSEEK_ZH: drip(0.3)}) as mirror:
        code, out, err, elapsed, _ = scrape(db, mirror, "--source-timeout", "60", "--run-timeout", "1.5")
    assert code == 1 and 1.5 < elapsed < 7.5, elapsed
    assert {k: (v["outcome"], v["error"]) for k, v in observations(db).items()} == {
        "deepseek-en": ("too_slow", "stopped at the run's time limit (1.5s)"),
        "deepseek-zh-cn": ("too_slow", "stopped at the run's time limit (1.5s)")}
    assert "0 sources ok, 2 failed" in out and "ratecard backfill --curated" in err


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_page_is_read_as_usual(tmp_path: Path, encoding: str):
    body = page(EN_PAGE)
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    answer = lambda h: send(h, {"Content-Type": "text/html", "Content-Encoding": encoding,  # noqa: E731
                                "Content-Length": str(len(packed))}, [packed])
    db = tmp_path / "prices.db"
    with Mirror({DEEPSEEK_EN: answer, DEEPSEEK_ZH: page(ZH_PAGE)}) as mirror:
        code, out, _, _, _ = scrape(db, mirror)
    assert code == 0, out
    assert observations(db)["deepseek-en"]["outcome"] == "ok" and "deepseek-en  ok  via http  HTTP 200  12 quotes" in out


def test_flags_must_be_positive(capsys):  # in process: argparse refuses before any work
    for flag in ("--max-bytes", "--max-ratio", "--source-timeout", "--run-timeout"):
        with pytest.raises(SystemExit) as exit_:
            main(["scrape", flag, "0"])
        assert exit_.value.code == 2
    assert "'0' is not" in capsys.readouterr().err


# --- read_bounded itself --------------------------------------------------------------------------

async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def read(data: bytes, encoding: str, limits: FetchLimits = FetchLimits(), declared: int | None = None) -> bytes:
    return asyncio.run(read_bounded(_chunks(data), encoding, limits, declared))


def test_read_bounded_decodes_every_accepted_encoding():
    text = b"<p>price $0.28</p>" * 5000
    assert read(text, "") == read(text, "identity") == text
    assert read(gzip.compress(text), "gzip") == text
    assert read(gzip.compress(text[:100]) + gzip.compress(text[100:]), "gzip") == text  # two gzip members
    assert read(zlib.compress(text), "deflate") == text
    assert read(zlib.compress(text)[2:-4], "deflate") == text  # raw deflate, as some servers send it


def test_read_bounded_refuses_what_it_cannot_bound():
    with pytest.raises(Undecodable, match="unsupported Content-Encoding 'br'"):
        read(b"x", "br")
    with pytest.raises(TooLarge, match="Content-Length 101 bytes is over the 100-byte limit"):
        read(b"x" * 101, "", FetchLimits(max_bytes=100), declared=101)
    with pytest.raises(TooLarge, match=r"body over the 100-byte limit \(stopped after 4096 decoded bytes"):
        read(b"x" * 10_000, "", FetchLimits(max_bytes=100))
    # a well compressed ordinary page is not a bomb: the ratio counts only past 1 MiB decoded
    html = b"<tr><td>model</td><td>$1.00</td></tr>" * 20_000
    assert len(html) / len(gzip.compress(html)) > 200
    assert len(html) < MIB and read(gzip.compress(html), "gzip") == html
