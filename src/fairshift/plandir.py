"""A plan directory is always one whole plan: written aside, then swapped in at once.

``fairshift plan`` and ``fairshift replan`` write every output into a staging directory next
to ``--out`` and then exchange the two directories with one ``renameat2(RENAME_EXCHANGE)``
call (Linux), so a reader sees the old plan or the new one, never a mix. Where that call is
missing, two renames come close: for a moment there is no plan at all, but never a mix.
Staging is removed on every exit path; staging left by a killed process (``SIGKILL``) is
removed by the next run in the same folder.

A directory that holds anything but a plan's own files is never replaced, so a mistyped
``--out ~`` cannot delete a home directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ScenarioError
from .io import shared_mode

#: What a plan directory may hold: the files and folders fairshift writes.
PLAN_ENTRIES = frozenset(
    {
        "schedule.csv",
        "fairness.csv",
        "scenario.toml",
        "changes.csv",
        "report.md",
        "report.html",
        "burden.png",
        "calendar.png",
        "cumulative.png",
        "calendars",
    }
)

#: Name prefix of staging directories; the writer's process id follows.
STAGING_PREFIX = ".fairshift-"
_STAGING = re.compile(rf"^{re.escape(STAGING_PREFIX)}(\d+)-")


def check_file_target(out: Path, example: str, option: str = "--out") -> None:
    """Check, before any work, that ``out`` names a file to write rather than a directory.

    Raises
    ------
    ScenarioError
        When ``out`` is an existing directory; the fix names ``example``.
    """
    if out.is_dir():
        raise ScenarioError(
            option, f"{str(out)!r} is a directory", f"give the file to write, e.g. {example}"
        )


def check_target(out: Path, option: str = "--out") -> None:
    """Check, before any work, that ``out`` can receive a plan.

    Raises
    ------
    ScenarioError
        When ``out`` is a file, holds files that are not part of a plan, or its parent
        cannot be written.
    """
    if out.exists() and not out.is_dir():
        raise ScenarioError(option, f"{str(out)!r} is a file", "give a directory for the plan")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in PLAN_ENTRIES)
        if foreign:
            shown = ", ".join(repr(name) for name in foreign[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise ScenarioError(
                option,
                f"{str(out)!r} holds {shown}{more}, which are not part of a plan",
                "give a new or empty directory, or an earlier plan's directory",
            )
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent)
    except OSError as error:
        raise ScenarioError(
            option,
            f"cannot write next to {str(out)!r} ({error.strerror or error})",
            "give a directory in a folder you can write to",
        ) from None
    os.rmdir(probe)


def remove_stale(parent: Path) -> None:
    """Remove staging directories in ``parent`` whose writing process no longer runs."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        found = _STAGING.match(entry.name)
        if found and entry.is_dir() and not _alive(int(found.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a staging directory; when the block ends normally, make it ``out`` at once.

    Whatever happens (an error, Ctrl-C, ``SIGTERM`` turned into an exception), staging is
    removed and ``out`` is either the old plan or the new one.
    """
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield staging
        os.chmod(staging, shared_mode(0o777))  # mkdtemp makes it private; plans are shared
        swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after a swap, the old plan


def swap(staging: Path, out: Path) -> None:
    """Put ``staging`` at ``out``; afterwards ``staging`` holds the old plan, if there was one."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        return
    # No atomic exchange here: two renames, the old plan moved aside first.
    aside = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-old-", dir=out.parent))
    os.rmdir(aside)
    os.rename(out, aside)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(aside, out)  # put the old plan back
        raise
    os.rename(aside, staging)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux's ``renameat2``; ``False`` where unavailable."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # an old kernel or a file system without the exchange
    raise OSError(code, os.strerror(code), str(second))
