"""``ratecard mirror DIR``: serve saved pages (``DIR/HOST/PATH``) for ``ratecard scrape --mirror``."""

from __future__ import annotations

import argparse
from pathlib import Path

from scraper.cli import CommandError
from scraper.mirror import Mirror, pages_in
from scraper.options import port_number


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mirror", help="serve a folder of saved pages as a mirror for scrape --mirror")
    p.add_argument("folder", type=Path, help="pages saved as FOLDER/HOST/PATH")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8002, metavar="N")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise CommandError(f"{args.folder}: not a folder")
    pages = pages_in(args.folder)
    if not pages:
        raise CommandError(f"{args.folder}: no pages (expected files at FOLDER/HOST/PATH)")
    with Mirror(pages, args.host, args.port) as mirror:
        print(f"ratecard mirror: {len(pages)} pages at {mirror.url} "
              f"(ratecard scrape --mirror {mirror.url}); Ctrl-C to stop", flush=True)
        try:
            mirror.thread.join()
        except KeyboardInterrupt:
            pass
    return 0
