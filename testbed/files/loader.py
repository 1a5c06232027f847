"""``testbed load``: bring pilot folders into the database, all or nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from testbed.audit import record
from testbed.auth.models import User
from testbed.auth.services import department_named, find_user
from testbed.extensions import db
from testbed.files import poor_service as poor_service_file
from testbed.files.definition import located_error, read_definition
from testbed.files.errors import LoadError
from testbed.files.tables import read_observations, read_summaries
from testbed.finance import poor_service
from testbed.finance.models import Benefit, CostItem, FinancePlan, PoorServiceClaim, Programme
from testbed.notify import watching_outcomes
from testbed.notify.services import pilot_status_changed
from testbed.pilots.models import (
    Hypothesis,
    HypothesisAmendment,
    Iteration,
    Metric,
    Partner,
    Pilot,
)
from testbed.pilots.services import (
    InvalidField,
    actor_name,
    changes_between,
    hypothesis_state,
    lock_if_observed,
    measures_restated,
    partner_named,
    record_hypothesis_change,
)
from testbed.scorecard.services import replace_pilot_indicators
from testbed.store.models import CARRIED_ORIGINS, ImportBatch
from testbed.store.services import BatchWriter
from testbed.suggestions.models import (
    Suggestion,
    SuggestionComment,
    SuggestionStep,
    SuggestionVote,
)
from testbed.timeutil import utcnow

DEFINITION = "pilot.toml"


@dataclass(frozen=True)
class LoadOutcome:
    slug: str
    action: str  # created | updated | unchanged
    rows: int


@dataclass(frozen=True)
class Source:
    """The ``pilot.toml`` being loaded and who loads it: errors name the one, records the other."""

    path: Path
    actor: str

    def error(self, where: tuple, key: str | None, message: str) -> LoadError:
        return located_error(self.path, where, key, message)

    def account(self, email: str | None, where: tuple) -> User | None:
        """The account a folder names by e-mail; a name no account has stops the load."""
        if email is None:
            return None
        user = find_user(email)
        if user is None:
            raise self.error(
                where,
                "by",
                f"no account has the e-mail {email}: create it first "
                "(testbed users create), so the record names a real person",
            )
        return user


@dataclass
class HypothesisLoad:
    """A hypothesis as the load found it and as the folder wants it."""

    index: int
    hypothesis: Hypothesis
    item: dict[str, Any]
    before: dict | None  # None: the load creates it


def pilot_folders(path: Path) -> list[Path]:
    """The pilot folders at ``path``: the folder itself, or its sub-folders."""
    path = Path(path)
    if not path.is_dir():
        raise LoadError(path, "no such folder")
    if (path / DEFINITION).is_file():
        return [path]
    folders = sorted(p for p in path.iterdir() if (p / DEFINITION).is_file())
    if not folders:
        raise LoadError(path, f"no {DEFINITION} here or in any sub-folder")
    return folders


def load_path(path: Path, actor: str = "cli") -> list[LoadOutcome]:
    """Load every pilot folder at ``path`` into the session (the caller commits).

    ``path`` may also be the company's ``poor-service.toml``; a folder of pilot
    folders that holds ``company/poor-service.toml``, or one pilot folder beside
    such a ``company/``, has it loaded first, since the pilots' claims name its lines.
    """
    path = Path(path)
    if path.is_file() and path.name == poor_service_file.FILE_NAME:
        action = poor_service_file.load_model(path, actor)
        return [LoadOutcome(poor_service_file.FILE_NAME, action, 0)]
    model = company_model(path) if path.is_dir() else None
    if model is not None:
        poor_service_file.load_model(model, actor)
    outcomes = [load_folder(folder, actor) for folder in pilot_folders(path)]
    slugs = [o.slug for o in outcomes]
    duplicate = next((s for s in slugs if slugs.count(s) > 1), None)
    if duplicate:
        raise LoadError(path, f"two folders define the pilot '{duplicate}'")
    return outcomes


def company_model(path: Path) -> Path | None:
    """The cost-of-poor-service file a load of ``path`` needs first, if there is one:
    beside the pilot folders, or beside the one pilot folder loaded on its own."""
    if (path / DEFINITION).is_file():
        return poor_service_file.model_file(path.parent)
    return poor_service_file.model_file(path)


def folder_digest(folder: Path) -> str:
    """A digest of the files a load reads, so an unchanged folder can be skipped."""
    digest = hashlib.sha256()
    for file in data_files(folder):
        digest.update(f"{file.name}\0{file_digest(file)}\0".encode())
    return digest.hexdigest()


def file_digest(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(folder: Path) -> list[Path]:
    patterns = (DEFINITION, "observations*.csv", "summary*.csv")
    return sorted({file for pattern in patterns for file in folder.glob(pattern)})


def load_folder(folder: Path, actor: str) -> LoadOutcome:
    definition = read_definition(folder / DEFINITION)
    digest = folder_digest(folder)
    pilot = db.session.scalar(select(Pilot).where(Pilot.slug == definition["slug"]))
    if pilot is not None and pilot.source_digest == digest:
        return LoadOutcome(pilot.slug, "unchanged", 0)
    action = "created" if pilot is None else "updated"
    # A pilot loaded for the first time has no one watching it yet.
    with watching_outcomes(pilot):
        status = pilot.status if pilot is not None else None
        if pilot is None:
            pilot = Pilot(slug=definition["slug"])
            db.session.add(pilot)
        source = Source(folder / DEFINITION, actor)
        with db.session.no_autoflush:  # the pilot is complete only once its partner is set
            hypotheses = _apply_definition(pilot, definition, source)
        pilot.source_digest = digest
        db.session.flush()
        replace_pilot_indicators(pilot, definition["indicators"])
        # Before the tables: a hypothesis their observations lock now was open in this change.
        for each in hypotheses:
            _put_on_record(each, source)
        rows = _load_tables(pilot, folder, definition)
    if status is not None:
        pilot_status_changed(pilot, status, actor=None)
    record(
        action,
        "pilot",
        actor=actor,
        entity_id=pilot.id,
        pilot_id=pilot.id,
        summary=f"{action} from {folder.name}/ ({rows} rows)",
    )
    return LoadOutcome(pilot.slug, action, rows)


def _apply_definition(pilot: Pilot, definition: dict, source: Source) -> list[HypothesisLoad]:
    for name in ("name", "status", "start_date", "end_date", "summary", "pilot_share"):
        setattr(pilot, name, definition.get(name))
    pilot.partner = _partner(definition["partner"])
    pilot.departments = [department_named(name) for name in definition["departments"]]
    metrics = _sync_metrics(pilot, definition["metrics"])
    hypotheses = _sync_hypotheses(pilot, definition["hypotheses"], metrics, source)
    iterations = _sync_iterations(pilot, definition["iterations"])
    _replace_suggestions(pilot, definition["suggestions"], iterations, source)
    _replace_finance(pilot, definition.get("finance"), metrics, source)
    return hypotheses


def _partner(fields: dict) -> Partner:
    # Found as the pages and the API find it, whatever the case of its name.
    partner = partner_named(fields["name"])
    if partner is None:
        partner = Partner(name=fields["name"])
        db.session.add(partner)
    for name, value in fields.items():
        setattr(partner, name, value)
    return partner


def _sync(existing: list, items: list[dict], key: str, make) -> dict:
    """Update rows by their natural key, add new ones, drop those no longer listed."""
    by_key = {getattr(row, key): row for row in existing}
    wanted = {item[key] for item in items}
    for gone in [row for k, row in by_key.items() if k not in wanted]:
        existing.remove(gone)
    rows = {}
    for item in items:
        row = by_key.get(item[key])
        if row is None:
            row = make()
            existing.append(row)
        rows[item[key]] = (row, item)
    return rows


def _sync_metrics(pilot: Pilot, items: list[dict]) -> dict[str, Metric]:
    rows = _sync(pilot.metrics, items, "key", Metric)
    for metric, item in rows.values():
        scale = item.get("scale")
        metric.key, metric.name, metric.kind = item["key"], item["name"], item["kind"]
        metric.direction, metric.unit = item["direction"], item["unit"]
        metric.indicator, metric.perspective = item["indicator"], item["perspective"]
        metric.scale_min, metric.scale_max = scale if scale else (None, None)
    # No flush yet: a removed metric may still be named by a hypothesis until those sync.
    return {key: metric for key, (metric, _) in rows.items()}


def _sync_hypotheses(
    pilot: Pilot, items: list[dict], metrics: dict[str, Metric], source: Source
) -> list[HypothesisLoad]:
    wanted = {item["key"] for item in items}
    for gone in pilot.hypotheses:
        if gone.key not in wanted and gone.locked_at is not None:
            raise LoadError(
                source.path,
                f"the hypothesis {gone.key} is locked (its observations began to arrive "
                f"{gone.locked_at:%Y-%m-%d}): a load cannot remove it; keep its [[hypotheses]]",
                field="hypotheses",
            )
    loads = []
    rows = _sync(pilot.hypotheses, items, "key", Hypothesis)
    for index, (hypothesis, item) in enumerate(rows.values()):
        before = hypothesis_state(hypothesis) if hypothesis.id is not None else None
        hypothesis.key, hypothesis.statement = item["key"], item["statement"]
        hypothesis.metric = metrics[item["metric"]]
        hypothesis.predictor = metrics.get(item.get("predictor"))
        hypothesis.role, hypothesis.design = item["role"], item["design"]
        hypothesis.method, hypothesis.alpha = item["method"], item["alpha"]
        hypothesis.minimum_effect = item.get("minimum_effect")
        hypothesis.planned_sample_size = item.get("planned_sample_size")
        hypothesis.quantiles = item.get("quantiles")
        # The folder states its hypotheses with its data: only one added to (or
        # pointed at) data the database held already is stated after them.
        if item.get("registration") == "exploratory":
            hypothesis.registration = "exploratory"
        loads.append(HypothesisLoad(index, hypothesis, item, before))
    return loads


def _put_on_record(load: HypothesisLoad, source: Source) -> None:
    """Record the folder's amendments and what changed, by the rule the pages follow.

    Amendments recorded before are matched, not added again; an entry the
    database does not hold is a new amendment. A change to a locked
    hypothesis needs one: else the whole load fails, at the changed key.
    """
    hypothesis, item = load.hypothesis, load.item
    where = (("hypotheses", load.index),)
    after = hypothesis_state(hypothesis)
    changed = [] if load.before is None else [k for k in after if load.before[k] != after[k]]
    changes = changes_between(load.before, after) if changed else []
    new = _new_amendments(hypothesis, item["amendments"])
    if load.before is not None and not changed:
        _refuse_empty_amendments(hypothesis, new, source, where)
    amendments = [
        _amendment(entry, changes, source, (*where, ("amendments", number)))
        for number, entry in new
    ]
    restated = measures_restated(load.before, after)
    if changed:
        try:
            # The log names who ran the load; each amendment names its own author.
            record_hypothesis_change(
                hypothesis, changes, amendments, actor=source.actor, restated=restated
            )
        except InvalidField:
            raise source.error(
                where,
                changed[0],
                f"the hypothesis {hypothesis.key} is locked (its observations began to arrive "
                f"{hypothesis.locked_at:%Y-%m-%d}) and this load changes it "
                f"({'; '.join(changes)}): "
                'say why in a new [[hypotheses.amendments]] entry with reason = "...", '
                "or undo the change",
            ) from None
    else:
        # Amendments recorded elsewhere (an exported pilot): history, kept as written.
        hypothesis.amendments.extend(amendments)
        lock_if_observed(hypothesis, restated=restated)
    if hypothesis.locked_at is None:
        # A load never unlocks a hypothesis nor moves the day it locked.
        hypothesis.locked_at = item.get("locked_at")


def _refuse_empty_amendments(hypothesis, new: list, source: Source, where: tuple) -> None:
    """An amendment written by hand records a change: without one it is a mistake."""
    for number, entry in new:
        if "changes" not in entry:
            raise source.error(
                (*where, ("amendments", number)),
                "reason",
                f"this amendment matches none recorded for {hypothesis.key}, and the load "
                f"changes nothing in {hypothesis.key}: an amendment goes with a change "
                "(and one recorded cannot be rewritten)",
            )


def _new_amendments(hypothesis: Hypothesis, entries: list[dict]) -> list[tuple[int, dict]]:
    """The entries no recorded amendment matches, each recorded one matching one entry."""
    unmatched = list(hypothesis.amendments)
    new = []
    for number, entry in enumerate(entries):
        match = next((a for a in unmatched if _same_amendment(a, entry)), None)
        if match is None:
            new.append((number, entry))
        else:
            unmatched.remove(match)
    return new


def _same_amendment(amendment: HypothesisAmendment, entry: dict) -> bool:
    # An entry written by hand gives only the reason; an exported one gives all.
    given = {
        "reason": amendment.reason,
        "at": amendment.at,
        "actor": amendment.actor,
        "changes": amendment.changes.splitlines(),
    }
    return all(entry[name] == value for name, value in given.items() if name in entry)


def _amendment(entry: dict, changes: list[str], source: Source, where) -> HypothesisAmendment:
    user = source.account(entry.get("by"), where)
    return HypothesisAmendment(
        reason=entry["reason"],
        at=entry.get("at") or utcnow(),
        actor=entry.get("actor") or (actor_name(user) if user else source.actor),
        user_id=user.id if user else None,
        changes="\n".join(entry.get("changes", changes)),
    )


def _sync_iterations(pilot: Pilot, items: list[dict]) -> dict[int, Iteration]:
    rows = _sync(pilot.iterations, items, "number", Iteration)
    for iteration, item in rows.values():
        for name, value in item.items():
            setattr(iteration, name, value)
    db.session.flush()
    return {number: iteration for number, (iteration, _) in rows.items()}


def _replace_suggestions(pilot: Pilot, items: list[dict], iterations: dict, source: Source) -> None:
    """Rewrite the suggestions the folder holds, each with its path, comments and votes.

    A suggestion is known by its author, text and date. One the folder wrote
    before keeps its place (and so its order) and gets what the folder says
    now; one added on the pages is kept as the pages have it, and its copy in
    an exported folder is not added again.
    """
    written_before: dict[tuple, list[Suggestion]] = {}
    made_here = set()
    query = select(Suggestion).where(Suggestion.pilot_id == pilot.id).order_by(Suggestion.id)
    for suggestion in db.session.scalars(query):
        known_by = (suggestion.author, suggestion.text, suggestion.proposed_on)
        if suggestion.from_file:
            written_before.setdefault(known_by, []).append(suggestion)
        else:
            made_here.add(known_by)
    for index, item in enumerate(items):
        known_by = (item["author"], item["text"], item.get("date"))
        if known_by in made_here:
            continue
        earlier = written_before.get(known_by)
        times = {}
        if earlier:
            suggestion = earlier.pop(0)
            times = _forget_record(suggestion)
        else:
            suggestion = Suggestion(pilot=pilot, from_file=True)
            db.session.add(suggestion)
        suggestion.author, suggestion.text = item["author"], item["text"]
        suggestion.status, suggestion.reason = item["status"], item["reason"]
        suggestion.department = department_named(item["department"]) if item["department"] else None
        suggestion.iteration = iterations.get(item.get("iteration"))
        suggestion.proposed_on = item.get("date")
        _add_record(suggestion, item, iterations, source, (("suggestions", index),), times)
    gone = [s.id for left in written_before.values() for s in left]
    if gone:
        db.session.execute(delete(Suggestion).where(Suggestion.id.in_(gone)))


def _forget_record(suggestion: Suggestion) -> dict[tuple, list]:
    """Drop the suggestion's path, comments and votes; returns when each was made.

    An entry the folder gives without ``at`` keeps the time it was first
    loaded at, so reloading a folder does not move it.
    """
    times: dict[tuple, list] = {}
    for step in suggestion.steps:
        times.setdefault(("step", step.from_status, step.status, step.actor), []).append(step.at)
    suggestion.steps.clear()
    for model in (SuggestionComment, SuggestionVote):
        rows = db.session.scalars(
            select(model).where(model.suggestion_id == suggestion.id).order_by(model.id)
        )
        for row in rows:
            text = row.text if model is SuggestionComment else None
            times.setdefault((model.__name__, row.user_id, text), []).append(row.created_at)
        db.session.execute(delete(model).where(model.suggestion_id == suggestion.id))
    return times


def _add_record(suggestion: Suggestion, item: dict, iterations: dict, source, where, times) -> None:
    """The suggestion's path, comments and votes, as the folder gives them."""

    def when(entry: dict, *known_by) -> datetime:
        earlier = times.get(known_by)
        return entry.get("at") or (earlier.pop(0) if earlier else utcnow())

    for number, step in enumerate(item["steps"]):
        user = source.account(step.get("by"), (*where, ("steps", number)))
        suggestion.steps.append(
            SuggestionStep(
                from_status=step["from"],
                status=step["status"],
                iteration=iterations.get(step.get("iteration")),
                reason=step["reason"],
                actor=step["actor"],
                user_id=user.id if user else None,
                at=when(step, "step", step["from"], step["status"], step["actor"]),
            )
        )
    for number, comment in enumerate(item["comments"]):
        user = source.account(comment["by"], (*where, ("comments", number)))
        at = when(comment, "SuggestionComment", user.id, comment["text"])
        db.session.add(
            SuggestionComment(suggestion=suggestion, user=user, text=comment["text"], created_at=at)
        )
    for number, vote in enumerate(item["votes"]):
        user = source.account(vote["by"], (*where, ("votes", number)))
        at = when(vote, "SuggestionVote", user.id, None)
        db.session.add(SuggestionVote(suggestion=suggestion, user=user, created_at=at))


def _replace_finance(
    pilot: Pilot, finance: dict | None, metrics: dict[str, Metric], source: Source
) -> None:
    for model in (CostItem, Benefit, PoorServiceClaim):
        db.session.execute(delete(model).where(model.pilot_id == pilot.id))
    plan = db.session.get(FinancePlan, pilot.id)
    if finance is None:
        if plan is not None:
            db.session.delete(plan)
        return
    if plan is None:
        plan = FinancePlan(pilot_id=pilot.id)
        db.session.add(plan)
    plan.currency, plan.discount_rate = finance["currency"], finance["discount_rate"]
    plan.horizon_years = finance["horizon_years"]
    for cost in finance["costs"]:
        db.session.add(CostItem(pilot_id=pilot.id, **cost))
    for benefit in finance["benefits"]:
        db.session.add(
            Benefit(
                pilot_id=pilot.id,
                metric=metrics[benefit["metric"]],
                value_per_unit=benefit["value_per_unit"],
                volume_per_year=benefit["volume_per_year"],
                description=benefit["description"],
            )
        )
    for programme in finance["programmes"]:
        _programme(programme)
    for index, claim in enumerate(finance["poor_service"]):
        line = poor_service.line_keyed(claim["line"])
        where = (("finance.poor_service", index),)
        if line is None:
            raise source.error(
                where,
                "line",
                f"the cost of poor service has no line '{claim['line']}': load "
                "company/poor-service.toml (or add the line on its page) first",
            )
        if line.currency != finance["currency"]:
            raise source.error(
                where,
                "line",
                f"the line '{line.key}' is in {line.currency} and this finance case in "
                f"{finance['currency']}",
            )
        db.session.add(
            PoorServiceClaim(
                pilot_id=pilot.id,
                line=line,
                metric=metrics[claim["metric"]],
                share=claim["share"],
                description=claim["description"],
            )
        )


def _programme(fields: dict) -> None:
    programme = db.session.scalar(select(Programme).where(Programme.name == fields["name"]))
    if programme is None:
        programme = Programme(name=fields["name"])
        db.session.add(programme)
    programme.roi, programme.description = fields["roi"], fields["description"]


def _load_tables(pilot: Pilot, folder: Path, definition: dict) -> int:
    """Replace what earlier loads of this folder stored (one batch per file), and the uploads
    and API pushes that an exported folder's files carry already."""
    db.session.execute(
        delete(ImportBatch).where(ImportBatch.pilot_id == pilot.id, ImportBatch.origin == "file")
    )
    if definition["carries_batches"]:
        db.session.execute(
            delete(ImportBatch).where(
                ImportBatch.pilot_id == pilot.id,
                ImportBatch.origin.in_(CARRIED_ORIGINS),
                ImportBatch.digest.in_(definition["carries_batches"]),
            )
        )
    metrics = {metric.key: metric for metric in pilot.metrics}
    iterations = {item["number"] for item in definition["iterations"]}
    rows = 0
    for file in sorted(folder.glob("observations*.csv")):
        writer = BatchWriter(pilot, "file", file.name, file_digest(file))
        writer.add_all(read_observations(file, metrics, iterations))
        rows += writer.finish().rows
    for file in sorted(folder.glob("summary*.csv")):
        writer = BatchWriter(pilot, "file", file.name, file_digest(file))
        for metric, group, period, n, mean, sd in read_summaries(file, metrics):
            writer.add_summary(metric, group, period, n, mean, sd)
        rows += writer.finish().rows
    return rows
