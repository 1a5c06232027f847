"""The staff role: any employee reads pilots, gives and votes on ideas, and reaches nothing else.

The access matrix (tests/security/test_access_matrix.py) gives every route's status for
staff; here the permission table itself is held to the issue's words, and the pages a
staff member can open are walked to show they link to nothing refused.
"""

from __future__ import annotations

import re

from testbed.auth.access import PERMISSIONS

STAFF_MAY = {"pilot.view", "idea.view", "idea.contribute", "notifications.read"}


def test_staff_hold_exactly_reading_pilots_ideas_and_their_own_notifications():
    held = {name for name, roles in PERMISSIONS.items() if "staff" in roles}
    assert held == STAFF_MAY


def test_every_page_a_staff_member_reaches_links_only_to_pages_they_may_open(
    client, login, give, loaded_pilot
):
    give()
    login("staff", email="walker@example.org")
    seen, refused, waiting = set(), [], ["/"]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200:
            refused.append((path, response.status_code))
            continue
        if response.mimetype == "text/html":
            for link in re.findall(r'href="(/[^"#]*)"', response.get_data(as_text=True)):
                if not link.startswith("/static/"):
                    waiting.append(link.replace("&amp;", "&"))
    assert refused == []
    # The walk did reach the pilot and the idea box from the header.
    assert {"/ideas", "/ideas/campaigns", f"/pilots/{loaded_pilot.slug}"} <= seen
    assert not {"/finance", "/departments", "/scorecard", "/account/tokens"} & seen
