"""report.html: one self-contained page that escapes its inputs, repeats itself byte for byte,
and lays out on a laptop screen and on A4 paper in a real browser."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

import fairshift as fs
from conftest import EXAMPLE, scenario
from fairshift.htmlreport import render_html
from fairshift.report import PICTURES, default_comparison, report_content

#: Names that have broken tools before: markup, formulas, quotes, a very long word.
HOSTILE = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example/x","click")',
    "Ann & <b>Bo</b> 'O\"Neil'",
    "x" * 100,
)

#: Every tag the page may hold: no script, no link, no frame, no form.
TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "section", "h1", "h2", "h3",
    "p", "strong", "em", "div", "pre", "table", "thead", "tbody", "tr", "th", "td", "figure",
    "img", "figcaption", "ul", "li", "br",
}  # fmt: skip


class Page(HTMLParser):
    """The tags, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example's report for its greedy baseline (quick and deterministic)."""
    out = tmp_path_factory.mktemp("example")
    example = fs.Scenario.from_toml(EXAMPLE)
    fs.write_report(example, fs.greedy(example), out)
    return out


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose rotation and engineers are named with markup and formulas."""
    team = tuple(
        fs.Engineer(f"e{i}", name, "senior", holidays="US-CA") for i, name in enumerate(HOSTILE)
    )
    rotation = fs.Rotation(HOSTILE[2] + " <i>on call</i>", dt.date(2027, 4, 19), 6)
    hostile = fs.Scenario(rotation, team, month_end=fs.MonthEnd(business_days=3))
    out = tmp_path_factory.mktemp("hostile")
    fs.write_report(hostile, fs.round_robin(hostile), out)
    return out


def test_report_html_is_written_beside_report_md(example_dir: Path) -> None:
    """write_report leaves report.html next to report.md, holding every section."""
    page = (example_dir / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for heading in ("Summary", "Comparison with the baselines", "Pictures", "Per engineer"):
        assert f"<h2>{heading}</h2>" in page
    assert "<h1>Data Engineering on-call</h1>" in page
    assert "greedy compared with round-robin on the same inputs:" in page
    assert "Schedule <strong>greedy</strong>: given (not optimised)." in page
    for name in ("Alex Chen", "Sarah Johnson", "Mike Rodriguez", "Lisa Wang"):
        assert f"<td>{name}</td>" in page


def test_pictures_are_the_png_files_embedded(example_dir: Path) -> None:
    """Each picture is embedded as a data: URI holding the very bytes of its PNG file."""
    page = (example_dir / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', page)
    assert [caption for _, caption in embedded] == [caption for _, caption in PICTURES]
    for (file, _), (data, _) in zip(PICTURES, embedded, strict=True):
        assert base64.b64decode(data) == (example_dir / file).read_bytes()


def test_page_fetches_nothing(example_dir: Path) -> None:
    """No http(s) reference, no script, stylesheet link, font or import: the page is offline."""
    page = (example_dir / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script|<link|<iframe|@import|url\(|@font-face", page, re.I)
    for tag, attrs in Page(page).tags:
        assert tag in TAGS, tag
        for attribute, value in attrs.items():
            assert not attribute.startswith("on"), (tag, attribute)
            if attribute in ("src", "href"):
                assert value is not None and value.startswith("data:image/png;base64,")
    assert "default-src 'none'" in page  # nothing else may load, should anything slip in


def test_every_input_is_inert_text(hostile_dir: Path) -> None:
    """Markup and formulas in names are escaped: the parsed page shows them as text only."""
    page = (hostile_dir / "report.html").read_text(encoding="utf-8")
    parsed = Page(page)
    assert {tag for tag, _ in parsed.tags} <= TAGS
    text = "".join(parsed.text)
    for name in HOSTILE:
        assert name in text
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&quot;http://evil.example/x&quot;,&quot;click&quot;)" in page
    assert "<title>Ann &amp; &lt;b&gt;Bo&lt;/b&gt; &#x27;O&quot;Neil&#x27;" in page
    # The only http in the page is inside the escaped text of the formula.
    assert page.count("http://") == page.count("=HYPERLINK(&quot;http://")


def test_two_renders_are_byte_identical(tmp_path: Path) -> None:
    """Same inputs and seed, solved twice: report.html is the same, byte for byte."""
    small = scenario(weeks=4, month_end_days=3)
    pages = []
    for run in ("a", "b"):
        schedule = fs.solve(small, time_limit=20, seed=7, workers=1)
        fs.write_report(small, schedule, tmp_path / run)
        pages.append((tmp_path / run / "report.html").read_bytes())
    assert pages[0] == pages[1]
    assert b"seconds" not in pages[0]  # no solve time, nothing that changes between runs


def test_a_picture_without_bytes_is_left_out() -> None:
    """render_html embeds only the pictures it is given, and names the rest nowhere."""
    small = scenario(weeks=2)
    schedule = fs.round_robin(small)
    content = report_content(small, schedule, default_comparison(small, schedule), name="rr")
    page = render_html(content, {})
    assert "<img" not in page and "<h2>Pictures</h2>" not in page


# -- in a real browser ----------------------------------------------------------------------

#: Appended to a copy of the page: on load, measures what a reader would see and writes it into
#: the DOM as JSON, for --dump-dom to print.
PROBE = """<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(element.tagName + " " + Math.round(box.left) + ".." + Math.round(box.right));
    }
  }
  const images = Array.from(document.images);
  const result = {
    width: width,
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    images: images.length,
    loaded: images.filter((i) => i.complete && i.naturalWidth > 0).length,
    wide: wide.slice(0, 10),
  };
  const out = document.createElement("output");
  out.id = "probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""

#: A4 is 210 mm wide; less the page's 12 mm side margins, 186 mm = 703 CSS pixels.
A4_TEXT_WIDTH = round(186 / 25.4 * 96)


def chromium() -> str:
    """The browser, or skip (fail where FAIRSHIFT_REQUIRE_BROWSER=1, as in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("FAIRSHIFT_REQUIRE_BROWSER") == "1":
        pytest.fail("FAIRSHIFT_REQUIRE_BROWSER=1 but chromium is not installed")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def run_chromium(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a fresh profile and no network; fail on a non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="fairshift-chromium-") as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *arguments,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def probe(page: Path, width: int, *, print_rules: bool = False) -> dict[str, object]:
    """Load a copy of ``page`` at ``width`` CSS pixels and return the probe's measures.

    With ``print_rules`` the page's print style applies on screen too, so that the layout is
    the one chromium prints.
    """
    text = page.read_text(encoding="utf-8")
    text = text.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    if print_rules:
        text = text.replace("@media print {", "@media all {")
    copy = page.with_name(f"probe-{width}.html")
    copy.write_text(text.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    result = run_chromium(
        f"--window-size={width},900",
        "--virtual-time-budget=10000",
        "--dump-dom",
        copy.as_uri(),
    )
    found = re.search(r'<output id="probe">(.*?)</output>', result.stdout, re.S)
    assert found, result.stdout[-2000:]
    measures: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return measures


@pytest.mark.parametrize("which", ["example", "hostile"])
@pytest.mark.parametrize(("width", "print_rules"), [(1366, False), (A4_TEXT_WIDTH, True)])
def test_page_fits_a_laptop_screen_and_a4_paper(
    which: str,
    width: int,
    print_rules: bool,
    example_dir: Path,
    hostile_dir: Path,
    tmp_path: Path,
) -> None:
    """Every picture loads, and nothing is wider than the window: 1366 px, or A4 in print."""
    source = (example_dir if which == "example" else hostile_dir) / "report.html"
    page = tmp_path / "report.html"
    shutil.copy(source, page)
    measures = probe(page, width, print_rules=print_rules)
    assert measures["images"] == measures["loaded"] == len(PICTURES)
    assert measures["width"] == width
    assert isinstance(measures["scrollWidth"], int) and measures["scrollWidth"] <= width
    assert measures["wide"] == []


def test_page_screenshot_and_a4_pdf(example_dir: Path, tmp_path: Path) -> None:
    """Chromium draws the page at laptop size and prints it on A4 pages (595 x 842 pt)."""
    page = example_dir / "report.html"
    screenshot = tmp_path / "report.png"
    run_chromium("--window-size=1366,900", f"--screenshot={screenshot}", page.as_uri())
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    pdf = tmp_path / "report.pdf"
    run_chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2
