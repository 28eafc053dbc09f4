"""The ``dermadelta`` command.

Each family of subcommands lives in a module of :mod:`dermadelta.commands` with a
``register(subparsers)`` function; handlers import their libraries lazily so that
``dermadelta plan`` does not pay for loading the imaging models.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from dermadelta.errors import DermadeltaError

COMMAND_MODULES = (
    "dermadelta.commands.imaging",
    "dermadelta.commands.protocol",
    "dermadelta.commands.outcomes",
)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dermadelta",
        description="Plan microneedling treatments and measure their real results from photos.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except DermadeltaError as error:
        print(f"dermadelta: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return status


if __name__ == "__main__":
    sys.exit(main())
