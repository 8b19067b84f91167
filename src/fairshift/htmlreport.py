"""The report as one self-contained HTML page, for a screen or for A4 paper.

:func:`render_html` turns a :class:`ReportContent` (the plain text of every number, name and
table the report shows) and the PNG bytes of its pictures into one page: the pictures are
embedded as ``data:`` URIs, the style is inline, and there is no script, font or link to
fetch, so the file opens the same anywhere, offline. Every piece of text is escaped, and
nothing in the page depends on the time it was written: the same content gives the same
bytes.
"""

from __future__ import annotations

import base64
import html
import re
import struct
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The per-engineer tables, in order (see :func:`_engineer_table`).
_ENGINEER_TABLES = ("Turns", "Days on call and weeks between turns", "Burden against fair share")
#: The first two tables as one, when they fit.
_TURNS_AND_DAYS = "Turns, days on call and weeks between turns"
#: Per-engineer columns that measure burden against fair share.
_BURDEN_COLUMNS = frozenset({"burden", "fair_share", "history", "deviation", "deviation_pct"})
#: Per-engineer columns that count days by kind and the weeks between turns.
_DAY_COLUMNS = frozenset(
    {"weekday_days", "weekend_days", "holiday_days", "shortest_gap_weeks", "longest_gap_weeks"}
)
#: Columns of one per-engineer table besides the name: more would not fit A4 in print.
_MOST_COLUMNS = 9
#: Schedules side by side in one comparison table.
_MOST_SCHEDULES = 6
#: Comparison columns shown as a list below the table: one entry per engineer.
_LISTED_BELOW = frozenset({"weeks_changed"})
#: Summary metrics shown as key figures at the top, when present.
_KEY_FIGURES = ("max_deviation", "deviation_range", "jain")
#: A cell that holds a number (or ``n/a``): aligned right, digits in columns.
_NUMBER = re.compile(r"^(n/a|[+-]?(\d+(\.\d+)?|inf|nan)(, [+-]?\d+(\.\d+)?)*)$")
_NUM = ' class="num"'
#: Characters per line of a column heading.
_HEADING_WIDTH = 12
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Values of :attr:`ReportContent.status_code`; each colours the status line.
_STATUS_CODES = ("optimal", "feasible", "interrupted", "given", "infeasible", "unknown")


@dataclass(frozen=True)
class ReportContent:
    """What a report says, as plain text: built once, rendered as Markdown and as HTML.

    Every string is unescaped text (numbers already formatted); each renderer escapes it
    for its own format.

    Attributes
    ----------
    rotation, schedule
        The rotation's name and the schedule's label.
    period
        ``"52 weeks from 2027-01-04 (handoff 09:00 America/Los_Angeles), 4 engineers"``.
    status
        The status and what was proven, e.g. ``"optimal, every stage proven"``.
    status_code
        ``optimal``, ``feasible``, ``interrupted``, ``given``, ``infeasible`` or ``unknown``.
    spread_words
        Stage 4's categories in words: ``"Month-end shifts, weekend days and ..."``.
    summary
        ``(key, label, value)`` per summary metric.
    versus
        How the schedule fares against round-robin (aligned text), if it was compared.
    comparison_columns
        ``(key, label)`` per column of the comparison; the first names the schedule.
    comparison
        One row per schedule compared.
    reasons
        ``(schedule, why it has no schedule)`` for each schedule that failed.
    engineer_columns
        ``(key, heading)`` per column of the per-engineer table.
    engineers
        One row per engineer.
    holidays
        ``(engineer, own public holidays on call)`` for each engineer with any.
    violations
        One sentence per hard-rule violation.
    pictures
        ``(file, caption)`` per picture.
    """

    rotation: str
    schedule: str
    period: str
    status: str
    status_code: str
    spread_words: str
    summary: tuple[tuple[str, str, str], ...]
    versus: str | None
    comparison_columns: tuple[tuple[str, str], ...]
    comparison: tuple[tuple[str, ...], ...]
    reasons: tuple[tuple[str, str], ...]
    engineer_columns: tuple[tuple[str, str], ...]
    engineers: tuple[tuple[str, ...], ...]
    holidays: tuple[tuple[str, str], ...]
    violations: tuple[str, ...]
    pictures: tuple[tuple[str, str], ...]


def render_html(content: ReportContent, pictures: Mapping[str, bytes]) -> str:
    """Compose the report as one self-contained HTML page.

    Parameters
    ----------
    content
        What the report says.
    pictures
        PNG bytes per file name of ``content.pictures``; a picture without bytes is left out.

    Examples
    --------
    >>> import datetime as dt
    >>> import fairshift as fs
    >>> from fairshift.report import default_comparison, report_content
    >>> team = tuple(fs.Engineer(h, h.title(), "senior", "US") for h in ("ana", "bo", "cy"))
    >>> scenario = fs.Scenario(fs.Rotation("<Ops>", dt.date(2027, 1, 4), 4), team)
    >>> schedule = fs.greedy(scenario)
    >>> table = default_comparison(scenario, schedule)
    >>> page = render_html(report_content(scenario, schedule, table, name="greedy"), {})
    >>> "<h1>&lt;Ops&gt;</h1>" in page, "<script" in page, "://" in page
    (True, False, False)
    """
    title = f"{content.rotation}: on-call report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing may be fetched or run: pictures are data: URIs, the style is inline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>{_text(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        *_header(content),
        *_summary(content),
        *_comparison(content),
        *_pictures(content, pictures),
        *_engineers(content),
        *_rules(content),
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _header(content: ReportContent) -> list[str]:
    code = content.status_code if content.status_code in _STATUS_CODES else "unknown"
    values = {key: value for key, _, value in content.summary}
    labels = {key: label for key, label, _ in content.summary}
    cards = [_card(values[key], labels[key]) for key in _KEY_FIGURES if values.get(key)]
    cards.append(_card(str(len(content.violations)), "hard-rule violations"))
    return [
        "<header>",
        f"<h1>{_text(content.rotation)}</h1>",
        f'<p class="period">{_text(content.period)}.</p>',
        f'<p class="status {code}">Schedule <strong>{_text(content.schedule)}</strong>: '
        f"{_text(content.status)}.</p>",
        '<div class="cards">',
        *cards,
        "</div>",
        "</header>",
    ]


def _card(value: str, label: str) -> str:
    return (
        f'<div class="card"><div class="value">{_text(value)}</div>'
        f'<div class="label">{_text(label)}</div></div>'
    )


def _summary(content: ReportContent) -> list[str]:
    return [
        "<section>",
        "<h2>Summary</h2>",
        "<p>Burden is counted in days on call, weighted by kind of day (a shift shorter than a "
        "day counts its fraction of one); each engineer's fair share is the period's total "
        "burden split in proportion to availability (dates employed and free of leave, times "
        "FTE). Deviation = burden &minus; fair share + history carried over. "
        f"{_text(content.spread_words)} are each spread among the engineers who can hold them: "
        "an engineer's excess is their count minus the category's total split in proportion to "
        "availability among those engineers (n/a for anyone else).</p>",
        _table(
            ["metric", "value"],
            [[label, value] for _, label, value in content.summary],
            css="metrics",
        ),
        "</section>",
    ]


def _comparison(content: ReportContent) -> list[str]:
    parts = ["<section>", "<h2>Comparison with the baselines</h2>"]
    if content.versus is not None:
        parts.append(f'<pre class="versus">{_text(content.versus, keep_lines=True)}</pre>')
    parts.append(
        "<p>Baselines on the same inputs: <em>round-robin</em> rotates through a fixed order, "
        "skipping whoever is unavailable; <em>greedy</em> gives each shift to the available "
        "engineer whose last shift in that role ended earliest. Both know only leave and "
        "employment dates; violations are hard rules they break.</p>"
    )
    # One column per schedule, one row per measure; text as long as the team (the turns each
    # engineer gains or loses) goes below, where it cannot squeeze the numbers.
    keys = [key for key, _ in content.comparison_columns]
    measures = [i for i, key in enumerate(keys) if i > 0 and key not in _LISTED_BELOW]
    for at in range(0, len(content.comparison), _MOST_SCHEDULES):
        shown = content.comparison[at : at + _MOST_SCHEDULES]
        rows = [[content.comparison_columns[i][1], *(row[i] for row in shown)] for i in measures]
        parts.append(_table(["measure", *(row[0] for row in shown)], rows, css="comparison"))
    for i, (key, label) in enumerate(content.comparison_columns):
        listed = [(row[0], row[i]) for row in content.comparison if key in _LISTED_BELOW and row[i]]
        if listed:
            parts += [f"<p>{_text(label[:1].upper() + label[1:])}:</p>", '<ul class="changes">']
            parts += [
                f"<li><strong>{_text(who)}</strong>: {_text(what)}</li>" for who, what in listed
            ]
            parts.append("</ul>")
    if content.reasons:
        parts.append("<ul>")
        parts += [
            f"<li><strong>{_text(who)}</strong>: {_text(why)}</li>" for who, why in content.reasons
        ]
        parts.append("</ul>")
    parts.append("</section>")
    return parts


def _pictures(content: ReportContent, pictures: Mapping[str, bytes]) -> list[str]:
    shown = [(file, caption) for file, caption in content.pictures if file in pictures]
    if not shown:
        return []
    parts = ["<section>", "<h2>Pictures</h2>"]
    for file, caption in shown:
        data = pictures[file]
        size = _png_size(data)
        box = f' width="{size[0]}" height="{size[1]}"' if size else ""
        source = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        parts += [
            "<figure>",
            f'<img src="{source}" alt="{_text(caption)}"{box}>',
            f"<figcaption>{_text(caption)}</figcaption>",
            "</figure>",
        ]
    parts.append("</section>")
    return parts


def _engineers(content: ReportContent) -> list[str]:
    """Tables of turns, days and burden, each led by the engineer's name: each fits A4."""
    keys = [key for key, _ in content.engineer_columns]
    first = keys.index("name") if "name" in keys else 0
    groups: dict[str, list[int]] = {title: [] for title in _ENGINEER_TABLES}
    for i, key in enumerate(keys):
        if i != first:
            groups[_engineer_table(key)].append(i)
    turns, days = (groups[title] for title in _ENGINEER_TABLES[:2])
    if len(turns) + len(days) <= _MOST_COLUMNS:
        groups = {_TURNS_AND_DAYS: turns + days, _ENGINEER_TABLES[2]: groups[_ENGINEER_TABLES[2]]}
    parts = ["<section>", "<h2>Per engineer</h2>"]
    for title, columns in groups.items():
        # A pattern with many seats gets several tables of turns rather than one too wide.
        for at in range(0, len(columns), _MOST_COLUMNS):
            shown = [first, *columns[at : at + _MOST_COLUMNS]]
            parts += [
                f"<h3>{title}</h3>",
                _table(
                    [content.engineer_columns[i][1] for i in shown],
                    [[row[i] for i in shown] for row in content.engineers],
                    css="engineers",
                ),
            ]
    if content.holidays:
        parts.append("<h3>Own public holidays on call</h3>")
        parts.append('<ul class="holidays">')
        parts += [
            f"<li><strong>{_text(who)}</strong>: {_text(names)}</li>"
            for who, names in content.holidays
        ]
        parts.append("</ul>")
    parts.append("</section>")
    return parts


def _engineer_table(key: str) -> str:
    """The per-engineer table that shows column ``key``."""
    if key in _BURDEN_COLUMNS or key.endswith("_excess"):
        return _ENGINEER_TABLES[2]
    if key in _DAY_COLUMNS:
        return _ENGINEER_TABLES[1]
    return _ENGINEER_TABLES[0]


def _rules(content: ReportContent) -> list[str]:
    parts = ["<section>", "<h2>Hard rules</h2>"]
    if not content.violations:
        parts.append("<p>Every hard rule holds.</p>")
    else:
        parts.append(f"<p>{len(content.violations)} violation(s):</p>")
        parts.append('<ul class="violations">')
        parts += [f"<li>{_text(violation)}</li>" for violation in content.violations]
        parts.append("</ul>")
    parts.append("</section>")
    return parts


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, css: str) -> str:
    """An HTML table; numbers are aligned right, and so is a heading over numbers only."""

    def numeric(text: str) -> bool:
        return bool(_NUMBER.match(text))

    over_numbers = [
        i > 0 and bool(rows) and all(numeric(row[i]) or not row[i] for row in rows)
        for i in range(len(header))
    ]
    head = "".join(
        f"<th{_NUM if over_numbers[i] else ''}>{_heading(text)}</th>"
        for i, text in enumerate(header)
    )
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{_NUM if numeric(text) else ''}>{_text(text)}</td>" for text in row)
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="{css}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n'
        "</table>"
    )


def _heading(text: str) -> str:
    """A column heading in short lines: the table's natural width is set by its numbers.

    Examples
    --------
    >>> _heading("shortest gap (weeks)")
    'shortest gap<br>(weeks)'
    """
    lines = textwrap.wrap(text, _HEADING_WIDTH, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(_text(line) for line in lines)


def _text(text: str, *, keep_lines: bool = False) -> str:
    """Text from inputs, inert in HTML: markup is escaped, control characters become spaces."""
    flat = "".join(
        ch if ch.isprintable() or (keep_lines and ch == "\n") else " " for ch in str(text)
    )
    return html.escape(flat, quote=True)


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels from a PNG's header, or None for anything else."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


#: The page's only style: readable on a laptop screen, and on A4 paper without overflow (every
#: long word may break, pictures shrink to the width, print type is smaller).
_STYLE = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --band: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0 auto; max-width: 72rem; padding: 1.5rem 2rem 3rem;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Liberation Sans", sans-serif;
  color: var(--ink); background: #fff; overflow-wrap: anywhere;
}
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 0.25rem; }
h2 {
  font-size: 1.3rem; margin: 2.25rem 0 0.75rem; padding-bottom: 0.25rem;
  border-bottom: 1px solid var(--line);
}
h3 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
p { margin: 0.5rem 0; max-width: 60rem; }
.period { color: var(--muted); margin-top: 0; }
.status {
  margin: 1rem 0; padding: 0.6rem 1rem; border-left: 5px solid #8c959f;
  background: var(--band); border-radius: 4px; max-width: none;
}
.status.optimal { border-left-color: #1a7f37; }
.status.feasible, .status.interrupted { border-left-color: #bf8700; }
.status.infeasible, .status.unknown { border-left-color: #cf222e; }
.cards {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
  gap: 0.75rem; margin: 1rem 0;
}
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.8rem; }
.card .value { font-size: 1.4rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 0.85rem; }
table {
  border-collapse: collapse; width: auto; max-width: 100%; margin: 0.5rem 0 1rem;
  font-size: 0.85rem; font-variant-numeric: tabular-nums;
}
th, td {
  padding: 0.3rem 0.75rem; border-bottom: 1px solid var(--line);
  text-align: left; vertical-align: top;
}
thead th { background: var(--band); font-weight: 600; vertical-align: bottom; }
th.num, td.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfc; }
pre {
  font: 0.8rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
    monospace;
  white-space: pre-wrap; overflow-wrap: anywhere;
  background: var(--band); border: 1px solid var(--line); border-radius: 6px;
  padding: 0.75rem 1rem; margin: 0.75rem 0;
}
figure { margin: 1rem 0 2rem; text-align: center; }
img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.3rem; }
ul { padding-left: 1.25rem; }
ul.violations, ul.holidays, ul.changes { font-size: 0.85rem; }
@media (max-width: 40rem) { body { padding: 1rem; } }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h1 { font-size: 16pt; }
  h2 { font-size: 12.5pt; margin-top: 14pt; break-after: avoid; }
  h3 { font-size: 10.5pt; break-after: avoid; }
  table { font-size: 7.5pt; }
  th, td { padding: 1.5pt 3pt; }
  thead { display: table-header-group; }
  tr, figure, .card, pre { break-inside: avoid; }
  pre { font-size: 7pt; }
  img { max-height: 235mm; width: auto; }
  ul.violations, ul.holidays, ul.changes { font-size: 7.5pt; }
  .status, .card, thead th, tbody tr:nth-child(even) {
    print-color-adjust: exact; -webkit-print-color-adjust: exact;
  }
}
"""
