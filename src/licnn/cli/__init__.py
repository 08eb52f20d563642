"""The ``licnn`` command line: ``licnn data``, ``evaluate``, ``saliency``, ``bench``.

Each sub-command lives in its own module with ``add_parser(subparsers)`` and a ``run(args)``
that returns an exit status. Errors a user can fix (:class:`licnn.errors.LicnnError`) are
printed as one line and give exit status 2, never a traceback; so are bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from licnn.errors import LicnnError

# Sub-command modules, in the order ``licnn --help`` lists them.
_COMMANDS = ("data", "evaluate", "saliency", "bench")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"licnn: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="licnn",
        description="LICNN attention and saliency maps, datasets, evaluation and benchmarks.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"licnn.cli.{name}")
        except ModuleNotFoundError as exc:  # a sub-command not written yet
            if exc.name == f"licnn.cli.{name}":
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a bad argument already reported in one line
        return int(exc.code or 0)
    try:
        return int(args.run(args) or 0)
    except LicnnError as exc:
        print(f"licnn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("licnn: interrupted; finished results are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
