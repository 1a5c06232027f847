"""The Content-Security-Policy, enforced by a real browser: injected script does not run.

Autoescaping already shows a stored ``<script>`` as text, so a stored text alone
would prove the templates, not the policy. The policy is the second wall, for
the day escaping is missed (a ``|safe``, markup built in Python): here the
stored text is put into the served page as markup, as such a bug would, and
only the policy the page arrived with stands between it and running. Without
the header this test fails; with it, the browser refuses both the inline event
handler and the inline script and reports each as a violation.
"""

from __future__ import annotations

from playwright.sync_api import expect

from testbed.auth.services import create_user
from testbed.extensions import db
from testbed.suggestions.services import add_suggestion

TAKEN = "taken over"
HOSTILE = (
    f'<img src="/no-such-image.png" onerror="window.injected = \'handler\'; '
    f"document.title = '{TAKEN}'\">"
    f"<script>window.injected = 'script'; document.title = '{TAKEN}'</script>"
)

# Put the markup in the page as a missed escape would, and resolve once the image has
# failed to load: its inline handler, registered first, has then run or been refused.
# A script element that arrives through innerHTML never runs, whatever the policy, so
# its text goes into a script element of its own, which runs when added unless refused.
INJECT = """(markup) => new Promise((done) => {
    window.violations = [];
    document.addEventListener("securitypolicyviolation",
        (event) => window.violations.push(event.effectiveDirective));
    const holder = document.createElement("div");
    holder.innerHTML = markup;
    const typed = holder.querySelector("script");
    const script = document.createElement("script");
    script.textContent = typed.textContent;
    typed.remove();
    holder.querySelector("img").addEventListener("error", () => done());
    document.body.append(holder, script);
})"""


def test_an_injected_inline_script_and_event_handler_do_not_run(page, sign_in, loaded_pilot):
    ines = create_user("ines@example.org", "innovation", "a long password", name="Ines")
    suggestion = add_suggestion(loaded_pilot, HOSTILE, author=ines, department=None)
    db.session.commit()
    sign_in("ines@example.org")

    page.goto(f"/suggestions/{suggestion.id}")
    title = page.title()
    stored = page.locator("blockquote.sg-quote")
    expect(stored).to_have_text(HOSTILE)  # escaped: shown as typed

    page.evaluate(INJECT, stored.inner_text())

    assert page.evaluate("window.injected") is None
    assert page.title() == title != TAKEN
    # Each refusal is reported to the page; the reports arrive as tasks of their own.
    page.wait_for_function("window.violations.length >= 2")
    assert sorted(page.evaluate("window.violations")) == ["script-src-attr", "script-src-elem"]
