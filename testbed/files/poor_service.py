"""The company's cost of poor service as a file (company/poor-service.toml): read, load, write."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w
from sqlalchemy import select

from testbed.audit import record
from testbed.extensions import db
from testbed.files.definition import Field, Locator, _check_table, _syntax_error
from testbed.files.errors import LoadError, not_utf8
from testbed.finance.models import POOR_SERVICE_KINDS, PoorServiceLine
from testbed.finance.poor_service import LINE_FIELDS, line_problems, pilots_claiming

FILE_NAME = "poor-service.toml"
FOLDER = "company"

LINE = {
    "key": Field("key", required=True),
    "segment": Field("str", required=True, length=120),
    "kind": Field("str", required=True, choices=POOR_SERVICE_KINDS),
    "name": Field("str", required=True, length=200),
    "volume": Field("float", required=True),
    "volume_range": Field("range"),
    "unit_cost": Field("float", required=True),
    "unit_cost_range": Field("range"),
    "source": Field("str", required=True),
    "period": Field("str", required=True, length=120),
    "description": Field("str", default=""),
}
MODEL = {
    "currency": Field("str", required=True, length=3),
    "lines": Field("tables", default=[], fields=LINE),
}


def model_file(folder: Path) -> Path | None:
    """The model's file in a folder of pilot folders, if it has one."""
    path = Path(folder) / FOLDER / FILE_NAME
    return path if path.is_file() else None


def read_model(path: Path) -> list[dict]:
    """Parse and check the file; every line as the database's fields, or a LoadError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error, text) from None
    locator = Locator(path, text)
    # Ranges are checked here: the general checker knows no such kind.
    plain = {**MODEL, "lines": Field("tables", default=[], fields=_without_ranges())}
    ranges = [
        {name: item.pop(name) for name in ("volume_range", "unit_cost_range") if name in item}
        for item in data.get("lines", [])
        if isinstance(item, dict)
    ]
    checked = _check_table(data, plain, locator, ())
    lines, seen = [], set()
    for index, item in enumerate(checked["lines"]):
        where = (("lines", index),)
        fields = {**item, "currency": checked["currency"]}
        for name in ("volume", "unit_cost"):
            low, high = _range(ranges[index].get(f"{name}_range"), f"{name}_range", locator, where)
            fields[f"{name}_low"], fields[f"{name}_high"] = low, high
        if fields["key"].lower() in seen:
            raise locator.error(where, "key", f"duplicate key '{fields['key']}'")
        seen.add(fields["key"].lower())
        # Keys taken in the database are this file's own lines: only the values count here.
        problem = next((p for p in line_problems(fields) if p[0] != "key"), None)
        if problem is not None:
            name = problem[0]
            if name in ("volume_low", "unit_cost_low"):
                name = name.replace("_low", "_range")
            if name == "currency":
                raise locator.error((), "currency", problem[1])
            raise locator.error(where, name, problem[1])
        lines.append({name: fields[name] for name in LINE_FIELDS})
    return lines


def _without_ranges() -> dict:
    return {name: spec for name, spec in LINE.items() if spec.kind != "range"}


def _range(value, name: str, locator: Locator, where: tuple) -> tuple[float | None, float | None]:
    if value is None:
        return None, None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise locator.error(
            where, name, f"'{name}' must be two numbers, low first, such as [8, 12]"
        )
    return float(value[0]), float(value[1])


def load_model(path: Path, actor: str = "cli") -> str:
    """Replace the model with the file's lines: created, updated or unchanged.

    Lines are matched by key. A line the file leaves out is deleted, unless a
    pilot claims it: then nothing is loaded and the error names the pilots.
    """
    lines = read_model(path)
    existing = {line.key: line for line in db.session.scalars(select(PoorServiceLine))}
    wanted = {fields["key"] for fields in lines}
    for key, line in existing.items():
        if key not in wanted:
            claiming = pilots_claiming(line)
            if claiming:
                raise LoadError(
                    path,
                    f"the line '{key}' is claimed by {', '.join(claiming)}: keep its [[lines]] "
                    "table, or remove those claims first",
                    field="lines",
                )
    current = {key: _fields(line) for key, line in existing.items()}
    if current == {fields["key"]: fields for fields in lines}:
        return "unchanged"
    for key, line in existing.items():
        if key not in wanted:
            db.session.delete(line)
    for fields in lines:
        line = existing.get(fields["key"])
        if line is None:
            line = PoorServiceLine()
            db.session.add(line)
        for name, value in fields.items():
            setattr(line, name, value)
    db.session.flush()
    action = "created" if not existing else "updated"
    record(
        action,
        "poor_service_model",
        actor=actor,
        summary=f"{action} from {path.name} ({len(lines)} lines)",
    )
    return action


def _fields(line: PoorServiceLine) -> dict:
    return {name: getattr(line, name) for name in LINE_FIELDS}


def model_text() -> str:
    """The model as ``poor-service.toml`` text; loading it gives the same lines."""
    lines = db.session.scalars(select(PoorServiceLine).order_by(PoorServiceLine.key)).all()
    currencies = sorted({line.currency for line in lines})
    if len(currencies) > 1:
        raise ValueError(
            f"the model's lines are in {', '.join(currencies)}: one file holds one currency"
        )
    data = {"currency": currencies[0] if currencies else "EUR", "lines": []}
    for line in lines:
        item = {"key": line.key, "segment": line.segment, "kind": line.kind, "name": line.name}
        item["volume"] = line.volume
        if line.volume_range:
            item["volume_range"] = list(line.volume_range)
        item["unit_cost"] = line.unit_cost
        if line.unit_cost_range:
            item["unit_cost_range"] = list(line.unit_cost_range)
        item.update(source=line.source, period=line.period, description=line.description)
        data["lines"].append(item)
    return tomli_w.dumps(data)


def export_model(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_text(), encoding="utf-8")
