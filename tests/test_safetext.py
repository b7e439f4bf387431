"""Page text shown in a terminal, a commit message or XML cannot act as control characters."""

from xml.etree import ElementTree as ET

from parsers.safetext import commit_line, one_line, xml_text


def test_one_line_shows_controls_as_escapes():
    assert one_line("gpt-5\nSigned-off-by: x") == "gpt-5\\nSigned-off-by: x"
    assert one_line("a\x1b[31mred\x1b[0m") == "a\\x1b[31mred\\x1b[0m"
    assert one_line("tab\there\r") == "tab\\there\\r"
    assert one_line("rtl\u202eevil") == "rtl\\u202eevil"
    assert one_line("deepseek-chat ¥0.5 — ok") == "deepseek-chat ¥0.5 — ok"


def test_xml_text_always_parses():
    raw = "model\x00\x1b\x0b\ufffe<&>"
    doc = f"<t>{xml_text(raw).replace('&', '&amp;').replace('<', '&lt;')}</t>"
    assert ET.fromstring(doc).text == "model\\x00\\x1b\\x0b\\ufffe<&>"


def test_commit_line_cannot_start_a_trailer():
    assert commit_line("Signed-off-by: Mallory <m@x>") == "  Signed-off-by: Mallory <m@x>"
    assert commit_line("deepseek/deepseek-chat input 0.27 -> 0.28") == "deepseek/deepseek-chat input 0.27 -> 0.28"



def test_a_forged_trailer_in_a_model_id_stays_in_its_line_of_the_nightly_commit_message():
    from datetime import datetime, timezone

    from scraper.commands.nightly import commit_message
    from scraper.run import RunResult, SourceResult

    change = {"provider": "openrouter", "model": "evil\nSigned-off-by: Mallory <m@x>\x1b[2J", "component": "input",
              "tier": "standard", "currency": "USD", "kind": "cut", "old_price": "2", "new_price": "1",
              "effective_at": "2026-09-01T03:17:00Z", "basis": "observed", "status": "confirmed",
              "old_list_price": None, "new_list_price": None, "old_window": "", "new_window": "",
              "percent_change": "-50", "observed_after": None, "observed_at": "2026-09-01T03:17:00Z",
              "source_id": "openrouter-models"}
    result = RunResult(datetime(2026, 9, 1, 3, 17, tzinfo=timezone.utc),
                       [SourceResult("openrouter-models", "u", 200, None, 1, 1)], [change])
    message = commit_message(result, [])
    assert not any(line.startswith("Signed-off-by:") for line in message.splitlines())
    assert "\x1b" not in message
    assert "evil\\nSigned-off-by: Mallory <m@x>\\x1b[2J" in message
