"""The idea box under /api/v1: read ideas and campaigns, give an idea."""

from __future__ import annotations

from typing import Annotated

from flask import url_for
from flask_babel import gettext
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from testbed.api.endpoint import ApiError, Reply, api_user, endpoint, paginate, service_errors
from testbed.api.schemas import Answer, Moment, Page, PageQuery, Schema, free_text, one_of
from testbed.extensions import db
from testbed.ideas import services
from testbed.ideas.models import IDEA_STATUSES, Idea

TAG = "ideas"
Campaign = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-03"])]


class IdeaIn(Schema):
    title: free_text(services.MAX_TITLE, 1)
    text: free_text(services.MAX_TEXT, 1)


class IdeaOut(Answer):
    id: int
    title: str
    text: str
    author: str
    department: str | None = Field(description="The author's department when writing it.")
    campaign: Campaign
    status: one_of(IDEA_STATUSES)
    reason: str = Field(description="Why it was declined, when it was.")
    votes: int
    pilot: str | None = Field(description="The slug of the pilot it went into.")
    suggestion: int | None = Field(description="The id of the suggestion it became.")
    created_at: Moment


class IdeaPage(Page[IdeaOut]):
    """A page of ideas, newest first."""


class IdeaQuery(PageQuery):
    campaign: Campaign | None = Field(None, description="Only this month's campaign.")
    status: one_of(IDEA_STATUSES) | None = None


class CampaignRow(Answer):
    department: str
    people: int = Field(description="Active accounts of the department today.")
    contributors: int = Field(description="Of them, those who gave an idea in the month.")
    share: float | None = Field(description="contributors / people; null without people.")
    ideas: int
    statuses: dict[str, int]


class CampaignOut(Answer):
    campaign: Campaign
    departments: list[CampaignRow]
    company: CampaignRow


def present(idea: Idea, votes: int | None = None) -> IdeaOut:
    return IdeaOut(
        id=idea.id,
        title=idea.title,
        text=idea.text,
        author=idea.author.name or idea.author.email,
        department=idea.department.name if idea.department else None,
        campaign=idea.campaign,
        status=idea.status,
        reason=idea.reason,
        votes=services.vote_counts([idea.id])[idea.id] if votes is None else votes,
        pilot=idea.pilot.slug if idea.pilot else None,
        suggestion=idea.suggestion_id,
        created_at=idea.created_at,
    )


def _row(row: dict) -> CampaignRow:
    statuses = {status: row["statuses"][status] for status in IDEA_STATUSES}
    return CampaignRow(**{**row, "statuses": statuses})


@endpoint(
    "GET",
    "/ideas",
    summary="List the ideas of the idea box",
    tag=TAG,
    response=IdeaPage,
    permission="idea.view",
    query=IdeaQuery,
)
def list_ideas(query: IdeaQuery):
    statement = (
        select(Idea)
        .options(selectinload(Idea.author), selectinload(Idea.department), selectinload(Idea.pilot))
        .order_by(Idea.created_at.desc(), Idea.id.desc())
    )
    if query.campaign:
        statement = statement.where(Idea.campaign == query.campaign)
    if query.status:
        statement = statement.where(Idea.status == query.status)
    # The page's votes in one query, not one per idea.
    page = paginate(statement, query, lambda idea: idea)
    votes = services.vote_counts(idea.id for idea in page["items"])
    page["items"] = [present(idea, votes[idea.id]) for idea in page["items"]]
    return IdeaPage(**page)


@endpoint(
    "GET",
    "/ideas/<int:idea_id>",
    summary="One idea, with where it went",
    tag=TAG,
    response=IdeaOut,
    permission="idea.view",
    responses={404: "No idea has this id."},
)
def get_idea(idea_id: int):
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise ApiError(404, gettext("there is no idea #%(id)s", id=idea_id))
    return present(idea)


@endpoint(
    "POST",
    "/ideas",
    summary="Give an idea to this month's campaign",
    tag=TAG,
    response=IdeaOut,
    permission="idea.contribute",
    body=IdeaIn,
    status=201,
)
def create_idea(body: IdeaIn):
    """It counts for the current month and for your department."""
    with service_errors():
        idea = services.submit_idea(body.title, body.text, author=api_user())
    db.session.commit()
    return Reply(
        present(idea, votes=0), headers={"Location": url_for("api.get_idea", idea_id=idea.id)}
    )


@endpoint(
    "GET",
    "/ideas/campaigns/<campaign>",
    summary="One month's campaign: who took part, per department, and the ideas by status",
    tag=TAG,
    response=CampaignOut,
    permission="idea.view",
    responses={404: "Not a month written 2026-03."},
)
def get_campaign(campaign: str):
    """The share is the people of a department who gave an idea in the month over its active
    accounts today; an idea counts for the department its author was in when writing it."""
    if not services.is_campaign(campaign):
        raise ApiError(
            404, gettext("'%(campaign)s' is not a month: write it as 2026-03", campaign=campaign)
        )
    report = services.campaign_report(campaign)
    return CampaignOut(
        campaign=campaign,
        departments=[_row(row) for row in report["rows"]],
        company=_row(report["company"]),
    )
