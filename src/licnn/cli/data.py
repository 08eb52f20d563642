"""``licnn data list | fetch NAME... | verify [NAME...]``: the datasets of the report."""

from __future__ import annotations

import argparse
import sys

from licnn.data import dataset_info, dataset_names, fetch, is_present, read_index, verify
from licnn.data.paths import DATA_ENV, MIRROR_ENV, data_root, mirror_dir
from licnn.errors import DataError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``licnn data`` and its sub-commands."""
    parser = subparsers.add_parser(
        "data",
        help="list, fetch and verify datasets",
        description=f"Datasets live in the data root: data/ in the repository, or ${DATA_ENV}.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="show the datasets and whether they are present")
    listing.add_argument("--root", help=f"data root (default: ${DATA_ENV} or data/)")
    listing.set_defaults(run=run_list)

    getter = actions.add_parser(
        "fetch",
        help="copy datasets from a mirror, else download them, checking SHA-256",
        description="Put datasets in the data root: each file is copied from the mirror, or "
        "downloaded from its source where the mirror lacks it, and checked against its SHA-256.",
    )
    getter.add_argument(
        "names", nargs="+", metavar="NAME", help="dataset names (see: licnn data list)"
    )
    getter.add_argument(
        "--mirror", help=f"local mirror folder (default: ${MIRROR_ENV}); else download"
    )
    getter.add_argument("--root", help=f"data root (default: ${DATA_ENV} or data/)")
    how = getter.add_mutually_exclusive_group()
    how.add_argument(
        "--link",
        action="store_true",
        help="hard-link the mirror's files instead of copying them: no extra disk, but a "
        "file in the data root and in the mirror are then one file, so an edit in data/ "
        "changes (damages) the mirror too",
    )
    # Copying is the default now; --copy is still accepted from older scripts.
    how.add_argument("--copy", action="store_true", help=argparse.SUPPRESS)
    getter.add_argument("--quiet", action="store_true", help="no progress bars")
    getter.set_defaults(run=run_fetch)

    checker = actions.add_parser(
        "verify", help="check every file of fetched datasets (exit 2 if any fail)"
    )
    checker.add_argument("names", nargs="*", metavar="NAME", help="datasets (default: all fetched)")
    checker.add_argument("--root", help=f"data root (default: ${DATA_ENV} or data/)")
    checker.set_defaults(run=run_verify)
    parser.set_defaults(run=run_list)


def run_list(args: argparse.Namespace) -> int:
    """Print one line per dataset: name, presence, file count, description."""
    root = getattr(args, "root", None)
    print(f"data root: {data_root(root)}")
    for name, info in read_index().items():
        present, total = is_present(name, root)
        state = "present" if present and present >= total else ("partial" if present else "absent")
        if info.kind == "folder" and present:
            state = "present"
        print(f"  {name:<25} {state:<8} {present:>6}/{total:<6} {info.description[:70]}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Fetch each named dataset (and what it requires), printing one summary line each."""
    for name in args.names:
        dataset_info(name)  # fail on an unknown name before fetching anything
    mirror = mirror_dir(args.mirror)
    if mirror is not None and not mirror.is_dir():
        given = "--mirror" if args.mirror is not None else f"${MIRROR_ENV}"
        raise DataError(f"mirror folder {mirror} not found; give an existing folder to {given}")
    done: set[str] = set()
    for name in args.names:
        try:
            fetch(
                name,
                args.root,
                mirror,
                link=args.link,
                progress=not args.quiet and sys.stderr.isatty(),
                log=print,
                _done=done,
            )
        except OSError as exc:  # e.g. the data root is a file, not writable, or full
            raise DataError(
                f"fetching {name} failed at {exc.filename or data_root(args.root)} "
                f"({exc.strerror or exc}); the data root (--root or ${DATA_ENV}) must be a "
                "writable folder with room, the mirror readable"
            ) from None
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Verify datasets; exit 2 if any named or present dataset fails."""
    names = args.names or dataset_names()
    for name in names:
        dataset_info(name)
    failed = False
    for name in names:
        report = verify(name, args.root, progress=sys.stderr.isatty())
        print(report.summary())
        if report.failed or (args.names and report.status == "absent"):
            failed = True
    return 2 if failed else 0
