"""The scorecard's figures as inline SVG made on the server: an indicator's series, the map.

No script and no style attribute: shapes carry classes that scorecard.css
colours, so the figures draw under the app's strict Content-Security-Policy.
Every text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from flask_babel import gettext, ngettext
from markupsafe import Markup, escape

from testbed.i18n import figure, unit_space
from testbed.pilots.models import PERSPECTIVES
from testbed.scorecard.models import PERSPECTIVE_LABELS, Indicator, IndicatorLink
from testbed.scorecard.services import Series, latest_level, on_target

COLOURS = 6  # sc-series-0 .. sc-series-5 in scorecard.css


def _fmt(value: float) -> str:
    """A figure as the charts label it, in the reader's language."""
    text = f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.3g}"
    return figure(text)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high, about ``count`` of them."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def series_svg(indicator: Indicator, series: list[Series], formatter: Callable = _fmt) -> Markup:
    """A line per department over the periods, the target dashed, the starting point marked."""
    periods = sorted({m.period for s in series for m in s.measurements})
    if not periods:
        return Markup("")
    width, height = 760, 300
    left, right, top, bottom = 64, 36, 16, 44
    values = [m.value for s in series for m in s.measurements]
    if indicator.target is not None:
        values.append(indicator.target)
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    if high == low:
        high = low + 1

    def x(period: str) -> float:
        if len(periods) == 1:
            return left + (width - left - right) / 2
        return left + periods.index(period) * (width - left - right) / (len(periods) - 1)

    def y(value: float) -> float:
        return top + (high - value) * (height - top - bottom) / (high - low)

    if indicator.cadence == "quarterly":
        title = escape(gettext("%(indicator)s per quarter", indicator=indicator.name))
    else:
        title = escape(gettext("%(indicator)s per month", indicator=indicator.name))
    parts = [
        f'<svg class="sc-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="sc-chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="sc-chart-title">{title}</title>',
    ]
    for tick in ticks:
        parts.append(
            f'<line class="sc-grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/>'
        )
        parts.append(
            f'<text class="sc-axis" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{escape(formatter(tick))}</text>"
        )
    every = max(1, math.ceil(len(periods) / 12))
    for index, period in enumerate(periods):
        if index % every == 0 or index == len(periods) - 1:
            parts.append(
                f'<text class="sc-axis" x="{x(period):.1f}" y="{height - bottom + 18}" '
                f'text-anchor="middle">{escape(period)}</text>'
            )
    if indicator.baseline_period in periods:
        bx = x(indicator.baseline_period)
        parts.append(
            f'<line class="sc-baseline" x1="{bx:.1f}" x2="{bx:.1f}" y1="{top}" '
            f'y2="{height - bottom}"/>'
        )
        label = escape(gettext("starting point"))
        parts.append(f'<text class="sc-axis" x="{bx + 4:.1f}" y="{top + 10}">{label}</text>')
    if indicator.target is not None:
        ty = y(indicator.target)
        parts.append(
            f'<line class="sc-target" x1="{left}" x2="{width - right}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
        )
        label = escape(gettext("target %(value)s", value=formatter(indicator.target)))
        parts.append(
            f'<text class="sc-target-label" x="{width - right}" y="{ty - 5:.1f}" '
            f'text-anchor="end">{label}</text>'
        )
    for index, each in enumerate(series):
        colour = f"sc-series-{index % COLOURS}"
        points = " ".join(f"{x(m.period):.1f},{y(m.value):.1f}" for m in each.measurements)
        parts.append(f'<g class="{colour}"><title>{escape(each.label)}</title>')
        if len(each.measurements) > 1:
            parts.append(f'<polyline class="sc-line" points="{points}"/>')
        for m in each.measurements:
            label = escape(
                gettext(
                    "%(series)s, %(period)s: %(value)s",
                    series=each.label,
                    period=m.period,
                    value=formatter(m.value),
                )
            )
            parts.append(
                f'<circle class="sc-point" cx="{x(m.period):.1f}" cy="{y(m.value):.1f}" r="3">'
                f"<title>{label}</title></circle>"
            )
        parts.append("</g>")
    parts.append(
        f'<line class="sc-frame" x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}"/>'
    )
    parts.append("</svg>")
    # Every text above went through escape(); the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def strategy_map_svg(
    indicators: list[Indicator], links: list[IndicatorLink], href: Callable[[Indicator], str]
) -> Markup:
    """Four perspective bands, financial on top; each indicator a box, each link an arrow.

    A box's class says whether the newest level meets the target; the words
    inside say it too, so the colour only repeats what is written.
    """
    width, band, box_w, box_h, label_w = 960, 120, 192, 58, 130
    height = band * len(PERSPECTIVES)
    places: dict[int, tuple[float, float]] = {}
    rows = _ordered_rows(indicators, links)
    for row, perspective in enumerate(PERSPECTIVES):
        members = rows[perspective]
        space = (width - label_w) / max(len(members), 1)
        for column, indicator in enumerate(members):
            cx = label_w + space * (column + 0.5)
            cy = row * band + band / 2
            places[indicator.id] = (cx, cy)
    title = escape(gettext("Strategy map"))
    description = escape(_map_description(len(indicators), len(links)))
    parts = [
        f'<svg class="sc-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="sc-map-title sc-map-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="sc-map-title">{title}</title>',
        f'<desc id="sc-map-desc">{description}</desc>',
        '<defs><marker id="sc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path class="sc-arrowhead" '
        'd="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for row, perspective in enumerate(PERSPECTIVES):
        parts.append(
            f'<rect class="sc-band sc-band-{row % 2}" x="0" y="{row * band}" width="{width}" '
            f'height="{band}"/>'
        )
        parts.append(
            f'<text class="sc-band-label" x="12" y="{row * band + band / 2 + 5:.1f}">'
            f"{escape(str(PERSPECTIVE_LABELS[perspective]))}</text>"
        )
    for link in links:
        if link.leading_id not in places or link.lagging_id not in places:
            continue
        (x1, y1), (x2, y2) = places[link.leading_id], places[link.lagging_id]
        start, end = _edge(x1, y1, x2, y2, box_w, box_h), _edge(x2, y2, x1, y1, box_w, box_h)
        names = {"leading": link.leading.name, "lagging": link.lagging.name}
        if link.note:
            label = escape(
                gettext("%(leading)s drives %(lagging)s: %(note)s", note=link.note, **names)
            )
        else:
            label = escape(gettext("%(leading)s drives %(lagging)s", **names))
        parts.append(
            f'<line class="sc-link" x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
            f'y2="{end[1]:.1f}" marker-end="url(#sc-arrow)"><title>{label}</title></line>'
        )
    for indicator in indicators:
        cx, cy = places[indicator.id]
        period, value, _ = latest_level(indicator)
        meets = on_target(indicator, value)
        state = {True: "ok", False: "off", None: "none"}[meets]
        status = _node_status(indicator, value, meets)
        x0, y0 = cx - box_w / 2, cy - box_h / 2
        parts.append(f'<a href="{escape(href(indicator))}" class="sc-node sc-node-{state}">')
        if period:
            title = gettext(
                "%(indicator)s: %(status)s (%(period)s)",
                indicator=indicator.name,
                status=status,
                period=period,
            )
        else:
            title = gettext("%(indicator)s: %(status)s", indicator=indicator.name, status=status)
        parts.append(f"<title>{escape(title)}</title>")
        parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{box_w}" height="{box_h}" rx="6"/>')
        parts.append(
            f'<text class="sc-node-name" x="{cx:.1f}" y="{cy - 6:.1f}" text-anchor="middle">'
            f"{escape(_shorten(indicator.name, 26))}</text>"
        )
        parts.append(
            f'<text class="sc-node-status" x="{cx:.1f}" y="{cy + 14:.1f}" text-anchor="middle">'
            f"{escape(_shorten(status, 30))}</text>"
        )
        parts.append("</a>")
    parts.append("</svg>")
    # Every text above went through escape(); the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def _map_description(indicators: int, links: int) -> str:
    return ngettext(
        "%(num)d indicators in four perspectives; %(arrows)d arrows from leading to lagging "
        "indicators.",
        "%(num)d indicators in four perspectives; %(arrows)d arrows from leading to lagging "
        "indicators.",
        indicators,
        arrows=links,
    )


def _node_status(indicator: Indicator, value: float | None, meets: bool | None) -> str:
    """What a box says of the newest level: the words repeat what its colour shows."""
    if value is None:
        return gettext("not measured yet")
    shown = _fmt(value)
    if indicator.target is None:
        if indicator.unit.strip():
            shown = f"{shown}{unit_space()}{indicator.unit.strip()}"
        return gettext("%(value)s · no target", value=shown)
    target = _fmt(indicator.target)
    if meets:
        return gettext("%(value)s · on target %(target)s", value=shown, target=target)
    if indicator.direction == "increase":
        return gettext("%(value)s · below target %(target)s", value=shown, target=target)
    return gettext("%(value)s · above target %(target)s", value=shown, target=target)


def _ordered_rows(
    indicators: list[Indicator], links: list[IndicatorLink]
) -> dict[str, list[Indicator]]:
    """Each band's indicators, ordered so that linked boxes stand near each other.

    A few sweeps of the barycentre heuristic: each box moves to the mean position
    of the boxes it is linked to, which keeps most arrows short and uncrossed.
    """
    rows = {p: [i for i in indicators if i.perspective == p] for p in PERSPECTIVES}
    neighbours: dict[int, list[int]] = {i.id: [] for i in indicators}
    for link in links:
        if link.leading_id in neighbours and link.lagging_id in neighbours:
            neighbours[link.leading_id].append(link.lagging_id)
            neighbours[link.lagging_id].append(link.leading_id)
    for _ in range(4):
        position = {
            i.id: (index + 0.5) / len(members)
            for members in rows.values()
            for index, i in enumerate(members)
        }
        for perspective, members in rows.items():
            centres = {
                i.id: (
                    sum(position[other] for other in neighbours[i.id]) / len(neighbours[i.id])
                    if neighbours[i.id]
                    else position[i.id]
                )
                for i in members
            }
            rows[perspective] = sorted(members, key=lambda i: (centres[i.id], i.name))
    return rows


def _edge(x1: float, y1: float, x2: float, y2: float, w: float, h: float) -> tuple[float, float]:
    """Where the line from the centre (x1, y1) towards (x2, y2) leaves a w × h box."""
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return x1, y1
    scale = min(
        (w / 2) / abs(dx) if dx else math.inf,
        (h / 2) / abs(dy) if dy else math.inf,
    )
    return x1 + dx * scale, y1 + dy * scale
