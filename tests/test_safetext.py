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

