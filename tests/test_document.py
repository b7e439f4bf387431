"""The page reader: HTML and Markdown give the same grids, struck prices and footnotes."""

from __future__ import annotations

import pytest

from parsers.document import Data, Heading, Paragraph, detect_format, read_document

HTML = """<!DOCTYPE html><html><head><script>window.__DATA__={"a":1}</script><style>.x{}</style></head>
<body><h2>Pricing Details</h2>
<div class="tabs-container"><ul role="tablist"><li role="tab">USD</li><li role="tab">CNY</li></ul>
<div role="tabpanel"><table><thead><tr><th>MODEL<sup>1</sup></th><th>INPUT</th><th>OUTPUT</th></tr></thead>
<tbody><tr><td rowspan="2">model-a</td><td><del>$0.30 / 1M tokens</del><sup>(4)</sup><br>$0.15 / 1M tokens</td>
<td><span style="text-decoration: line-through">$1.20</span>(4)<br/>$0.60</td></tr>
<tr><td colspan="2">spanned</td></tr></tbody></table></div>
<div role="tabpanel" hidden><table><tr><th>MODEL</th><th>INPUT</th></tr>
<tr><td>model-a</td><td><s>Â¥2</s>(4)<br>Â¥1</td></tr></table></div></div>
<ul><li>(4) From now until 2030-01-02 03:00 (UTC), discounted.</li></ul></body></html>"""

MARKDOWN = """---
source: https://example.com/pricing
fetched: 2030-01-01
---
## Pricing Details

| | | | |
| --- | --- | --- | --- |
| PRICING(1) | INPUT | OFF-PEAK | $0.10 |
| PEAK | $0.20 |
| OUTPUT | OFF-PEAK | ~~$0.90~~(2)<br>$0.45 |

(1) Peak hours are 01:00 - 02:00 UTC.

(2) Discount until 2030-01-02.
"""

HTML2TEXT = """MODEL(1)| IN| OUT  
---|---|---  
model-b| ~~$0.50/ 1M tokens~~(3)  
$0.25 / 1M tokens| ~~$2.00/ 1M tokens~~(3)  
$1.00/1M tokens  
  
"""


def test_html_table_expands_spans_and_keeps_struck_prices() -> None:
    doc = read_document(HTML)
    usd, cny = doc.tables
    assert usd.tab == "USD" and cny.tab == "CNY"
    assert usd.section == "Pricing Details"
    assert usd.texts() == [
        ["MODEL", "INPUT", "OUTPUT"],
        ["model-a", "$0.30 / 1M tokens\n$0.15 / 1M tokens", "$1.20\n$0.60"],
        ["model-a", "spanned", "spanned"],
    ]
    cell = usd.rows[1][1]
    assert (cell.kept, cell.struck, cell.markers) == ("$0.15 / 1M tokens", ("$0.30 / 1M tokens",), ("4",))
    assert usd.rows[1][2].kept == "$0.60" and usd.rows[1][2].struck == ("$1.20",)
    assert usd.header[0].markers == ("1",)


def test_html_mojibake_is_repaired_and_scripts_are_kept() -> None:
    doc = read_document(HTML)
    assert doc.tables[1].rows[1][1].kept == "¥1"
    assert doc.tables[1].rows[1][1].struck == ("¥2",)
    assert doc.scripts == ['window.__DATA__={"a":1}']
    assert doc.footnotes() == {"4": "From now until 2030-01-02 03:00 (UTC), discounted."}


def test_markdown_ragged_rows_take_leading_cells_from_the_row_above() -> None:
    doc = read_document(MARKDOWN)
    assert doc.meta == {"source": "https://example.com/pricing", "fetched": "2030-01-01"}
    (table,) = doc.tables
    assert table.texts()[1:] == [
        ["PRICING", "INPUT", "OFF-PEAK", "$0.10"],
        ["PRICING", "INPUT", "PEAK", "$0.20"],
        ["PRICING", "OUTPUT", "OFF-PEAK", "$0.90\n$0.45"],
    ]
    assert table.rows[3][3].kept == "$0.45" and table.rows[3][3].struck == ("$0.90",)
    assert table.rows[1][0].markers == ("1",)
    assert doc.footnotes() == {"1": "Peak hours are 01:00 - 02:00 UTC.", "2": "Discount until 2030-01-02."}


def test_html2text_rows_broken_by_line_breaks_are_reassembled() -> None:
    (table,) = read_document(HTML2TEXT).tables
    assert table.texts() == [
        ["MODEL", "IN", "OUT"],
        ["model-b", "$0.50/ 1M tokens\n$0.25 / 1M tokens", "$2.00/ 1M tokens\n$1.00/1M tokens"],
    ]
    assert table.rows[1][2].kept == "$1.00/1M tokens"
    assert table.rows[1][1].markers == ("3",)


def test_markdown_mojibake_currency_is_repaired() -> None:
    (table,) = read_document("| M | P |\n|---|---|\n| x | Â¥0.5 / 1M tokens |\n").tables
    assert table.rows[1][1].text == "¥0.5 / 1M tokens"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!doctype html><html></html>", "html"),
        ("  <div><table></table></div>", "html"),
        ('{"data": []}', "json"),
        ('[{"id": "x"}]', "json"),
        ("[Skip to main content](https://x)\n# Pricing", "markdown"),
        ("# Models & Pricing\n\n| a | b |", "markdown"),
    ],
)
def test_format_is_detected_from_content(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_footnote_paragraphs_are_separate_from_prose() -> None:
    doc = read_document("Intro line.\n(1) First note.\n(2) Second note.\n")
    assert doc.blocks == [Paragraph("Intro line."), Paragraph("First note.", "1"), Paragraph("Second note.", "2")]


def test_markdown_table_ends_at_a_heading_or_the_next_tables_header() -> None:
    # Crawler Markdown (docs.anthropic.com, 2025) runs tables into what follows without blank lines.
    doc = read_document(
        "Model| In| Out  \n---|---|---  \nm-1| $1| $2  \nm-2| $3| $4  \nNote under the table.\n## \n"
        "Batch\nModel| Batch in| Batch out  \n---|---|---  \nm-1| $0.5| $1  \n"
        "Model| Other  \n---|---  \nm-1| x  \n"
    )
    first, batch, other = doc.tables
    assert first.texts() == [["Model", "In", "Out"], ["m-1", "$1", "$2"], ["m-2", "$3", "$4\nNote under the table."]]
    assert batch.texts() == [["Model", "Batch in", "Batch out"], ["m-1", "$0.5", "$1"]]
    assert other.texts() == [["Model", "Other"], ["m-1", "x"]]


def test_custom_elements_data_attributes_become_data_blocks_in_reading_order() -> None:
    # Web components (mistral.ai/pricing) keep prices in attributes of empty elements.
    doc = read_document(
        "<main><x-card><h2>Model A</h2><p>Input</p>"
        "<x-price data-prices='{\"priceUsd\":2}' data-discounts='[\"batch\"]' class=\"c\"></x-price>"
        "<x-copy data-text=\"model-a\">copy</x-copy><div data-ignored=\"plain element\">Text</div>"
        "<x-empty class=\"no-data\"></x-empty></x-card></main>"
    )
    assert doc.blocks == [
        Heading(2, "Model A"),
        Paragraph("Input"),
        Data("x-price", {"prices": '{"priceUsd":2}', "discounts": '["batch"]'}, "Model A"),
        Data("x-copy", {"text": "model-a"}, "Model A"),
        Paragraph("copy"),
        Paragraph("Text"),
    ]


@pytest.mark.parametrize("page", [
    "<html><head><script src=a.js></script><SCRIPT type='x'>var p = '<b>';</SCRIPT ></head><body><p>Hi</p>"
    "<script>\n  self.push([1])\n</script><script> </script><p>there</p></body></html>",
    "<p>no scripts</p>",
    "<p>a</p><script>never closed <p>b</p>",
    "<p>a</p><script>one</script><p>b</p><script>unclosed",
])
def test_script_split_equals_the_regular_expression_it_replaces(page: str) -> None:
    # The one-pass splitter must cut exactly what ``<script ...>(.*?)</script>`` cut (bench/parse.py).
    from parsers import html_reader

    body, scripts = html_reader.split_scripts(page)
    assert body == html_reader._SCRIPT_RE.sub("", page)
    assert scripts == [s for s in html_reader._SCRIPT_RE.findall(page) if s.strip()]


def test_scripts_are_kept_and_cut_from_the_text() -> None:
    doc = read_document("<html><body><p>Price</p><script>window.x = {\"p\": 1};</script><p>$2</p></body></html>")
    assert doc.scripts == ['window.x = {"p": 1};']
    assert doc.blocks == [Paragraph("Price"), Paragraph("$2")]


def test_head_and_class_attributes_are_cut_before_the_tree_is_built() -> None:
    # Only <body> is read and class attributes never are: the document is the same without them.
    page = ("<html><head><title>Pricing $9</title><meta name='d' content='$8 / MTok'></head>"
            "<body class=\"p-4 flex\"><h2 class='x'>Prices</h2><div role=\"tablist\" class=\"t\">"
            "<button role=\"tab\" class=\"a\">USD</button></div><div role=\"tabpanel\" class=\"b\">"
            "<table class=\"w-full\"><tr><th class=\"c\">Model</th><th>Input</th></tr>"
            "<tr><td>m-1</td><td class=\"num\"><span class=\"s\" style=\"text-decoration: line-through\">$2</span></td></tr>"
            "</table>"
            "</div></body></html>")
    doc = read_document(page)
    assert doc.blocks[0] == Heading(2, "Prices")
    table = doc.tables[0]
    assert (table.tab, table.texts()) == ("USD", [["Model", "Input"], ["m-1", "$2"]])
    assert table.rows[1][1].struck == ("$2",)  # style survives; only class is cut
    assert "$9" not in doc.text() and "$8" not in doc.text()


def test_docs_site_chrome_divs_are_cut_whole_and_a_malformed_one_is_kept() -> None:
    page = ("<html><body><div id=\"navbar\"><div><a href=\"/\">Home $1</a></div></div>"
            "<div id='sidebar'><div><ul><li>Pricing</li></ul></div><div>Models</div></div>"
            "<div id=\"content\"><h2>Prices</h2><div><p>Input $3</p></div></div>"
            "<div id=\"table-of-contents\"><ul><li>Model pricing</li></ul></div></body></html>")
    assert read_document(page).blocks == [Heading(2, "Prices"), Paragraph("Input $3")]
    unclosed = "<html><body><div id=\"sidebar\"><p>Menu</p><h2>Prices</h2><p>Input $3</p></body></html>"
    assert read_document(unclosed).blocks == [Paragraph("Menu"), Heading(2, "Prices"), Paragraph("Input $3")]


def test_markdown_single_emphasis_is_markup_but_ids_and_footnote_stars_are_text() -> None:
    """Converters wrap cells in ``_..._`` or ``*...*``; an id's own underscores and a ``$5.00*``
    footnote star stay."""
    (table,) = read_document(
        "| Model | Input | Output |\n|---|---|---|\n"
        "| _Claude Opus 4.6_ | *$5.00* | $25.00* |\n"
        "| text_embedding_3 | _$0.02_ | - |\n").tables
    assert table.texts()[1:] == [["Claude Opus 4.6", "$5.00", "$25.00*"], ["text_embedding_3", "$0.02", "-"]]


def test_markdown_footnote_number_glued_after_a_code_span_or_link_is_a_marker() -> None:
    """html2text writes ``<sup>1</sup>`` after a linked id as a bare ``1``: the id stays the id."""
    (table,) = read_document(
        "Model| Input\n---|---\n"
        "[`gpt-5.4-nano`](/docs/models/gpt-5.4-nano)1| $0.20\n"
        "`gpt-4.1`12| $2.00\n"
        "[Opus 4](/docs/opus)2 (deprecated)| $15\n"
        "`gpt-4o-2024-08-06`| $2.50\n").tables
    cells = [row[0] for row in table.body]
    assert [(c.text, c.markers) for c in cells] == [
        ("gpt-5.4-nano", ("1",)), ("gpt-4.1", ("12",)), ("Opus 4 (deprecated)", ("2",)), ("gpt-4o-2024-08-06", ())]
