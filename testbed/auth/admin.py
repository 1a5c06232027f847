"""Administration: user accounts and departments."""

from flask import Blueprint, render_template
from sqlalchemy import select

from testbed.auth.access import requires
from testbed.auth.models import Department, User
from testbed.extensions import db

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("/users")
@requires("admin.manage")
def users():
    users = db.session.scalars(select(User).order_by(User.email))
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return render_template("admin/users.html", users=users, departments=departments)
