"""The results page's figures: outcomes, forest plot, time series and progress, as cached SVG."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import matplotlib
from babel.dates import get_month_names
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, ScalarFormatter

from testbed.i18n import DEFAULT_LANGUAGE, figure, language
from testbed.pilots.models import Metric, Pilot
from testbed.results import decision, verdicts
from testbed.results.services import report_for
from testbed.store.queries import CellSums, cell_sums

matplotlib.use("Agg")  # a server has no display: never an interactive backend

# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """What a verdict says, as a key the page styles and a short label."""

    key: str
    label: str
    tone: str  # good | bad | neutral | warn | notable | pending


OUTCOMES = {
    "improved": Outcome("improved", _l("Improved"), "good"),
    "unchanged": Outcome("unchanged", _l("No detectable change"), "neutral"),
    "worse": Outcome("worse", _l("Worse"), "bad"),
    "holds": Outcome("holds", _l("Guardrail holds"), "good"),
    "breached": Outcome("breached", _l("Guardrail breached"), "bad"),
    "unshown": Outcome("unshown", _l("Guardrail not yet shown to hold"), "warn"),
    "threshold": Outcome("threshold", _l("Threshold found"), "notable"),
    "no-threshold": Outcome("no-threshold", _l("No detectable threshold"), "neutral"),
    "pending": Outcome("pending", _l("Not enough data"), "pending"),
}


def outcome(result: dict) -> Outcome:
    """The verdict's outcome (decided from the numbers in ``verdicts``), with its label."""
    return OUTCOMES[verdicts.outcome(result)]


def guardrail_status(report: dict) -> dict:
    """Which guardrails hold, are breached, or are not yet shown to hold."""
    return decision.guardrail_status(report["results"])


@dataclass(frozen=True)
class Card:
    """One hypothesis on the page: its result, its model and its outcome."""

    result: dict
    hypothesis: object
    metric: Metric
    outcome: Outcome
    amendments: list


def hypothesis_cards(pilot: Pilot, report: dict) -> list[Card]:
    hypotheses = {h.key: h for h in pilot.hypotheses}
    cards = []
    for result in report["results"]:
        hypothesis = hypotheses[result["hypothesis"]]
        cards.append(
            Card(
                result,
                hypothesis,
                hypothesis.metric,
                outcome(result),
                list(getattr(hypothesis, "amendments", None) or []),
            )
        )
    return cards


# ---------------------------------------------------------------- forest plot


@dataclass(frozen=True)
class ForestRow:
    """One hypothesis' relative change, turned so that positive is always better."""

    hypothesis: str
    label: str
    flipped: bool
    estimate: float
    low: float
    high: float
    outcome: Outcome


def forest_rows(pilot: Pilot, report: dict) -> tuple[list[ForestRow], list[tuple[str, str]]]:
    """Rows to plot, and the hypotheses left out with the reason."""
    rows, skipped = [], []
    for result in report["results"]:
        relative = result.get("relative")
        if result.get("error"):
            skipped.append((result["hypothesis"], gettext("not enough data yet")))
            continue
        if not relative or None in (relative["estimate"], relative["ci_low"], relative["ci_high"]):
            skipped.append((result["hypothesis"], gettext("no relative change to show")))
            continue
        metric = pilot.metric(result["metric"])
        flipped = result["direction"] == "decrease"
        sign = -1 if flipped else 1
        ends = sorted((sign * relative["ci_low"], sign * relative["ci_high"]))
        rows.append(
            ForestRow(
                result["hypothesis"],
                f"{result['hypothesis']} · {metric.name if metric else result['metric']}",
                flipped,
                sign * relative["estimate"],
                ends[0],
                ends[1],
                outcome(result),
            )
        )
    return rows, skipped


# ---------------------------------------------------------------- time series

WEEKLY_ABOVE_DAYS = 120  # more dated points than this are shown per week


@dataclass(frozen=True)
class Marker:
    day: date
    label: str
    start: bool


@dataclass(frozen=True)
class SeriesPoint:
    day: date
    baseline: float | None
    pilot: float | None


@dataclass(frozen=True)
class Series:
    """A metric's level per day (or week) for the baseline and pilot groups."""

    metric: Metric
    step: str  # "day" or "week"
    points: list[SeriesPoint]
    markers: list[Marker]
    pilot_start: date | None


def metric_series(pilot: Pilot, metric: Metric) -> Series:
    """The metric's dated sums, added up per day or per ISO week, per group."""
    cells = _dated_cells(metric)
    days = {day for group in cells.values() for day in group}
    step = "week" if len(days) > WEEKLY_ABOVE_DAYS else "day"
    buckets: dict[str, dict[date, list[CellSums]]] = {}
    for group, by_day in cells.items():
        for day, cell in by_day.items():
            bucket = day - timedelta(days=day.weekday()) if step == "week" else day
            buckets.setdefault(group, {}).setdefault(bucket, []).append(cell)
    points = [
        SeriesPoint(
            day,
            _level(metric, buckets.get("baseline", {}).get(day)),
            _level(metric, buckets.get("pilot", {}).get(day)),
        )
        for day in sorted({day for group in buckets.values() for day in group})
    ]
    return Series(metric, step, points, markers(pilot), pilot.start_date)


def _dated_cells(metric: Metric) -> dict[str, dict[date, CellSums]]:
    """Dated sums per group and day; a day's pre- and post-period rows are added."""
    cells: dict[str, dict[date, list[CellSums]]] = {}
    for (group, _period, day), cell in cell_sums(metric, by_day=True).items():
        if day is not None:
            cells.setdefault(group, {}).setdefault(day, []).append(cell)
    return {
        group: {day: combine(metric, parts) for day, parts in by_day.items()}
        for group, by_day in cells.items()
    }


def combine(metric: Metric, cells: list[CellSums]) -> CellSums:
    """Cells of one metric share their shifts, so their sums simply add."""
    sums = dict(cells[0].sums)
    for cell in cells[1:]:
        for name, value in cell.sums.items():
            sums[name] += value
    return CellSums(metric, sums)


def _level(metric: Metric, cells: list[CellSums] | CellSums | None) -> float | None:
    """Mean (a share, for proportions) or, for a ratio, sum of numerators over denominators."""
    if not cells:
        return None
    cell = combine(metric, cells) if isinstance(cells, list) else cells
    if cell.n == 0:
        return None
    if metric.kind == "ratio":
        ratio = cell.ratio()
        return ratio.x.mean / ratio.y.mean if ratio.y.mean else None
    return cell.moments().mean


def markers(pilot: Pilot) -> list[Marker]:
    """Pilot start and each iteration's start, one marker per date."""
    labels: dict[date, list[str]] = {}
    if pilot.start_date:
        labels[pilot.start_date] = [gettext("Pilot start")]
    for iteration in pilot.iterations:
        if iteration.start_date:
            labels.setdefault(iteration.start_date, []).append(
                gettext("Iteration %(number)s", number=iteration.number)
            )
    return [
        Marker(day, " · ".join(names), day == pilot.start_date)
        for day, names in sorted(labels.items())
    ]


# ---------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """Each group's level at the pilot's starting point and now."""

    metric: Metric
    basis: str | None  # "period", "iterations", or None when there is no starting point
    start_label: str
    now_label: str
    baseline: tuple[float | None, float | None]
    pilot: tuple[float | None, float | None]

    def change(self, group: str) -> float | None:
        start, now = getattr(self, group)
        return None if start is None or now is None else now - start

    def better(self, group: str) -> bool | None:
        change = self.change(group)
        return None if not change else verdicts.is_better(change, self.metric.direction)


def progress(pilot: Pilot, metric: Metric) -> Progress:
    """Before the pilot against during it; without a pre-period, first against latest iteration."""
    cells = cell_sums(metric)
    if any(period == "pre" for _group, period in cells):
        return Progress(
            metric,
            "period",
            gettext("before the pilot"),
            gettext("during the pilot"),
            _pair(metric, cells.get(("baseline", "pre")), cells.get(("baseline", "post"))),
            _pair(metric, cells.get(("pilot", "pre")), cells.get(("pilot", "post"))),
        )
    spans = _iteration_spans(pilot)
    if len(spans) >= 2:
        first, latest = spans[0], spans[-1]
        dated = _dated_cells(metric)
        pairs = {
            group: _pair(
                metric, *(_within(metric, dated.get(group, {}), span) for span in (first, latest))
            )
            for group in ("baseline", "pilot")
        }
        if pairs["pilot"] != (None, None) or pairs["baseline"] != (None, None):
            return Progress(
                metric,
                "iterations",
                gettext("iteration %(number)s", number=first[0]),
                gettext("iteration %(number)s", number=latest[0]),
                pairs["baseline"],
                pairs["pilot"],
            )
    return Progress(metric, None, "", "", (None, None), (None, None))


def _pair(metric: Metric, start, now) -> tuple[float | None, float | None]:
    return _level(metric, start), _level(metric, now)


def _iteration_spans(pilot: Pilot) -> list[tuple[int, date, date | None]]:
    """(number, first day, day after the last) of each dated iteration, in order."""
    dated = [i for i in pilot.iterations if i.start_date]
    return [
        (i.number, i.start_date, dated[k + 1].start_date if k + 1 < len(dated) else None)
        for k, i in enumerate(dated)
    ]


def _within(metric: Metric, by_day: dict[date, CellSums], span) -> CellSums | None:
    _number, first, after = span
    cells = [c for day, c in by_day.items() if day >= first and (after is None or day < after)]
    return combine(metric, cells) if cells else None


# ---------------------------------------------------------------- rendering

INK, MUTED, LINE = "#1d2433", "#5b6475", "#d9dee7"
PILOT_COLOUR, BASELINE_COLOUR = "#1f5fbf", "#8a93a3"
TONE_COLOURS = {
    "good": "#1b7f4b",
    "bad": "#b3261e",
    "warn": "#9a6700",
    "notable": "#1f5fbf",
    "neutral": "#5b6475",
    "pending": "#5b6475",
}
STYLE = {
    # Text stays text: files stay small, the browser's own sans-serif draws it
    # and nothing (no font) is embedded or fetched.
    "svg.fonttype": "none",
    # Every label is someone's text (metric names, units): drawn as typed, never
    # read as mathtext, where "$x$" would be math and "$\bad{$" would fail the chart.
    "text.parse_math": False,
    # Fixed ids, so the same chart renders to the same bytes.
    "svg.hashsalt": "testbed",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.edgecolor": LINE,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "text.color": INK,
}
WIDTH = 10.0  # inches; the page scales the SVG to its column, about this size
SERIES_HEIGHT = 3.2
MARKER_FONT_SIZE = 9
# A marker label's character, as a share of the series' x axis (about 0.55 em
# per character on an axis of about three quarters of the figure).
CHARACTER_WIDTH = 0.55 * MARKER_FONT_SIZE / (0.75 * WIDTH * 72)
_RENDERING = threading.Lock()  # matplotlib's settings are global: one chart at a time


def render_chart(pilot: Pilot, name: str) -> bytes:
    """Draw the chart ``name`` (see ``chart_names``) of the pilot's current data as SVG."""
    # Gather the numbers first: only the drawing needs the lock.
    if name == "forest":
        draw, numbers = forest_figure, forest_rows(pilot, report_for(pilot))[0]
    else:
        draw, numbers = series_figure, metric_series(pilot, _series_metric(pilot, name))
    with _RENDERING, matplotlib.rc_context(STYLE):
        figure = draw(numbers)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def placeholder_figure(message: str, height: float = 1.2) -> Figure:
    figure = Figure(figsize=(WIDTH, height))
    figure.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=10)
    return figure


def forest_figure(rows: list[ForestRow]) -> Figure:
    if not rows:
        return placeholder_figure(
            gettext("No results to plot yet: load observations for both groups.")
        )
    figure = Figure(figsize=(WIDTH, 1.1 + 0.42 * len(rows)), layout="constrained")
    axes = figure.add_subplot()
    positions = range(len(rows))[::-1]  # first hypothesis on top
    lowest = min(row.low for row in rows)
    highest = max(row.high for row in rows)
    reach = max(abs(lowest), abs(highest), 0.01) * 1.15
    axes.axvspan(0, reach, color="#e8f3ec", zorder=0)
    axes.axvline(0, color=MUTED, linewidth=0.8)
    for y, row in zip(positions, rows, strict=True):
        colour = TONE_COLOURS[row.outcome.tone]
        axes.plot([row.low, row.high], [y, y], color=colour, linewidth=2, solid_capstyle="butt")
        axes.plot([row.estimate], [y], "o", color=colour, markersize=6)
    axes.set_yticks(list(positions), [_short(row.label, 40) for row in rows])
    axes.set_xlim(-reach, reach)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.xaxis.set_major_formatter(FuncFormatter(_signed_percent))
    axes.set_xlabel(gettext("Relative change, turned so that right is better"))
    axes.text(0.99, 1.01, gettext("better →"), transform=axes.transAxes, ha="right", va="bottom")
    axes.text(0.01, 1.01, gettext("← worse"), transform=axes.transAxes, ha="left", va="bottom")
    axes.tick_params(axis="y", length=0)
    return figure


def series_figure(series: Series) -> Figure:
    points = series.points
    if not points:
        return placeholder_figure(
            gettext(
                "No dated observations of %(metric)s yet.", metric=_short(series.metric.name, 50)
            ),
            height=1.0,
        )
    figure = Figure(figsize=(WIDTH, SERIES_HEIGHT), layout="constrained")
    axes = figure.add_subplot()
    scale = 100 if series.metric.kind == "proportion" else 1
    for group, colour, label in (
        ("baseline", BASELINE_COLOUR, gettext("Baseline group")),
        ("pilot", PILOT_COLOUR, gettext("Pilot group")),
    ):
        pairs = [(p.day, getattr(p, group)) for p in points if getattr(p, group) is not None]
        if pairs:
            days, values = zip(*pairs, strict=True)
            axes.plot(days, [v * scale for v in values], color=colour, linewidth=1.4, label=label)
    first, last = points[0].day, points[-1].day
    if series.pilot_start and series.pilot_start > first:
        axes.axvspan(
            first, series.pilot_start, color="#f1f2f5", zorder=0, label=gettext("Before the pilot")
        )
    _draw_markers(axes, [m for m in series.markers if first <= m.day <= last], first, last)
    locator = mdates.AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(DateFormatter(locator, **DATE_FORMATS.get(language(), {})))
    axes.yaxis.set_major_formatter(NumberFormatter())
    axes.set_ylabel(_axis_label(series.metric))
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return figure


def _draw_markers(axes, found: list[Marker], first: date, last: date) -> None:
    """Vertical lines with their labels above the plot, stacked in rows where they would overlap."""
    span = max((last - first).days, 1)
    row_ends: list[float] = []  # where each row's last label ends, as a share of the x axis
    for marker in found:
        at = (marker.day - first).days / span
        row = next((k for k, end in enumerate(row_ends) if end < at), len(row_ends))
        if row == len(row_ends):
            row_ends.append(0.0)
        row_ends[row] = at + (len(marker.label) + 2) * CHARACTER_WIDTH
        axes.axvline(
            marker.day,
            color=INK if marker.start else MUTED,
            linewidth=1.0 if marker.start else 0.8,
            linestyle="-" if marker.start else "--",
        )
        axes.text(
            marker.day,
            1.02 + 0.1 * row,
            f" {marker.label}",
            transform=axes.get_xaxis_transform(),
            ha="left",
            va="bottom",
            fontsize=MARKER_FONT_SIZE,
            color=INK if marker.start else MUTED,
        )


class NumberFormatter(ScalarFormatter):
    """Matplotlib's tick figures, written the current language's way."""

    def format_ticks(self, values):
        return [figure(label) for label in super().format_ticks(values)]

    def get_offset(self):
        return figure(super().get_offset())


class DateFormatter(mdates.ConciseDateFormatter):
    """Matplotlib's concise dates, with the months named in the current language."""

    def format_ticks(self, values):
        return [_months(label) for label in super().format_ticks(values)]

    def get_offset(self):
        return _months(super().get_offset())


# Where a language writes dates in another order than matplotlib's (English) one.
DATE_FORMATS = {
    "fr": {
        "zero_formats": ["", "%Y", "%b", "%d %b", "%H:%M", "%H:%M"],
        "offset_formats": ["", "%Y", "%b %Y", "%d %b %Y", "%d %b %Y", "%d %b %Y %H:%M"],
    }
}
ENGLISH_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
MONTH = re.compile(rf"\b({'|'.join(ENGLISH_MONTHS)})\b")


def _months(text: str) -> str:
    """Month names as matplotlib writes them (strftime's, in English), in the current language."""
    current = language()
    if current == DEFAULT_LANGUAGE or not text:
        return text
    names = get_month_names("abbreviated", locale=current)
    return MONTH.sub(lambda found: names[ENGLISH_MONTHS.index(found.group(1)) + 1], text)


def _signed_percent(value: float, _position) -> str:
    return figure("0%" if abs(value) < 1e-12 else f"{value:+.0%}")


def _axis_label(metric: Metric) -> str:
    """The unit only: the chart's heading on the page names the metric."""
    return gettext("share (%)") if metric.kind == "proportion" else _short(metric.unit, 40)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- names and cache

SERIES_PREFIX = "series-"
# Charts drawn by other drawing code (an upgrade of this module or of
# matplotlib) are drawn anew rather than served from the cache.
DRAWING = hashlib.sha256(Path(__file__).read_bytes() + matplotlib.__version__.encode()).hexdigest()[
    :10
]
SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def chart_names(pilot: Pilot) -> list[str]:
    """Every chart the pilot's page shows."""
    return ["forest"] + [series_name(metric) for metric in pilot.metrics]


def series_name(metric: Metric) -> str:
    return SERIES_PREFIX + metric.key


def _series_metric(pilot: Pilot, name: str) -> Metric:
    metric = pilot.metric(name.removeprefix(SERIES_PREFIX))
    if metric is None:
        raise KeyError(name)
    return metric


def chart_svg(pilot: Pilot, name: str) -> bytes:
    """The chart as SVG, drawn once per pilot version and language, then read from disk.

    Raises ``KeyError`` for a name the pilot has no chart for.
    """
    if name not in chart_names(pilot) or not SAFE_NAME.fullmatch(name):
        raise KeyError(name)
    folder = _pilot_folder(pilot)
    prefix = f"{DRAWING}-v{pilot.version}-"
    # Its words are in the reader's language: one file per language.
    path = folder / f"{prefix}{language()}-{name}.svg"
    if path.exists():
        return path.read_bytes()
    svg = render_chart(pilot, name)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, svg)
    _prune(folder.parent, folder, prefix)
    return svg


def cache_root() -> Path:
    configured = current_app.config.get("CHART_CACHE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "charts"


def _pilot_folder(pilot: Pilot) -> Path:
    # The creation time tells apart two pilots with the same id, such as the
    # demo pilots before and after a database reset.
    created = pilot.created_at.strftime("%Y%m%d%H%M%S%f") if pilot.created_at else "0"
    return cache_root() / f"pilot-{pilot.id}-{created}"


def _write_atomically(path: Path, content: bytes) -> None:
    """A reader sees the old file or the whole new one, never half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def _prune(root: Path, current: Path, keep_prefix: str) -> None:
    """Remove charts of the pilot's earlier versions and of an earlier pilot with its id.

    Best effort: another worker may be pruning or writing at the same time.
    """
    id_prefix = current.name.rsplit("-", 1)[0] + "-"
    try:
        for folder in root.glob(f"{id_prefix}*"):
            for file in folder.glob("*.svg"):
                if folder != current or not file.name.startswith(keep_prefix):
                    file.unlink(missing_ok=True)
            if folder != current:
                folder.rmdir()
    except OSError:
        return
