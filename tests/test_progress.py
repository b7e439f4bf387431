"""Progress on a terminal, silence in a pipe (``scraper.output.Progress``/``counted``)."""

from __future__ import annotations

import io

from scraper.output import Progress, counted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_a_count_rewritten_in_place_and_cleared_at_the_end():
    tty = Terminal()
    assert list(counted(iter(range(3)), "reprice", stream=tty, every=0)) == [0, 1, 2]
    assert tty.getvalue() == ("\r\x1b[Kreprice: 1 rows" "\r\x1b[Kreprice: 2 rows" "\r\x1b[Kreprice: 3 rows"
                              "\r\x1b[K")


def test_a_pipe_gets_nothing():
    pipe = io.StringIO()
    assert list(counted(iter(range(1000)), "reprice", stream=pipe, every=0)) == list(range(1000))
    assert pipe.getvalue() == ""
    status = Progress("backfill", pipe, every=0)
    status.update("deepseek-en: 2025-01-01 ok")
    status.clear()
    assert pipe.getvalue() == ""


def test_updates_are_rate_limited_and_page_text_cannot_move_the_cursor():
    tty = Terminal()
    status = Progress("backfill", tty, every=3600)
    status.update("first")
    status.update("second")  # within the interval: not drawn
    status.update("third\x1b[2J\nline", force=True)
    status.clear()
    text = tty.getvalue()
    assert "second" not in text and "first" in text
    assert "\x1b[2J" not in text and "\n" not in text
    assert text.endswith("\r\x1b[K")


def test_off_when_stdout_is_the_same_terminal_and_rows_stream_there(monkeypatch):
    import sys

    monkeypatch.setattr(sys, "stdout", Terminal())
    tty = Terminal()
    assert list(counted(iter(range(3)), "reprice", stream=tty, every=0, with_stdout_tty=False)) == [0, 1, 2]
    assert tty.getvalue() == ""
    assert list(counted(iter(range(1)), "explain", stream=tty, every=0)) == [0]
    assert tty.getvalue() == "\r\x1b[Kexplain: 1 rows\r\x1b[K"
