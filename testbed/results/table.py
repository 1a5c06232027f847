"""A readable text table of a pilot's results, for the terminal."""

from __future__ import annotations


def render_table(report: dict) -> str:
    lines = [f"Pilot: {report['pilot']}  (p adjusted by {report['correction']})", ""]
    header = (
        f"{'hyp':<6} {'role':<10} {'metric':<22} {'design':<10} {'method':<10} "
        f"{'n base':>8} {'n pilot':>8} {'effect':>11} {'interval':>25} {'p':>8}"
    )
    lines += [header, "-" * len(header)]
    for result in report["results"]:
        absolute = result["absolute"] or {}
        interval = (
            f"[{_number(absolute.get('ci_low'))}, {_number(absolute.get('ci_high'))}]"
            if absolute
            else ""
        )
        p_value = (
            result["p_value_adjusted"]
            if result["p_value_adjusted"] is not None
            else result["p_value"]
        )
        lines.append(
            f"{result['hypothesis']:<6} {result['role']:<10} {result['metric'][:22]:<22} "
            f"{result['design']:<10} {result['method']:<10} {result['baseline']['n']:>8} "
            f"{result['pilot']['n']:>8} {_number(absolute.get('estimate')):>11} "
            f"{interval:>25} {_number(p_value):>8}"
        )
        exploratory = (
            "Exploratory, p not adjusted. " if result["registration"] == "exploratory" else ""
        )
        lines.append(f"       {exploratory}{result['verdict']}")
    lines += ["", f"Decision — {report['decision']['rule']}"]
    return "\n".join(lines)


def _number(value) -> str:
    return "–" if value is None else f"{value:.4g}"
