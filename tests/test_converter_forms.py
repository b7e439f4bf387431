"""Pages as converters and mirrors rewrite them (html2text, markdownify, Python-Markdown, Jina).

Each fixture here is a small page written by hand in the exact form a converter produces from the
provider's real page (found with the dev-time harness ``bench/converters.py``).  The converters
themselves are not needed: the fixtures hold their output.  What matters most is the second half
of each test: no price lands on another model, component or tier than the page gives it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from parsers import registry
from parsers.document import read_document
from parsers.quote import ParseError, Quote

FIXTURES = Path(__file__).parent / "fixtures"


def page(provider: str, name: str) -> str:
    return (FIXTURES / provider / name).read_text(encoding="utf-8")


def table_of(quotes: list[Quote]) -> dict[tuple[str, str, str, str], tuple[Decimal, datetime | None]]:
    out: dict[tuple[str, str, str, str], tuple[Decimal, datetime | None]] = {}
    for q in quotes:
        key = (q.model, q.component, q.tier, q.currency)
        assert key not in out, f"duplicate quote {key}"
        out[key] = (q.price, q.promo_until)
    return out


def test_deepseek_html2text_header_over_several_lines_and_a_promo_whose_strike_was_css() -> None:
    """html2text: header cells with <br> span five lines; the USD promo cells' strike-through was a
    CSS style, so ``$0.07(5)`` / ``$0.014`` are two plain prices.  Footnote (5) says the form shows
    "the original price and the discounted price": the second, lower one is the price in force,
    the first its list price, until the footnote's end.  Never the first one as the price, never
    shifted to another column (the row used to be re-aligned: output read as $0.07)."""
    reading = registry.read("deepseek", page("deepseek", "2025-01-23-html2text-wrapped-header.en.md"))
    until = datetime(2025, 2, 8, 16, 0, tzinfo=timezone.utc)
    assert table_of(reading.quotes) == {
        ("deepseek-chat", "input_cache_hit", "standard", "USD"): (Decimal("0.014"), until),
        ("deepseek-chat", "input", "standard", "USD"): (Decimal("0.14"), until),
        ("deepseek-chat", "output", "standard", "USD"): (Decimal("0.28"), until),
        ("deepseek-reasoner", "input_cache_hit", "standard", "USD"): (Decimal("0.14"), None),
        ("deepseek-reasoner", "input", "standard", "USD"): (Decimal("0.55"), None),
        ("deepseek-reasoner", "output", "standard", "USD"): (Decimal("2.19"), None),
    }
    assert {q.component: q.list_price for q in reading.quotes if q.model == "deepseek-chat"} == {
        "input_cache_hit": Decimal("0.07"), "input": Decimal("0.27"), "output": Decimal("1.10")}
    assert not any("two prices in one cell" in s.reason for s in reading.skipped)


def test_html2text_header_broken_over_lines_is_one_header_row() -> None:
    (table,) = read_document(
        "\nMODEL| 1M TOKENS  \nINPUT PRICE| 1M TOKENS  \nOUTPUT PRICE  \n---|---|---  \n"
        "model-a| $1| $2  \nmodel-b| $3| $4  \n").tables
    assert table.texts() == [["MODEL", "1M TOKENS\nINPUT PRICE", "1M TOKENS\nOUTPUT PRICE"],
                             ["model-a", "$1", "$2"], ["model-b", "$3", "$4"]]


def test_a_wrapped_header_must_match_the_separator_or_it_is_not_a_table() -> None:
    doc = read_document("\nsee a | b\nand more\n---|---|---\nx| y| z\n")
    assert doc.tables == []


def test_literal_markdown_strike_in_html_is_struck() -> None:
    """Python-Markdown without the strikethrough extension leaves ``~~$0.27~~`` as cell text."""
    (table,) = read_document(
        "<table><tr><th>Model</th><th>Input</th></tr>"
        "<tr><td>m</td><td>~~$0.27~~(4) $0.14</td></tr></table>").tables
    cell = table.rows[1][1]
    assert (cell.kept, cell.struck, cell.markers) == ("$0.14", ("$0.27",), ("4",))


def test_html2text_bold_promo_cell_still_goes_on_after_its_struck_list_price() -> None:
    """``<b><del>$0.07</del>(4)<br>$0.014</b>``: the line ends with ``~~(4)**`` and the next opens
    with ``**$0.014``; the cell is one cell (list price struck), not two rows."""
    (table,) = read_document(
        "MODEL| CACHE HIT| OUTPUT  \n---|---|---  \n"
        "deepseek-chat| **~~$0.07/ 1M tokens~~(4)  \n**$0.014 / 1M tokens**| $0.28  \n").tables
    assert len(table.rows) == 2
    cell = table.rows[1][1]
    assert (cell.kept, cell.struck, cell.markers) == ("$0.014 / 1M tokens", ("$0.07/ 1M tokens",), ("4",))


def test_api_json_through_a_reader_service_is_read_as_json() -> None:
    """``r.jina.ai`` on a JSON API wraps the JSON in its Markdown preamble."""
    body = page("openrouter", "models.json")
    wrapped = ("Title: \r\n\r\nURL Source: https://openrouter.ai/api/v1/models\r\n\r\n"
               "Markdown Content:\r\n" + body)
    assert registry.read("openrouter", wrapped).quotes == registry.read("openrouter", body).quotes
    assert len(registry.read("openrouter", body).quotes) > 0
    xai_body = page("xai", "language-models.json")
    xai_wrapped = "Title: \n\nURL Source: https://api.x.ai/v1/language-models\n\nMarkdown Content:\n" + xai_body
    assert registry.read("xai", xai_wrapped).quotes == registry.read("xai", xai_body).quotes


def test_a_markdown_page_keeps_its_reader_preamble() -> None:
    from parsers.document import unwrap_reader_json

    text = "Title: Pricing\n\nURL Source: https://x.ai/api\n\nMarkdown Content:\n# Pricing\n\n[1] note\n"
    assert unwrap_reader_json(text) == text
    assert read_document(text).meta == {"title": "Pricing", "url_source": "https://x.ai/api"}


def test_a_first_row_goes_on_with_a_price_written_with_its_code_after() -> None:
    """``0.014 USD`` opens a continuation line as ``$0.014`` does (localized mirrors)."""
    (table,) = read_document(
        "\nMODEL| CONTEXT| HIT  \nPRICE| OUT  \nPRICE  \n---|---|---|---  \n"
        "deepseek-chat| 64K| 0.07 USD(5)  \n0.014 USD| 1.10 USD  \n").tables
    assert table.texts()[1] == ["deepseek-chat", "64K", "0.07 USD\n0.014 USD", "1.10 USD"]


@pytest.mark.parametrize("name", ["models-python-markdown.html", "models-python-markdown-html2text.md"])
def test_xai_models_table_rendered_by_python_markdown_keeps_its_groups(name: str) -> None:
    """Python-Markdown pads a short group row on the right, so ``Per million tokens`` is in a
    middle column, not under Pricing: it still opens the token-priced rows, and ``Per image
    output`` still closes them (``$0.02`` is never a token price).  Through html2text as well:
    there the rate-limit cell's ``<br>`` breaks each model's row in two lines (``...| 4Mtpm`` /
    ``600rpm| $1.25$2.50``), and the group rows end in ``|`` (an empty last cell)."""
    reading = registry.read("xai", page("xai", name))
    assert table_of(reading.quotes) == {
        ("grok-4.3", "input", "standard", "USD"): (Decimal("1.25"), None),
        ("grok-4.3", "output", "standard", "USD"): (Decimal("2.50"), None),
        ("grok-code-fast-1", "input", "standard", "USD"): (Decimal("0.20"), None),
        ("grok-code-fast-1", "output", "standard", "USD"): (Decimal("1.50"), None),
    }
    assert [(s.where, s.reason) for s in reading.skipped] == [
        ("table under 'Model Pricing' row 'grok-imagine-image'", "priced per image output, not per token")]


def test_an_html2text_row_broken_in_a_middle_cell_is_joined_only_where_the_cells_meet_exactly() -> None:
    (table,) = read_document(
        "Model| Limits| Price  \n---|---|---  \n"
        "grok-a| 4Mtpm  \n600rpm| $1  \n"          # 2 + 2 - 1 = 3 cells, words at the break: one row
        "grok-b| 2Mtpm  \n480rpm| $2| extra  \n"   # would be 4 cells: two rows, as before
        "grok-c| $3  \nnote| $4  \n").tables       # a price before the break: two rows
    rows = table.texts()
    assert rows[1] == ["grok-a", "4Mtpm\n600rpm", "$1"]
    assert len(rows) == 6 and rows[3] == ["480rpm", "$2", "extra"] and rows[5][:2] == ["note", "$4"]
    assert not any("\n" in cell for row in rows[2:] for cell in row)


def test_bold_lines_that_stand_for_headings_are_headings() -> None:
    """A converter that lost the heading tags kept them as bold lines; a bold sentence stays prose."""
    reading = registry.read("mistral", page("mistral", "pricing-bold-card-names.html"))
    assert {(q.model, q.component, q.currency): q.price for q in reading.quotes} == {
        ("mistral-large-2411", "input", "EUR"): Decimal("1.8"), ("mistral-large-2411", "input", "USD"): Decimal("2"),
        ("mistral-large-2411", "output", "EUR"): Decimal("5.4"), ("mistral-large-2411", "output", "USD"): Decimal("6"),
        ("codestral-latest", "input", "EUR"): Decimal("0.28"), ("codestral-latest", "input", "USD"): Decimal("0.3"),
        ("codestral-latest", "output", "EUR"): Decimal("0.82"), ("codestral-latest", "output", "USD"): Decimal("0.9"),
    }
    assert {q.tier for q in reading.quotes} == {"standard"}
    doc = read_document("**Batch pricing**\n\n**From now until 2025-02-08, all is half price.**\n\n**$5 off**\n\n"
                        "**A** and more\n")
    assert [(type(b).__name__, b.text) for b in doc.blocks] == [
        ("Heading", "Batch pricing"), ("Paragraph", "From now until 2025-02-08, all is half price."),
        ("Paragraph", "$5 off"), ("Paragraph", "A and more")]


def test_anthropic_html2text_model_cell_with_a_line_break_keeps_its_model_and_date() -> None:
    """``Claude Sonnet 5<br>through August 31, 2026`` is two lines in html2text: the name must
    open the next row (not end the row above), so both dated prices stay Sonnet 5's."""
    reading = registry.read("anthropic", page("anthropic", "html2text-br-in-model-cell.md"))
    sept = datetime(2026, 9, 1, tzinfo=timezone.utc)
    got = {(q.model, q.component, q.effective_from): q.price for q in reading.quotes if q.model == "claude-sonnet-5"}
    assert got == {
        ("claude-sonnet-5", "input", None): Decimal("1.60"), ("claude-sonnet-5", "input", sept): Decimal("2.40"),
        ("claude-sonnet-5", "input_cache_write", None): Decimal("2"),
        ("claude-sonnet-5", "input_cache_write", sept): Decimal("3"),
        ("claude-sonnet-5", "input_cache_write_1h", None): Decimal("3.20"),
        ("claude-sonnet-5", "input_cache_write_1h", sept): Decimal("4.80"),
        ("claude-sonnet-5", "input_cache_hit", None): Decimal("0.16"),
        ("claude-sonnet-5", "input_cache_hit", sept): Decimal("0.24"),
        ("claude-sonnet-5", "output", None): Decimal("8"), ("claude-sonnet-5", "output", sept): Decimal("12"),
    }
    opus = {q.component: q.price for q in reading.quotes if q.model == "claude-opus-4-6"}
    assert opus == {"input": Decimal("5"), "input_cache_write": Decimal("6.25"), "input_cache_write_1h": Decimal("10"),
                    "input_cache_hit": Decimal("0.50"), "output": Decimal("25")}
    assert {q.tier for q in reading.quotes} == {"standard"} and len(reading.quotes) == 20


def test_a_pipe_less_line_that_carries_a_price_still_ends_the_row_above() -> None:
    (table,) = read_document("A| B  \n---|---  \nx| Input: $4  \nOutput: $20  \ny| $1  \n").tables
    assert table.texts()[1:] == [["x", "Input: $4\nOutput: $20"], ["y", "$1"]]


def test_xai_html2text_table_with_an_empty_button_column_stays_aligned() -> None:
    """html2text ends a row whose last cell (a Copy button) is empty with ``|``: that is an empty
    cell, not decoration; dropped, the row was re-aligned under the wrong columns (grok-4.3 in the
    Model column, ``2M`` as the input price).  A header opening with ``|`` and a separator that
    does not is a header whose first cell is empty."""
    reading = registry.read("xai", page("xai", "models-2026-html2text.md"))
    assert table_of(reading.quotes) == {
        ("grok-4.3", "input", "standard", "USD"): (Decimal("1.25"), None),
        ("grok-4.3", "output", "standard", "USD"): (Decimal("2.50"), None),
        ("grok-4-1-fast-reasoning", "input", "standard", "USD"): (Decimal("0.20"), None),
        ("grok-4-1-fast-reasoning", "output", "standard", "USD"): (Decimal("0.50"), None),
        ("grok-code-fast-1", "input", "standard", "USD"): (Decimal("0.20"), None),
        ("grok-code-fast-1", "output", "standard", "USD"): (Decimal("1.50"), None),
    }
    tables = read_document(page("xai", "models-2026-html2text.md")).tables
    assert tables[1].texts() == [["", "Real-time API", "Batch API"],
                                 ["Token pricing", "Standard rates", "20%-50% off standard rates"]]


def test_short_rows_ending_in_a_pipe_keep_the_row_span_reading_when_the_last_column_has_prices() -> None:
    """A table padded on the right upstream ends its short rows with ``|`` too; where the last
    column holds prices those rows lost their first cells to a row span, not their last."""
    (table,) = read_document(
        "PRICING| COMPONENT| chat| reasoner  \n---|---|---|---  \n"
        "PEAK| HIT| $1| $2  \nMISS| $3| $4|   \n").tables
    assert table.texts()[2] == ["PEAK", "MISS", "$3", "$4"]


def test_github_table_rows_that_omit_their_empty_last_cell_are_padded_on_the_right() -> None:
    """``| gpt-5.4 | $2.50 | $0.25 | $15.00 |`` under a five-column header omits its empty Notes
    cell (GitHub pads on the right).  Shifted right as if it had lost a row-spanned first cell,
    every price would sit under the next column and the row would name the model above."""
    reading = registry.read("openai", page("openai", "gfm-short-rows.md"))
    assert {(q.model, q.component): q.price for q in reading.quotes} == {
        ("gpt-5.5", "input"): Decimal("5.00"), ("gpt-5.5", "input_cache_hit"): Decimal("0.50"),
        ("gpt-5.5", "output"): Decimal("30.00"),
        ("gpt-5.4", "input"): Decimal("2.50"), ("gpt-5.4", "input_cache_hit"): Decimal("0.25"),
        ("gpt-5.4", "output"): Decimal("15.00"),
        ("gpt-5.4-mini", "input"): Decimal("0.75"), ("gpt-5.4-mini", "input_cache_hit"): Decimal("0.075"),
        ("gpt-5.4-mini", "output"): Decimal("4.50"),
    }
    assert {q.tier for q in reading.quotes} == {"standard"}
    # a row-spanned short row (its prices line up only when shifted right) keeps the old reading
    (table,) = read_document("| PRICING | COMPONENT | TIER | PRICE |\n|---|---|---|---|\n"
                             "| PRICING | CACHE HIT | OFF-PEAK | $0.007 |\n| PEAK | $0.014 |\n").tables
    assert table.texts()[2] == ["PRICING", "CACHE HIT", "PEAK", "$0.014"]


def test_prices_with_the_code_after_them_may_be_glued_to_the_next_price() -> None:
    """xAI's ``$1.25$2.50`` cell as a localized mirror writes it: ``1.25 USD2.50 USD``."""
    from parsers.money import find_money

    assert [(m.amount, m.currency) for m in find_money("1.25 USD2.50 USD")] == [
        (Decimal("1.25"), "USD"), (Decimal("2.50"), "USD")]
    assert find_money("5 USDC") == []


def test_a_bold_heading_line_directly_over_its_text_is_still_a_heading() -> None:
    doc = read_document("**Flagship models**\nOur latest models\n\n**Note:**\nsee below\n")
    assert [(type(b).__name__, b.text) for b in doc.blocks] == [
        ("Heading", "Flagship models"), ("Paragraph", "Our latest models"), ("Paragraph", "Note: see below")]


def test_deepseek_price_row_that_lost_its_time_period_is_not_priced_all_day() -> None:
    """A copy that padded a row-spanned row on the right (``百万tokens输入（缓存未命中） | 2元 | 4元 |
    ``) is moved back under its period: read in place its prices would sit under the wrong
    columns, moved right they sit under the models and its label under the row above's label.
    A row whose period cell is simply blank (``| | 百万tokens输出 | 8元 | 16元 |``) cannot be
    placed: read as standard all day, 8元 would be charged in the off-peak hours too.  It is
    skipped with the reason; the labelled rows keep their UTC windows."""
    reading = registry.read("deepseek", page("deepseek", "2025-02-26-lost-period-label.zh-cn.md"))
    assert {(q.model, q.component, q.tier, q.window): q.price for q in reading.quotes} == {
        ("deepseek-chat", "input_cache_hit", "standard", "00:30-16:30 UTC"): Decimal("0.5"),
        ("deepseek-reasoner", "input_cache_hit", "standard", "00:30-16:30 UTC"): Decimal("1"),
        ("deepseek-chat", "input", "standard", "00:30-16:30 UTC"): Decimal("2"),
        ("deepseek-reasoner", "input", "standard", "00:30-16:30 UTC"): Decimal("4"),
        ("deepseek-chat", "input_cache_hit", "off_peak", "16:30-00:30 UTC"): Decimal("0.25"),
        ("deepseek-reasoner", "input_cache_hit", "off_peak", "16:30-00:30 UTC"): Decimal("0.25"),
    }
    assert [(s.text, s.reason) for s in reading.skipped] == [
        (" | 百万tokens输出 | 8元 | 16元", "price row without its time period in a table priced by time of day")]


def _reading_key(q: Quote) -> tuple:
    return (q.model, q.component, q.tier, q.currency, q.window, q.price, q.promo_until, q.effective_from)


def test_anthropic_long_context_cells_through_markdownify_part_at_each_label() -> None:
    """markdownify writes a cell's ``<br>`` as a space: ``Input: $8 / MTok Output: $30 / MTok``.
    Each price still has its own label, so the cell parts where the next label follows ``MTok``
    (it was skipped as several prices in one cell: 8 of 61 prices read as the HTML's)."""
    converted = registry.read("anthropic", page("anthropic", "2026-05-scheduled-fast-long-context.markdownify.md"))
    original = registry.read("anthropic", page("anthropic", "2026-05-scheduled-fast-long-context.html"))
    assert "| Claude Opus 4.6 | Input: $4 / MTok Output: $20 / MTok | Input: $8 / MTok Output: $30 / MTok |" in \
        page("anthropic", "2026-05-scheduled-fast-long-context.markdownify.md")
    assert sorted(map(_reading_key, converted.quotes)) == sorted(map(_reading_key, original.quotes))
    assert {(q.component, q.tier): q.price for q in converted.quotes
            if q.model == "claude-opus-4-6" and q.tier == "context>200k"} == {
        ("input", "context>200k"): Decimal("8"), ("output", "context>200k"): Decimal("30")}
    assert not any("several prices in one cell" in s.reason for s in converted.skipped)


def test_deepseek_off_peak_page_through_html2text_keeps_each_window_on_its_rows() -> None:
    """html2text drops the header's colspan (``MODEL`` over two columns: three header cells) and
    writes the row-spanned ``STANDARD PRICE<br>（UTC 00:30-16:30）`` cell as a pipe-less line, then
    the first row of its window, one cell wider than the header.  The pipe-less line opens that
    row (it was glued to the row above, and the discount window's rows to the standard output
    row: 4 of 12 prices lost); the rows after it have lost the spanned cell and take it back."""
    converted = registry.read("deepseek", page("deepseek", "2025-02-26-off-peak.html2text.en.md"))
    original = registry.read("deepseek", page("deepseek", "2025-02-26-off-peak.en.html"))
    assert sorted(map(_reading_key, converted.quotes)) == sorted(map(_reading_key, original.quotes))
    assert {(q.model, q.component, q.window): q.price for q in converted.quotes if q.component == "output"} == {
        ("deepseek-chat", "output", "00:30-16:30 UTC"): Decimal("1.10"),
        ("deepseek-reasoner", "output", "00:30-16:30 UTC"): Decimal("2.19"),
        ("deepseek-chat", "output", "16:30-00:30 UTC"): Decimal("0.550"),
        ("deepseek-reasoner", "output", "16:30-00:30 UTC"): Decimal("0.550")}


def test_deepseek_standard_price_rows_that_lost_their_hours_are_not_priced_all_day() -> None:
    """The off-peak page through Python-Markdown and html2text again: ``STANDARD PRICE`` is a row
    of its own, its hours (``（UTC 00:30-16:30）``) on the next row only, and the rows under them
    carry the label down without the hours.  In a table priced by time of day such a row is the
    price of a window, not of the whole day (read so, 0.27 would have been charged at night too,
    where 0.135 applies): skipped with the reason.  The discount rows keep the hours footnote (6)
    gives their tier."""
    reading = registry.read("deepseek", page("deepseek", "2025-02-26-off-peak.label-rows.en.md"))
    assert "**STANDARD PRICE** |  |" in page("deepseek", "2025-02-26-off-peak.label-rows.en.md")
    assert not [q for q in reading.quotes if q.tier == "standard"]
    assert {(q.model, q.component, q.tier, q.window): q.price for q in reading.quotes} == {
        ("deepseek-chat", "input", "off_peak", "16:30-00:30 UTC"): Decimal("0.135"),
        ("deepseek-reasoner", "input", "off_peak", "16:30-00:30 UTC"): Decimal("0.135"),
        ("deepseek-chat", "output", "off_peak", "16:30-00:30 UTC"): Decimal("0.550"),
        ("deepseek-reasoner", "output", "off_peak", "16:30-00:30 UTC"): Decimal("0.550")}
    assert sum("price row without its time period in a table priced by time of day" in s.reason
               for s in reading.skipped) == 2


def test_deepseek_gfm_mirror_rendered_to_html_keeps_its_peak_rows() -> None:
    """A GitHub-style renderer (here Python-Markdown) pads the mirror's short rows on the right:
    ``PEAK | 0.10元 | 0.30元 | | `` under a five-column header.  Each is moved back under its
    row-spanned component (column per model) or model (row per model, the announced table), so the
    rendered page gives exactly the quotes of the Markdown it was rendered from."""
    until = datetime(2026, 8, 16, 16, 0, tzinfo=timezone.utc)
    peak, off = "01:00-04:00,06:00-10:00 UTC", "04:00-06:00,10:00-01:00 UTC"
    rendered = registry.read("deepseek", page("deepseek", "2026-08-14-announced.en.rendered.html"))
    assert rendered.skipped == []
    assert sorted(map(_reading_key, rendered.quotes)) == sorted(
        map(_reading_key, registry.read("deepseek", page("deepseek", "2026-08-14-announced.en.md")).quotes))
    announced = {(q.model, q.component, q.tier, q.window): q.price for q in rendered.quotes if q.effective_from == until}
    assert announced == {
        ("deepseek-v4-flash", "input_cache_hit", "off_peak", off): Decimal("0.007"),
        ("deepseek-v4-flash", "input", "off_peak", off): Decimal("0.22"),
        ("deepseek-v4-flash", "output", "off_peak", off): Decimal("0.66"),
        ("deepseek-v4-flash", "input_cache_hit", "peak", peak): Decimal("0.014"),
        ("deepseek-v4-flash", "input", "peak", peak): Decimal("0.44"),
        ("deepseek-v4-flash", "output", "peak", peak): Decimal("1.32"),
        ("deepseek-v4-pro", "input_cache_hit", "off_peak", off): Decimal("0.022"),
        ("deepseek-v4-pro", "input", "off_peak", off): Decimal("0.66"),
        ("deepseek-v4-pro", "output", "off_peak", off): Decimal("1.98"),
        ("deepseek-v4-pro", "input_cache_hit", "peak", peak): Decimal("0.044"),
        ("deepseek-v4-pro", "input", "peak", peak): Decimal("1.32"),
        ("deepseek-v4-pro", "output", "peak", peak): Decimal("3.96"),
    }
    zh = registry.read("deepseek", page("deepseek", "2026-08-17-peak.zh-cn.rendered.html"))
    assert zh.skipped == []
    assert sorted(map(_reading_key, zh.quotes)) == sorted(
        map(_reading_key, registry.read("deepseek", page("deepseek", "2026-08-17-peak.zh-cn.md")).quotes))
    assert {(q.model, q.component): q.price for q in zh.quotes if q.tier == "peak"} == {
        ("deepseek-v4-flash", "input_cache_hit"): Decimal("0.10"), ("deepseek-v4-pro", "input_cache_hit"): Decimal("0.30"),
        ("deepseek-v4-flash", "input"): Decimal("3.0"), ("deepseek-v4-pro", "input"): Decimal("9.0"),
        ("deepseek-v4-flash", "output"): Decimal("9.0"), ("deepseek-v4-pro", "output"): Decimal("27.0")}


def test_a_padded_row_whose_last_model_has_no_price_keeps_its_prices_in_place() -> None:
    """Moving a row right is only for rows that cannot be read in place: a row whose prices sit
    under the models and whose last cell is empty (that model has no such price) stays as it is,
    while the padded output row below it (prices under the label and the first model) is moved."""
    html = ("<table><tr><th>MODEL</th><th></th><th>deepseek-chat</th><th>deepseek-reasoner</th><th>deepseek-coder</th>"
            "</tr><tr><td>PRICING</td><td>1M INPUT TOKENS (CACHE HIT)</td><td>$0.07</td><td>$0.14</td><td>$0.01</td></tr>"
            "<tr><td>PRICING</td><td>1M INPUT TOKENS (CACHE MISS)</td><td>$0.27</td><td>$0.55</td><td></td></tr>"
            "<tr><td>1M OUTPUT TOKENS</td><td>$1.10</td><td>$2.19</td><td>$0.28</td><td></td></tr></table>")
    reading = registry.read("deepseek", f"<html><body><h2>Pricing Details</h2>{html}</body></html>")
    assert {(q.model, q.component): q.price for q in reading.quotes} == {
        ("deepseek-chat", "input_cache_hit"): Decimal("0.07"), ("deepseek-reasoner", "input_cache_hit"): Decimal("0.14"),
        ("deepseek-coder", "input_cache_hit"): Decimal("0.01"),
        ("deepseek-chat", "input"): Decimal("0.27"), ("deepseek-reasoner", "input"): Decimal("0.55"),
        ("deepseek-chat", "output"): Decimal("1.10"), ("deepseek-reasoner", "output"): Decimal("2.19"),
        ("deepseek-coder", "output"): Decimal("0.28")}


def test_anthropic_2026_page_through_html2text_reads_as_the_html() -> None:
    """html2text glues the sentence before each table onto its header line (``... (6x standard
    rates): Context window| Input| Output``) and breaks the long-context cells at their ``<br>``
    (``Claude Opus 4.6| Input: $4 / MTok`` / ``Output: $20 / MTok| Input: $8 / MTok``).  The
    sentence is a paragraph again (it names the model the fast table is for) and each cell is
    whole again, so the page gives the HTML's quotes: read apart, Sonnet's $4.80 was also Opus's
    and no long-context price was recorded."""
    converted = registry.read("anthropic", page("anthropic", "2026-05-scheduled-fast-long-context.html2text.md"))
    original = registry.read("anthropic", page("anthropic", "2026-05-scheduled-fast-long-context.html"))
    assert sorted(map(_reading_key, converted.quotes)) == sorted(map(_reading_key, original.quotes))
    assert {(q.model, q.component, q.tier): q.price for q in converted.quotes
            if q.tier in ("fast", "context>200k")} == {
        ("claude-opus-4-6", "input", "fast"): Decimal("24"), ("claude-opus-4-6", "output", "fast"): Decimal("120"),
        ("claude-opus-4-6", "input", "context>200k"): Decimal("8"),
        ("claude-opus-4-6", "output", "context>200k"): Decimal("30"),
        **{(model, "input", "context>200k"): Decimal("4.80")
           for model in ("claude-sonnet-4-6", "claude-sonnet-4-5", "claude-sonnet-4")},
        **{(model, "output", "context>200k"): Decimal("18")
           for model in ("claude-sonnet-4-6", "claude-sonnet-4-5", "claude-sonnet-4")}}


def test_prose_glued_onto_a_header_line_becomes_a_paragraph_again() -> None:
    doc = read_document("Fast mode for Claude Opus 4.6 provides faster output (6x standard rates): Context window|"
                        " Input| Output  \n---|---|---  \n≤ 200K input tokens| $24 / MTok| $120 / MTok  \n")
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table"]
    assert doc.blocks[0].text == "Fast mode for Claude Opus 4.6 provides faster output (6x standard rates):"
    assert doc.tables[0].texts()[0] == ["Context window", "Input", "Output"]
    short = read_document("Plan: Model| Input  \n---|---  \nm| $1  \n")  # too short to be prose: a cell
    assert short.tables[0].texts()[0] == ["Plan: Model", "Input"]


def test_openai_2026_page_through_markdownify_spreads_its_colspans() -> None:
    """markdownify writes ``<th colspan="3">Short context</th>`` as the label and two blank cells,
    so each group label stands over its first column only.  Every label opening a run of the same
    columns (Input, Cached input, Output), the blanks belong to the label on their left."""
    converted = registry.read("openai", page("openai", "2026-pricing.markdownify.md"))
    original = registry.read("openai", page("openai", "2026-pricing.html"))
    assert sorted(map(_reading_key, converted.quotes)) == sorted(map(_reading_key, original.quotes))
    assert {(q.component, q.tier): q.price for q in converted.quotes if q.model == "gpt-5.5"} == {
        ("input", "standard"): Decimal("5.00"), ("input_cache_hit", "standard"): Decimal("0.50"),
        ("output", "standard"): Decimal("30.00"), ("input", "context>272k"): Decimal("10.00"),
        ("input_cache_hit", "context>272k"): Decimal("1.00"), ("output", "context>272k"): Decimal("45.00"),
        ("input", "batch"): Decimal("2.50"), ("input_cache_hit", "batch"): Decimal("0.25"),
        ("output", "batch"): Decimal("15.00"), ("input", "batch context>272k"): Decimal("5.00"),
        ("input_cache_hit", "batch context>272k"): Decimal("0.50"), ("output", "batch context>272k"): Decimal("22.50"),
        ("input", "priority"): Decimal("12.50"), ("input_cache_hit", "priority"): Decimal("1.25"),
        ("output", "priority"): Decimal("75.00")}


def test_blank_group_cells_are_not_spread_over_columns_of_another_kind() -> None:
    """``Short context`` over Input and Output, ``Long context`` over Input and Cached input: the
    runs differ, so which group a blank belongs to is not certain, and the table gives no price
    (the page then has none: an error that says what was skipped and why, never a guess)."""
    md = ("## Flagship models\n\nPrices per 1M tokens.\n\n"
          "| Model | Short context | | Long context | |\n| --- | --- | --- | --- | --- |\n"
          "| Model | Input | Output | Input | Cached input |\n| gpt-x | $1.00 | $2.00 | $3.00 | $0.30 |\n")
    with pytest.raises(ParseError, match=r"with a price \(skipped: .Flagship models. table: column groups"
                                         r" \(Short/Long context\) cannot be matched to their columns: "):
        registry.read("openai", md)


def test_xai_model_page_whose_headings_became_bold_lines_keeps_its_pricing() -> None:
    """A crawler that writes every heading as a bold line puts ``Pricing``, ``Input`` and
    ``Output`` at one level: Input and Output are still read as Pricing's own parts."""
    bold = re.sub(r"(?m)^#+ (.+)$", r"**\1**", page("xai", "model-page.md"))
    assert "**Pricing**" in bold and "**Input**" in bold and "#" not in bold.replace("\\#", "")
    reading = registry.read("xai", bold)
    assert {(q.model, q.component): q.price for q in reading.quotes} == {
        (q.model, q.component): q.price for q in registry.read("xai", page("xai", "model-page.md")).quotes}
    assert {q.component: q.price for q in reading.quotes} == {
        "input": Decimal("0.20"), "input_cache_hit": Decimal("0.05"), "output": Decimal("0.50")}
