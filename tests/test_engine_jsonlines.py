"""JSON Lines, and JSON arrays of usage objects, read by DuckDB's own JSON reader
(``db.reprice.jsonlines``): every value the row reader reads, the engine reads the same (a
count, a time, an id, a tier, or the same message), in every mode (kept, read in runs,
summary), and a line or element the fast reading cannot vouch for (other keys, nested values,
DuckDB's lenient parsing) sends the file to the row reader, with the row reader's outcome."""

from __future__ import annotations

import gzip
import json

import pytest

pytest.importorskip("duckdb")

import db.reprice.engine as engine_module  # noqa: E402
from test_engine_cells import assert_read_alike, engines, pricer  # noqa: E402,F401

GOOD = '{"time": "2025-03-03T08:15:27Z", "provider": "deepseek", "model": "deepseek-chat", "input_tokens": 1000, "output_tokens": 500}'
MODES = pytest.mark.parametrize("kept", [True, False, "summary"], ids=["kept", "read in runs", "summary"])


def line(time='"2025-03-03T09:00:00Z"', provider='"deepseek"', model='"deepseek-chat"', tokens="100", out="10") -> str:
    return (f'{{"time": {time}, "provider": {provider}, "model": {model}, "input_tokens": {tokens},'
            f' "output_tokens": {out}}}')


def write(tmp_path, *lines: str, name: str = "usage.jsonl", end: str = "\n"):
    path = tmp_path / name
    path.write_bytes((end.join([GOOD, *lines]) + end).encode("utf-8"))
    return path


@pytest.fixture
def fast_only(monkeypatch):
    """The row reader may not read the file (the fast reading did all of it)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the row reader read the file")
    monkeypatch.setattr(engine_module, "_load_rows", refuse)


#: Values the fast reading reads itself: each read as the row reader reads it, or refused with
#: its message (a bad row's message comes from the row reader, which is allowed then).
COUNTS = ["100", '"100"', '"1,234"', '" 12 "', "1234.0", "1e3", "1E3", "0", "-0", "null", '""', "-3", "1.5",
          "true", "false", "NaN", "Infinity", "-Infinity", "1e400", "12345678901234567890123", "1000000000001",
          '"1_000"', '"-5"', "[1]", '{"a": 1}', "inf", "-inf", "nan", "-NaN"]
TIMES = ['"2025-03-03T09:00:00Z"', '"2025-03-03"', '" 2025-03-03T09:00:00.000Z "', '"2025-03-03 09:00:00"', "null",
         "1741000000", "true", '"2025-03-03T09:00:00+01:00"', '"2025-03-03T09:00:00\\u005a"', '"yesterday"']
IDS = ['"deepseek"', '" DeepSeek "', '"deep\\u0073eek"', "null", "5", '""', '"deepseek\\\\x"',
       '"d\u00e9epseek"', '"\u4e2d\u6587"', '"deepseek\U0001f600"']  # the last three raw UTF-8, not escapes


@MODES
@pytest.mark.parametrize("value", COUNTS)
def test_a_count_is_read_alike(pricer, engines, tmp_path, value, kept):
    assert_read_alike(pricer, engines, write(tmp_path, line(tokens=value)), kept)


@MODES
@pytest.mark.parametrize("value", TIMES)
def test_a_time_is_read_alike(pricer, engines, tmp_path, value, kept):
    assert_read_alike(pricer, engines, write(tmp_path, line(time=value)), kept)


@MODES
@pytest.mark.parametrize("value", IDS)
def test_a_provider_is_read_alike(pricer, engines, tmp_path, value, kept):
    assert_read_alike(pricer, engines, write(tmp_path, line(provider=value)), kept)


@MODES
@pytest.mark.parametrize("value", IDS + ['"deepseek-chat"', '"deepseek\\u002dchat"'])
def test_a_model_is_read_alike(pricer, engines, tmp_path, value, kept):
    assert_read_alike(pricer, engines, write(tmp_path, line(model=value.replace("deepseek", "deepseek-chat")
                                                            if value.startswith('"deepseek"') else value)), kept)


#: Lines the fast reading cannot vouch for: the file goes to the row reader.
ODD_LINES = {
    "a comma before the brace": line()[:-1] + ",}",
    "a comma and blanks before the brace": line()[:-1] + ",  \t}",
    "another key": line()[:-1] + ', "service_tier": "batch"}',
    "a key less": '{"time": "2025-03-03T09:00:00Z", "provider": "deepseek", "model": "deepseek-chat", "input_tokens": 100}',
    "keys in another order": '{"provider": "deepseek", "time": "2025-03-03T09:00:00Z", "model": "deepseek-chat", "input_tokens": 100, "output_tokens": 10}',
    "a key twice": line()[:-1] + ', "output_tokens": 20}',
    "a nested object": line(out='{"output_tokens": 10}'),
    "not JSON": line()[:-1],
    "a blank line": "",
    "spaces only": "   ",
}


@MODES
@pytest.mark.parametrize("name", list(ODD_LINES))
def test_a_line_the_fast_reading_cannot_vouch_for_is_read_alike(pricer, engines, tmp_path, name, kept):
    assert_read_alike(pricer, engines, write(tmp_path, ODD_LINES[name], line(tokens="7")), kept)


@MODES
@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_a_file_of_flat_lines_is_read_by_duckdb_alone(pricer, engines, tmp_path, fast_only, kept, ending):
    """No row reader at all: counts as numbers and as text, whole days, tiers, ids in other
    cases, unpriced rows (their lines named), and a file without a final newline."""
    lines = [line(tokens=str(100 + i), out=f'"{i}"', time=f'"2025-03-{1 + 3 * i % 28:02d}T{i % 24:02d}:30:00Z"')
             for i in range(24)]  # (each line is a run when read in runs: 60 lines took 13 s a run)
    lines += [line(time='"2025-03-05"'), line(provider='"DeepSeek"', tokens="1234.0"),
              line(model='"gpt-9"'), line(tokens="null", out='" 7 "')]
    path = write(tmp_path, *lines, end=ending)
    assert_read_alike(pricer, engines, path, kept)
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    assert_read_alike(pricer, engines, path, kept)


@MODES
def test_a_service_tier_key_and_ignored_keys(pricer, engines, tmp_path, fast_only, kept):
    head = ('{"time": "2025-03-03T08:15:27Z", "provider": "deepseek", "model": "deepseek-chat",'
            ' "service_tier": %s, "input_tokens": 1000, "output_tokens": 500}')
    path = tmp_path / "tiers.jsonl"
    path.write_text("\n".join(head % t for t in ('"default"', "null", '"batch"', '""', '"Standard"')) + "\n",
                    encoding="utf-8")
    assert_read_alike(pricer, engines, path, kept)


@MODES
@pytest.mark.parametrize("value", ['"batch"', "5", "true"])
def test_a_service_tier_that_is_not_text_is_refused_alike(pricer, engines, tmp_path, kept, value):
    head = ('{"time": "2025-03-03T08:15:27Z", "provider": "deepseek", "model": "deepseek-chat",'
            ' "service_tier": %s, "input_tokens": 1000, "output_tokens": 500}')
    path = tmp_path / "tiers.jsonl"
    path.write_text(head % '"standard"' + "\n" + head % value + "\n", encoding="utf-8")
    assert_read_alike(pricer, engines, path, kept)


@MODES
def test_a_gzip_file(pricer, engines, tmp_path, fast_only, kept):
    path = tmp_path / "usage.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join([GOOD] + [line(tokens=str(i)) for i in range(1, 40)]) + "\n")
    assert_read_alike(pricer, engines, path, kept)


@MODES
@pytest.mark.parametrize("first", [
    '{"time": "2025-03-03T08:15:27Z", "provider": "deepseek", "model": "deepseek-chat", "input tokens": 5, "output_tokens": 1}',
    '{"time": "2025-03-03T08:15:27Z", "provider": "deepseek", "model": "deepseek-chat", "usage": {"input_tokens": 5}}',
    '[' + GOOD + ']',
    '\ufeff' + GOOD,
], ids=["a key with a space", "nested", "an array and a line after it", "a byte order mark"])
def test_files_the_fast_reading_does_not_take_are_read_alike(pricer, engines, tmp_path, first, kept):
    path = tmp_path / "other.jsonl"
    path.write_text(first + "\n" + line() + "\n", encoding="utf-8")
    assert_read_alike(pricer, engines, path, kept)


def test_the_fast_reading_is_taken(pricer, engines, tmp_path, fast_only):
    """The keys a line of every value type has, read without the row reader (the fixture
    refuses it), and the cells it gives."""
    path = write(tmp_path, line(tokens='"1,234"', out="2.0e1"))
    engine = engines["summary"]
    engine.load(path, totals_only=True)
    assert engine.con.execute("SELECT sum(n), sum(t_input), sum(t_output) FROM usage_groups").fetchone() == (2, 2234, 520)
    assert json.loads(GOOD)["input_tokens"] == 1000


@MODES
@pytest.mark.parametrize("damage", ["cut short", "bytes after it"])
def test_a_damaged_gzip_file_gets_the_row_readers_outcome(pricer, engines, tmp_path, kept, damage):
    """DuckDB and Python's gzip may part on a damaged file (bytes after the stream): the row
    reader's outcome stands, whichever of the two readers the engine's counts and rows met."""
    path = tmp_path / "usage.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join([GOOD] + [line(tokens=str(i)) for i in range(1, 3000)]) + "\n")
    data = path.read_bytes()
    path.write_bytes(data[:-30] if damage == "cut short" else data + b"not gzip at all")
    assert_read_alike(pricer, engines, path, kept)


# --- JSON arrays ------------------------------------------------------------------------------

def array(tmp_path, *elements: str, head: str = "[", sep: str = ", ", tail: str = "]\n", name: str = "usage.json"):
    path = tmp_path / name
    path.write_bytes((head + sep.join([GOOD, *elements]) + tail).encode("utf-8"))
    return path


LAYOUTS = {"one line": {}, "pretty": {"head": "[\n  ", "sep": ",\n  ", "tail": "\n]\n"},
           "blanks around": {"head": " \r\n\t[ ", "sep": " ,\t", "tail": " ] \n\n"}, "no final newline": {"tail": "]"}}


@pytest.mark.parametrize("layout, kept", [(layout, kept) for layout in LAYOUTS for kept in (True, "summary")]
                         + [("pretty", False)])
def test_an_array_is_read_by_duckdb_alone(pricer, engines, tmp_path, fast_only, kept, layout):
    """No row reader at all (every record of the document is shown with its line, 1).  Priced a
    line at a time (``read in runs``: a run per row, slow) in one layout only."""
    elements = [line(tokens=str(100 + i), out=f'"{i}"', time=f'"2025-03-{1 + i % 28:02d}T{i % 24:02d}:30:00Z"')
                for i in range(60)]
    elements += [line(time='"2025-03-05"'), line(provider='"DeepSeek"', tokens="1234.0"),
                 line(model='"gpt-9"'), line(tokens="null", out='" 7 "')]
    assert_read_alike(pricer, engines, array(tmp_path, *elements, **LAYOUTS[layout]), kept)


#: One count of each kind COUNTS holds (an array's values go through the same cells as a line's).
ARRAY_COUNTS = ["100", '"1,234"', "1234.0", "1e3", "null", "-3", "1.5", "true", "12345678901234567890123", "[1]"]


@MODES
@pytest.mark.parametrize("value", ARRAY_COUNTS)
def test_a_count_in_an_array_is_read_alike(pricer, engines, tmp_path, value, kept):
    assert_read_alike(pricer, engines, array(tmp_path, line(tokens=value)), kept)


#: Arrays the fast reading cannot vouch for, or that Python's parser refuses: the row reader's outcome.
ODD_ARRAYS = {
    **{f"an element with {name}": {"elements": (odd, line(tokens="7"))}
       for name, odd in ODD_LINES.items() if odd.strip()},
    "a comma before the bracket": {"elements": (line(),), "tail": ",]\n"},
    "text after the bracket": {"elements": (line(),), "tail": "] x\n"},
    "a second array after it": {"elements": (line(),), "tail": "]\n[" + GOOD + "]\n"},
    "no closing bracket": {"elements": (line(),), "tail": "\n"},
    "a missing comma": {"elements": (line(),), "sep": " "},
    "two commas": {"elements": (line(),), "sep": ",,"},
    "a number element": {"elements": ("5",)},
    "a null element": {"elements": ("null",)},
    "an array element": {"elements": ("[" + line() + "]",)},
    "a string element": {"elements": ('"x"',)},
    "an element of another shape": {"elements": ('{"object": "chat.completion", "created": 1741000000, "model":'
                                                 ' "deepseek-chat", "usage": {"prompt_tokens": 5, "completion_tokens": 1,'
                                                 ' "prompt_cache_hit_tokens": 0, "prompt_cache_miss_tokens": 5}}',)},
}


@MODES
@pytest.mark.parametrize("name", list(ODD_ARRAYS))
def test_an_array_the_fast_reading_cannot_vouch_for_is_read_alike(pricer, engines, tmp_path, name, kept):
    case = dict(ODD_ARRAYS[name])
    assert_read_alike(pricer, engines, array(tmp_path, *case.pop("elements"), **case), kept)


@MODES
@pytest.mark.parametrize("text", ["[]", "[ ]\n", "[5, " + GOOD + "]", "[[" + GOOD + "]]", "\u00a0[" + GOOD + "]"],
                         ids=["empty", "empty with blanks", "a number first", "nested first", "a no-break space first"])
def test_arrays_the_fast_reading_does_not_take_are_read_alike(pricer, engines, tmp_path, text, kept):
    path = tmp_path / "usage.json"
    path.write_text(text, encoding="utf-8")
    assert_read_alike(pricer, engines, path, kept)


@MODES
@pytest.mark.parametrize("first", [
    '{"time": "2025-03-03T09:00:00Z", "provider": "deepseek", "input_tokens": 5}',
    '{"provider": "deepseek", "model": "deepseek-chat", "input_tokens": 5}',
    '{"time": "2025-03-03T09:00:00Z", "provider": "deepseek", "model": "deepseek-chat", "input_tokens": 5, "colour": 1}',
    '{"time": "2025-03-03T09:00:00Z", "provider": "deepseek", "model": "deepseek-chat", "input_tokens": 5,'
    ' "Input Tokens": 6}',
], ids=["no model", "no time", "an unknown key", "a count twice"])
def test_an_array_whose_first_element_cannot_be_planned_is_refused_alike(pricer, engines, tmp_path, kept, first):
    path = tmp_path / "usage.json"
    path.write_text(f"[{first}, {GOOD}]", encoding="utf-8")
    assert_read_alike(pricer, engines, path, kept)


@MODES
def test_a_gzip_array(pricer, engines, tmp_path, fast_only, kept):
    path = tmp_path / "usage.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps([json.loads(GOOD)] + [json.loads(line(tokens=str(i))) for i in range(1, 12)], indent=1))
    assert_read_alike(pricer, engines, path, kept)


def test_an_array_is_planned_from_its_first_element_in_the_sample(pricer, engines, tmp_path):
    """The first element is planned from the file's first bytes (``textfile.text_start``): a
    sample that ends inside a character is read up to it; a first element longer than the
    sample leaves the file to the row reader, with its outcome."""
    from db.reprice.jsonlines import ARRAY, flat_plan
    from db.reprice.textfile import SAMPLE_BYTES, text_start

    head = "[" + GOOD + ', {"time": "2025-03-03T09:00:00Z", "provider": "deepseek", "model": "'
    odd = (SAMPLE_BYTES - len(head.encode())) % 2 == 0  # then one letter more: the cut falls inside an é
    cut = tmp_path / "cut.json"
    cut.write_text(head + "a" * odd + "\u00e9" * SAMPLE_BYTES + '", "input_tokens": 5, "output_tokens": 1}]',
                   encoding="utf-8")
    sample = text_start(cut)[0]
    assert len(sample) == SAMPLE_BYTES
    with pytest.raises(UnicodeDecodeError):
        sample.decode("utf-8")  # cut inside a character: the first element is still planned
    assert flat_plan(text_start(cut), str(cut), "")[3] == ARRAY
    long = array(tmp_path, line(), head='[{"model": "' + "x" * SAMPLE_BYTES + '", ' + GOOD[1:] + ", ", name="long.json")
    assert flat_plan(text_start(long), str(long), "") is None
    for kept in (True, False, "summary"):
        assert_read_alike(pricer, engines, cut, kept)
        assert_read_alike(pricer, engines, long, kept)
