"""Every figure a report prints, formatted in one place and the same way as the pages show it.

The summary must read like the results and finance pages it is taken from, so
the functions are theirs; gathering them here gives the report templates one
object to call. Each writes its figures the reader's way (testbed.i18n.figure), so
the summary and its PDF are in the language of the request.
"""

from __future__ import annotations

from flask import get_template_attribute

from testbed.results import views as results

FINANCE_MACROS = "finance/_macros.html"


def report_formats() -> dict:
    """Name → formatting function, for the report templates (``fmt.effect(...)`` and so on)."""
    money, roi, odds, years = (
        get_template_attribute(FINANCE_MACROS, name)
        for name in ("money", "percent", "chance", "years")
    )
    return {
        # As the results page shows hypotheses: effects, intervals, p-values.
        "number": results.number,
        "effect": results.amount,
        "span": results.span,
        "level": results.level,
        "relative": results.percent,
        "p_text": results.p_text,
        "chance": results.chance,
        # As the finance page shows returns: money, ROI, chances, years.
        "money": money,
        "roi": roi,
        "odds": odds,
        "years": years,
    }
