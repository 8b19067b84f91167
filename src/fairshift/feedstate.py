"""The state kept next to calendar feeds, so that a re-plan updates events in place.

``.state.json`` records, per feed and event UID, the SEQUENCE, a digest of the event's
content and its LAST-MODIFIED stamp. The next plan bumps SEQUENCE and LAST-MODIFIED of the
events whose digest changed, and only those (:mod:`fairshift.ical`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FeedError

#: The state file kept next to the feeds.
STATE_FILE = ".state.json"
#: Version of the state file's layout.
STATE_FORMAT = 1
#: How times are written in the state (and in DTSTAMP / LAST-MODIFIED).
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Mark:
    """What the state remembers of one event.

    Attributes
    ----------
    sequence
        Its SEQUENCE.
    digest
        A digest of its content without SEQUENCE and LAST-MODIFIED.
    modified
        Its LAST-MODIFIED, as :data:`STAMP_FORMAT` text.
    present
        Whether the last plan had it (a dropped event is kept, so that its UID is not reused
        with a lower SEQUENCE).
    """

    sequence: int
    digest: str
    modified: str
    present: bool = True

    def to_json(self) -> dict[str, Any]:
        """The mark as the state file stores it."""
        return {
            "sequence": self.sequence,
            "digest": self.digest,
            "modified": self.modified,
            "present": self.present,
        }


def parse_stamp(text: object, where: str) -> dt.datetime:
    """A UTC time written as :data:`STAMP_FORMAT`; ``where`` names the file in errors."""
    try:
        return dt.datetime.strptime(str(text), STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise FeedError(
            f"{where}: {text!r} is not a UTC time such as 20270104T170000Z; delete the state "
            "file to start the feeds afresh"
        ) from None


def parse_state(
    data: Mapping[str, Any], where: str
) -> tuple[dt.datetime | None, dict[str, str], dict[str, dict[str, Mark]]]:
    """Check the state read from ``where``: ``(stamp, feed names, marks per feed)``.

    Raises
    ------
    FeedError
        If it is not a fairshift feed state of this format.
    """
    bad = FeedError(
        f"{where} is not a fairshift feed state; delete it to start the feeds afresh "
        "(subscribers may then miss updates to events that do not change time)"
    )
    if not isinstance(data, Mapping) or data.get("format") != STATE_FORMAT:
        raise bad
    try:
        stamp = parse_stamp(data["stamp"], where) if data.get("stamp") else None
        feeds = {str(k): str(v) for k, v in data.get("feeds", {}).items()}
        events = {
            str(file): {
                str(uid): Mark(
                    int(mark["sequence"]),
                    str(mark["digest"]),
                    str(mark["modified"]),
                    bool(mark.get("present", True)),
                )
                for uid, mark in marks.items()
            }
            for file, marks in data.get("events", {}).items()
        }
    except (AttributeError, KeyError, TypeError, ValueError):
        raise bad from None
    for marks in events.values():
        for mark in marks.values():
            parse_stamp(mark.modified, where)
    return stamp, feeds, events


def read_state(directory: str | Path) -> dict[str, Any] | None:
    """Read the state kept next to earlier feeds, or ``None`` when there is none.

    Parameters
    ----------
    directory
        The directory of the earlier feeds.

    Raises
    ------
    FeedError
        If the state file exists but cannot be read.
    """
    path = Path(directory) / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise FeedError(f"cannot read {path} ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise FeedError(
            f"{path} is not a fairshift feed state; delete it to start the feeds afresh"
        ) from None
    parse_state(data, str(path))
    return dict(data)
