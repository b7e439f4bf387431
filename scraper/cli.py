"""The ``ratecard`` command line: one sub-command per module, each registering itself.

Exit codes are the same for every command: 0 success, 1 the work failed (a source, a parse, a bad
row), 2 bad usage.  Errors go to stderr as one line that names the file, line and field concerned.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Each module exposes ``register(subparsers)``, which adds its sub-command and sets ``func``
#: (``func(args) -> int`` returns the exit code).
COMMAND_MODULES = (
    "scraper.commands.parse",
    "scraper.commands.scrape",
    "scraper.commands.mirror",
    "scraper.commands.prices",
    "scraper.commands.changes",
    "scraper.commands.rebuild",
    "scraper.commands.status",
    "scraper.commands.export",
    "scraper.commands.feed",
    "scraper.commands.nightly",
    "scraper.commands.schedule",
    "scraper.commands.reprice",
    "scraper.commands.explain",
    "scraper.commands.backfill",
    "scraper.commands.serve",
)


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ratecard",
        description="Track LLM API prices over time and reprice usage at the rates in force.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"ratecard {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
