"""`ratecard mirror DIR` serves saved pages so `ratecard scrape --mirror` can replay them offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from scraper.cli import main
from scraper.mirror import pages_in

FIXTURES = Path(__file__).parent / "fixtures" / "deepseek"


def saved_pages(folder: Path) -> Path:
    site = folder / "api-docs.deepseek.com"
    (site / "quick_start").mkdir(parents=True)
    (site / "zh-cn" / "quick_start").mkdir(parents=True)
    shutil.copy(FIXTURES / "2026-08-17-peak.en.html", site / "quick_start" / "pricing")
    shutil.copy(FIXTURES / "2026-08-17-peak.zh-cn.md", site / "zh-cn" / "quick_start" / "pricing")
    return folder


def test_pages_in_maps_host_path_files_to_urls(tmp_path: Path) -> None:
    pages = pages_in(saved_pages(tmp_path / "site"))
    assert sorted(pages) == ["https://api-docs.deepseek.com/quick_start/pricing",
                             "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"]


def test_mirror_command_serves_a_folder_that_scrape_reads(tmp_path: Path, capsys) -> None:
    folder = saved_pages(tmp_path / "site")
    server = subprocess.Popen([sys.executable, "-m", "scraper", "mirror", str(folder), "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("ratecard mirror: 2 pages at http://127.0.0.1:")
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", line).group(1)
        db = tmp_path / "prices.db"
        code = main(["scrape", "--db", str(db), "--provider", "deepseek", "--mirror", url,
                     "--at", "2026-08-18T00:00:00Z"])
        assert code == 0
        capsys.readouterr()
        assert main(["prices", "--db", str(db), "--provider", "deepseek", "--model", "deepseek-v4-pro",
                     "--at", "2026-08-18T02:00:00Z", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        peak = {(r["component"], r["currency"]): r["price"] for r in rows if r["tier"] == "peak"}
        assert peak == {("input_cache_hit", "USD"): "0.044", ("input", "USD"): "1.32", ("output", "USD"): "3.96",
                        ("input_cache_hit", "CNY"): "0.3", ("input", "CNY"): "9", ("output", "CNY"): "27"}
    finally:
        server.terminate()
        server.wait(10)


def test_mirror_command_refuses_an_empty_folder(tmp_path: Path, capsys) -> None:
    assert main(["mirror", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"ratecard mirror: {tmp_path}: no pages (expected files at FOLDER/HOST/PATH)"
