"""Reading and checking ``pilot.toml``: every key known, every reference resolved."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext

from testbed.files.errors import LoadError, not_utf8
from testbed.pilots.models import (
    DESIGNS,
    DIRECTIONS,
    HYPOTHESIS_ROLES,
    INDICATORS,
    METHODS,
    METRIC_KINDS,
    PARTNER_SIZES,
    PERSPECTIVES,
    REGISTRATIONS,
    STATUSES,
)
from testbed.suggestions.models import SUGGESTION_STATUSES

# Designs analysed from rows with a test of their own, not from two groups' sums.
ROW_DESIGNS = ("did", "its", "threshold")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
# Whole numbers are stored in 32-bit integer columns.
INTEGER_LIMIT = 2**31


@dataclass(frozen=True)
class Field:
    # str, key, int, float, share, bool, date, datetime, names, lines, scale, table, tables
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    fields: dict | None = None  # for table and tables
    length: int | None = None  # the width of the column text is stored in


PARTNER = {
    "name": Field("str", required=True, length=200),
    "segment": Field("str", default="", length=120),
    "size": Field("str", choices=PARTNER_SIZES, default="small"),
    "key_account": Field("bool", default=False),
    "key_account_reason": Field("str", default=""),
}
METRIC = {
    "key": Field("key", required=True),
    "name": Field("str", required=True, length=200),
    "kind": Field("str", required=True, choices=METRIC_KINDS),
    "direction": Field("str", required=True, choices=DIRECTIONS),
    "unit": Field("str", default="", length=80),
    "indicator": Field("str", choices=INDICATORS, default="lagging"),
    "perspective": Field("str", choices=PERSPECTIVES, default="customer"),
    "scale": Field("scale"),
}
# People are named by the e-mail address of their account (see docs/experiments.md).
EMAIL_LENGTH = 254
AMENDMENT = {
    "reason": Field("str", required=True),
    "at": Field("datetime"),
    "actor": Field("str", length=254),
    "by": Field("str", length=EMAIL_LENGTH),
    "changes": Field("lines"),
}
HYPOTHESIS = {
    "key": Field("key", required=True, length=40),
    "statement": Field("str", required=True),
    "metric": Field("key", required=True),
    "role": Field("str", required=True, choices=HYPOTHESIS_ROLES),
    "design": Field("str", choices=DESIGNS, default="concurrent"),
    "method": Field("str", choices=METHODS, default="fixed"),
    "alpha": Field("share", default=0.05),
    "minimum_effect": Field("float"),
    "planned_sample_size": Field("int"),
    "predictor": Field("key"),
    "quantiles": Field("shares"),
    # Left out, the order of the data decides; see docs/experiments.md.
    "registration": Field("str", choices=REGISTRATIONS),
    "locked_at": Field("datetime"),
    "amendments": Field("tables", default=[], fields=AMENDMENT),
}
ITERATION = {
    "number": Field("int", required=True),
    "start_date": Field("date"),
    "end_date": Field("date"),
    "title": Field("str", default="", length=200),
    "changes": Field("str", default=""),
    "reason": Field("str", default=""),
}
STEP = {
    "from": Field("str", required=True, choices=SUGGESTION_STATUSES),
    "status": Field("str", required=True, choices=SUGGESTION_STATUSES),
    "iteration": Field("int"),
    "reason": Field("str", default=""),
    "actor": Field("str", required=True, length=254),
    "by": Field("str", length=EMAIL_LENGTH),
    "at": Field("datetime"),
}
COMMENT = {
    "by": Field("str", required=True, length=EMAIL_LENGTH),
    "text": Field("str", required=True),
    "at": Field("datetime"),
}
VOTE = {
    "by": Field("str", required=True, length=EMAIL_LENGTH),
    "at": Field("datetime"),
}
SUGGESTION = {
    "author": Field("str", required=True, length=120),
    "department": Field("str", default="", length=120),
    "text": Field("str", required=True),
    "status": Field("str", choices=SUGGESTION_STATUSES, default="new"),
    "iteration": Field("int"),
    "reason": Field("str", default=""),
    "date": Field("date"),
    "steps": Field("tables", default=[], fields=STEP),
    "comments": Field("tables", default=[], fields=COMMENT),
    "votes": Field("tables", default=[], fields=VOTE),
}
COST = {
    "item": Field("str", required=True, length=200),
    "amount": Field("float", required=True),
    "year": Field("int", default=0),
    "recurring": Field("bool", default=False),
}
BENEFIT = {
    "metric": Field("key", required=True),
    "value_per_unit": Field("float", required=True),
    "volume_per_year": Field("float", required=True),
    "description": Field("str", default=""),
}
PROGRAMME = {
    "name": Field("str", required=True, length=200),
    "roi": Field("float", required=True),
    "description": Field("str", default=""),
}
POOR_SERVICE_CLAIM = {
    "line": Field("key", required=True),
    "metric": Field("key", required=True),
    "share": Field("float", required=True),
    "description": Field("str", default=""),
}
FINANCE = {
    "currency": Field("str", default="EUR", length=3),
    "discount_rate": Field("float", default=0.08),
    "horizon_years": Field("int", default=3),
    "costs": Field("tables", default=[], fields=COST),
    "benefits": Field("tables", default=[], fields=BENEFIT),
    "programmes": Field("tables", default=[], fields=PROGRAMME),
    "poor_service": Field("tables", default=[], fields=POOR_SERVICE_CLAIM),
}
PILOT = {
    "slug": Field("key"),
    "name": Field("str", required=True, length=200),
    "status": Field("str", choices=STATUSES, default="draft"),
    "start_date": Field("date"),
    "end_date": Field("date"),
    "summary": Field("str", default=""),
    "departments": Field("names", default=[], length=120),
    # Keys of the company indicators (scorecard.toml) the pilot is meant to move.
    "indicators": Field("names", default=[], length=80),
    "pilot_share": Field("share"),
    # Written by `testbed export`: the digests of the uploads and API pushes whose rows the
    # folder's observation files carry, so that loading it back replaces them, not adds to them.
    "carries_batches": Field("names", default=[], length=64),
    "partner": Field("table", required=True, fields=PARTNER),
    "metrics": Field("tables", default=[], fields=METRIC),
    "hypotheses": Field("tables", default=[], fields=HYPOTHESIS),
    "iterations": Field("tables", default=[], fields=ITERATION),
    "suggestions": Field("tables", default=[], fields=SUGGESTION),
    "finance": Field("table", fields=FINANCE),
}


def read_definition(path: Path) -> dict:
    """Parse and check a ``pilot.toml``; raises LoadError naming line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error, text) from None
    locator = Locator(path, text)
    definition = _check_table(data, PILOT, locator, ())
    definition.setdefault("slug", path.parent.name)
    if not KEY_PATTERN.match(definition["slug"]):
        raise locator.error((), "slug", "the folder name is not a valid slug; set slug = ...")
    _check_references(definition, locator)
    return definition


def _syntax_error(path: Path, error: tomllib.TOMLDecodeError, text: str) -> LoadError:
    # Python 3.11's tomllib puts the position only in the message text.
    match = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(error))
    if match is None:
        # "(at end of document)": the place is just after the last character.
        lines = text.split("\n")
        message = re.sub(r" \(at end of document\)$", " at the end of the file", str(error))
        return LoadError(path, f"not valid TOML: {message}", len(lines), len(lines[-1]) + 1)
    return LoadError(path, f"not valid TOML: {match[1]}", int(match[2]), int(match[3]))


class Locator:
    """Finds the line and column of a key in the TOML text, for error messages."""

    HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"-]+)\s*\]\]?")

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def error(self, where: tuple, key: str | None, message: str) -> LoadError:
        line, column = self.find(where, key)
        field = ".".join(
            [
                *(f"{name}[{index + 1}]" if index is not None else name for name, index in where),
                *([key] if key else []),
            ]
        )
        return LoadError(self.path, message, line, column, field or None)

    def missing(self, where: tuple, key: str, message: str) -> LoadError:
        """The error for a key that is absent: placed at its table, naming the key."""
        found = self.error(where, None, message)
        field = f"{found.field}.{key}" if found.field else key
        return LoadError(self.path, message, found.line, found.column, field)

    def find(self, where: tuple, key: str | None) -> tuple[int | None, int | None]:
        header = ".".join(name for name, _ in where)
        start = self._table_start(where)
        if start is None:
            return self._find_inline(where, key) if len(where) > 1 else (None, None)
        if key is None:
            return start + 1 if header else None, 1 if header else None
        pattern = re.compile(rf"^(\s*)[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1 if header else 0, len(self.lines)):
            line = self.lines[number]
            if number > start and self.HEADER.match(line) and (header or number > 0):
                break
            match = pattern.match(line)
            if match:
                return number + 1, len(match.group(1)) + 1
        return (start + 1, 1) if header else (None, None)

    def _find_inline(self, where: tuple, key: str | None) -> tuple[int | None, int | None]:
        """Where a table written inline (``votes = [{ by = "..." }]``) or its key is.

        ``testbed export`` writes short tables of an array this way, one a line.
        """
        name, index = where[-1]
        line, _ = self.find(where[:-1], name)
        if line is None:
            return None, None
        seen = 0
        for number in range(line - 1, len(self.lines)):
            text = self.lines[number]
            seen += text.count("{")
            if seen > (index or 0):
                pattern = rf"[{{,]\s*([\"']?{re.escape(key or '')}[\"']?)\s*="
                match = re.search(pattern, text) if key else None
                column = match.start(1) if match else max(text.find("{"), 0)
                return number + 1, column + 1
        return line, 1

    def _table_start(self, where: tuple) -> int | None:
        """The line of the table at ``where``; a nested table is counted inside its parent.

        ``[[hypotheses.amendments]]`` number 1 of the second hypothesis is the
        first such header after the second ``[[hypotheses]]``, before the third.
        """
        if not where:
            return 0
        start, end, names = 0, len(self.lines), []
        for name, index in where:
            parent = ".".join(names)
            names.append(name)
            header = ".".join(names)
            start, end = self._nth_header(header, parent, index, start, end)
            if start is None:
                return None
        return start

    def _nth_header(self, header: str, parent: str, index, start: int, end: int):
        """(line, end of its stretch) of the ``index``-th ``header`` in lines start..end."""
        seen, found = -1, None
        for number in range(start, end):
            match = self.HEADER.match(self.lines[number])
            if not match:
                continue
            name = match.group(1)
            if found is not None and name in (header, parent):
                return found, number
            if name == header:
                seen += 1
                if index is None or seen == index:
                    found = number
        return found, end


def _check_table(data: dict, fields: dict, locator: Locator, where: tuple) -> dict:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise locator.error(
            where, unknown[0], f"unknown key '{unknown[0]}' (allowed: {', '.join(fields)})"
        )
    checked = {}
    for name, spec in fields.items():
        if name not in data:
            if spec.required:
                raise locator.missing(where, name, f"the key '{name}' is required here")
            if spec.default is not None:
                checked[name] = spec.default
            continue
        checked[name] = _check_value(data[name], name, spec, locator, where)
    return checked


def _check_value(value, name: str, spec: Field, locator: Locator, where: tuple):
    def fail(message: str):
        return locator.error(where, name, message)

    if spec.kind == "table":
        if not isinstance(value, dict):
            raise fail(f"'{name}' must be a table ([{name}])")
        return _check_table(value, spec.fields, locator, (*where, (name, None)))
    if spec.kind == "tables":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise fail(f"'{name}' must be an array of tables ([[{name}]])")
        return [
            _check_table(item, spec.fields, locator, (*where, (name, index)))
            for index, item in enumerate(value)
        ]
    value = _convert(value, name, spec, fail)
    if spec.choices and value not in spec.choices:
        raise fail(f"'{value}' is not one of {', '.join(spec.choices)}")
    return value


def _convert(value, name: str, spec: Field, fail):
    kind = spec.kind
    if kind in ("str", "key"):
        if not isinstance(value, str):
            raise fail(f"'{name}' must be text in quotes")
        if kind == "key" and not KEY_PATTERN.match(value):
            raise fail(f"'{value}' is not a valid key (letters, digits, _ and -)")
        _check_text(value.strip(), name, spec, fail)
        return value.strip()
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail(f"'{name}' must be true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"'{name}' must be a whole number")
        if not -INTEGER_LIMIT < value < INTEGER_LIMIT:
            raise fail(f"'{name}' must lie between -{INTEGER_LIMIT} and {INTEGER_LIMIT}")
        return value
    if kind in ("float", "share"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"'{name}' must be a number")
        if not math.isfinite(value):
            raise fail(f"'{name}' must be a finite number")
        if kind == "share" and not 0 < value < 1:
            raise fail(f"'{name}' must lie between 0 and 1, got {value}")
        return float(value)
    if kind == "date":
        return _convert_date(value, name, fail)
    if kind == "datetime":
        return _convert_datetime(value, name, fail)
    if kind == "lines":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"'{name}' must be a list of lines in quotes")
        for each in value:
            _check_text(each, name, spec, fail)
        return [v.strip() for v in value if v.strip()]
    if kind == "names":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"'{name}' must be a list of names in quotes")
        for each in value:
            _check_text(each.strip(), name, spec, fail)
        return [v.strip() for v in value]
    if kind == "shares":
        if (
            not isinstance(value, list)
            or not value
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < 1 for v in value
            )
        ):
            raise fail(f"'{name}' must be a list of numbers between 0 and 1, such as [0.5, 0.9]")
        return [float(v) for v in value]
    if kind == "scale":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or value[0] >= value[1]
        ):
            raise fail("'scale' must be two whole numbers, lowest first, such as [0, 10]")
        return (value[0], value[1])
    raise AssertionError(f"no conversion for {kind}")


def _check_text(text: str, name: str, spec: Field, fail) -> None:
    # The database refuses both; caught here, the message names the line.
    if "\x00" in text:
        raise fail(f"'{name}' holds a NUL character")
    if spec.length is not None and len(text) > spec.length:
        raise fail(f"'{name}' is longer than {spec.length} characters")


def _convert_date(value, name: str, fail) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(f"'{name}' must be a date such as 2025-01-31, got {value!r}")


def _convert_datetime(value, name: str, fail) -> datetime:
    """A moment as the database keeps it: in UTC, without a zone."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise fail(f"'{name}' must be a date and time such as 2025-01-31T09:30:00, got {value!r}")


def _check_references(definition: dict, locator: Locator) -> None:
    partner = definition["partner"]
    if partner["key_account"] and not partner["key_account_reason"]:
        raise locator.error(
            (("partner", None),),
            "key_account",
            "a key account needs key_account_reason: pilots with key accounts alarm sales",
        )
    _check_dates(definition, locator, ())
    _check_indicator_keys(definition["indicators"], locator)
    metrics = _unique(definition["metrics"], "key", "metrics", locator)
    _unique(definition["hypotheses"], "key", "hypotheses", locator)
    iterations = _unique(definition["iterations"], "number", "iterations", locator)
    for index, iteration in enumerate(definition["iterations"]):
        _check_dates(iteration, locator, (("iterations", index),))
    for index, hypothesis in enumerate(definition["hypotheses"]):
        _check_hypothesis(hypothesis, metrics, locator, (("hypotheses", index),))
    for index, suggestion in enumerate(definition["suggestions"]):
        _check_suggestion(suggestion, iterations, locator, (("suggestions", index),))
    finance = definition.get("finance")
    if finance:
        for index, benefit in enumerate(finance["benefits"]):
            if benefit["metric"] not in metrics:
                raise locator.error(
                    (("finance.benefits", index),),
                    "metric",
                    f"unknown metric '{benefit['metric']}'",
                )
        _check_claims(finance, metrics, locator)
        for index, cost in enumerate(finance["costs"]):
            if not 0 <= cost["year"] <= finance["horizon_years"]:
                raise locator.error(
                    (("finance.costs", index),),
                    "year",
                    f"year must lie between 0 and horizon_years ({finance['horizon_years']})",
                )


def _check_claims(finance: dict, metrics: dict, locator: Locator) -> None:
    """The rules a claim on the cost of poor service keeps within its own file."""
    counted = {benefit["metric"] for benefit in finance["benefits"]}
    lines = set()
    for index, claim in enumerate(finance["poor_service"]):
        where = (("finance.poor_service", index),)
        metric = metrics.get(claim["metric"])
        if metric is None:
            raise locator.error(where, "metric", f"unknown metric '{claim['metric']}'")
        if metric["direction"] != "decrease":
            raise locator.error(
                where,
                "metric",
                f"the metric '{claim['metric']}' is better when it rises: a claim needs one that "
                "counts the failure itself, so that its relative fall is the share of cost removed",
            )
        if claim["metric"] in counted:
            raise locator.error(
                where,
                "metric",
                f"the metric '{claim['metric']}' is counted already (a benefit line or another "
                "claim): it would count the effect twice",
            )
        counted.add(claim["metric"])
        if claim["line"].lower() in lines:
            raise locator.error(where, "line", f"the line '{claim['line']}' is claimed twice")
        lines.add(claim["line"].lower())
        if not 0 < claim["share"] <= 1:
            raise locator.error(
                where, "share", f"'share' must be above 0 and at most 1, got {claim['share']}"
            )


def _check_indicator_keys(keys: list[str], locator: Locator) -> None:
    for key in keys:
        if not KEY_PATTERN.match(key):
            raise locator.error((), "indicators", f"'{key}' is not a valid indicator key")
        if keys.count(key) > 1:
            raise locator.error((), "indicators", f"the indicator '{key}' is named twice")


def _unique(items: list[dict], key: str, table: str, locator: Locator) -> dict:
    seen = {}
    for index, item in enumerate(items):
        if item[key] in seen:
            raise locator.error(((table, index),), key, f"duplicate {key} '{item[key]}'")
        seen[item[key]] = item
    return seen


def _check_dates(item: dict, locator: Locator, where: tuple) -> None:
    start, end = item.get("start_date"), item.get("end_date")
    if start and end and end < start:
        raise locator.error(where, "end_date", f"end_date {end} is before start_date {start}")


def _check_hypothesis(hypothesis: dict, metrics: dict, locator: Locator, where: tuple) -> None:
    problem = next(hypothesis_problems(hypothesis, metrics), None)
    if problem is not None:
        raise locator.error(where, *problem)


def hypothesis_problems(hypothesis: dict, metrics: Collection[str]) -> Iterator[tuple[str, str]]:
    """Yield (field, message) for each rule the hypothesis breaks, most basic first.

    ``hypothesis`` holds metric and predictor as keys; ``metrics`` is every
    metric key the pilot knows. The pilot form and the loader share these rules (the
    messages are in the form's reader's language, in English on the command line).
    """
    if hypothesis["metric"] not in metrics:
        yield "metric", gettext("unknown metric '%(key)s'", key=hypothesis["metric"])
    predictor = hypothesis.get("predictor")
    if hypothesis["design"] == "threshold" and predictor is None:
        yield (
            "design",
            gettext("a threshold design needs a predictor: the metric on the x axis"),
        )
    if predictor is not None and predictor not in metrics:
        yield "predictor", gettext("unknown metric '%(key)s'", key=predictor)
    if hypothesis["design"] in ROW_DESIGNS and hypothesis["method"] != "fixed":
        yield (
            "method",
            gettext(
                "the %(design)s design has a fixed test only; sequential and bayesian fit "
                "concurrent and pre_post",
                design=hypothesis["design"],
            ),
        )
    if hypothesis["role"] == "guardrail" and hypothesis["design"] in ROW_DESIGNS:
        yield (
            "design",
            gettext("a guardrail compares two groups: use the concurrent or pre_post design"),
        )
    planned = hypothesis.get("planned_sample_size")
    if planned is not None and planned < 1:
        yield "planned_sample_size", gettext("must be at least 1")
    if hypothesis["role"] == "guardrail" and (hypothesis.get("minimum_effect") or 0) < 0:
        yield (
            "minimum_effect",
            gettext("a guardrail's minimum_effect is its margin and must not be negative"),
        )


def _check_suggestion(suggestion: dict, iterations: dict, locator: Locator, where) -> None:
    status, number = suggestion["status"], suggestion.get("iteration")
    if status == "incorporated" and number is None:
        raise locator.error(where, "status", "an incorporated suggestion needs iteration = N")
    if number is not None and number not in iterations:
        raise locator.error(where, "iteration", f"there is no iteration {number}")
    if status == "declined" and not suggestion["reason"]:
        raise locator.error(where, "status", "a declined suggestion needs a reason")
    _check_steps(suggestion, iterations, locator, where)
    voters = set()
    for index, vote in enumerate(suggestion["votes"]):
        if vote["by"].lower() in voters:
            raise locator.error(
                (*where, ("votes", index)), "by", f"{vote['by']} votes twice: one vote per person"
            )
        voters.add(vote["by"].lower())


def _check_steps(suggestion: dict, iterations: dict, locator: Locator, where) -> None:
    """The steps form one path that ends where the suggestion is now."""
    steps = suggestion["steps"]
    for index, step in enumerate(steps):
        place = (*where, ("steps", index))
        if index and step["from"] != steps[index - 1]["status"]:
            raise locator.error(
                place,
                "from",
                f"the step before left the suggestion {steps[index - 1]['status']}, "
                f"not {step['from']}",
            )
        number = step.get("iteration")
        if number is not None and number not in iterations:
            raise locator.error(place, "iteration", f"there is no iteration {number}")
    if steps and steps[-1]["status"] != suggestion["status"]:
        raise locator.error(
            (*where, ("steps", len(steps) - 1)),
            "status",
            f"the last step leaves the suggestion {steps[-1]['status']}, "
            f"but its status is {suggestion['status']}",
        )


def located_error(path: Path, where: tuple, key: str | None, message: str) -> LoadError:
    """An error placed at its line in a checked ``pilot.toml``.

    For the rules a load checks against what the database holds, after reading.
    """
    return Locator(path, path.read_text(encoding="utf-8")).error(where, key, message)
