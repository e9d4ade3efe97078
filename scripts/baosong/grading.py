"""Event grades from figures, as the policy's threshold tables say (以上 includes the bound)."""

from __future__ import annotations

from baosong.vocab import CRITERIA_ZH

GRADES = ("I", "II", "III", "IV")  # most severe first


def severity(grade: str) -> int:
    """Lower is more severe; unknown grades sort last."""
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


def figures_of(doc: dict) -> dict[str, float]:
    casualties = doc.get("casualties") or {}
    figures = {k: casualties[k] for k in ("deaths", "serious_injuries") if isinstance(casualties.get(k), int)}
    loss = doc.get("economic_loss")
    if isinstance(loss, int | float) and not isinstance(loss, bool):
        figures["economic_loss"] = loss
    return figures


def computed_grade(category: str | None, figures: dict[str, float], policy: dict) -> tuple[str | None, str]:
    """(grade, reason). None when no table covers the category or no figure is known.

    The grade is the most severe level that any single criterion reaches.
    """
    for table in policy.get("grading", []):
        if category not in table.get("categories", []):
            continue
        if not figures:
            return None, ""
        for level in table.get("levels", []):
            for criterion, bound in level.items():
                if criterion in figures and figures[criterion] >= bound:
                    return level["grade"], f"{CRITERIA_ZH.get(criterion, criterion)} {figures[criterion]:g} ≥ {bound:g}"
        return table.get("default_grade", GRADES[-1]), ""
    return None, ""
