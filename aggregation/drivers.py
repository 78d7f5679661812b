"""What keeps people: how strongly each standard's score goes with intending to stay.

A logistic regression (statsmodels) of agreeing that one intends to stay with one's organisation
for the next 12 months (agree or strongly agree, against the other three points of the scale) on
the eight standards' scores, each per 10 points. A standard's odds ratio says how the odds of
intending to stay change with 10 more points on that standard, the other seven held level; its
95 % confidence interval says how sure that is. Only respondents with a score for every standard
and a view on staying take part; the others are left out and counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import forms

from . import scores

STAY = "intend_to_stay"
MIN_RESPONDENTS = 100  # an organisation's own drivers only from at least this many respondents
METHOD = (
    "Each standard's odds ratio comes from one logistic regression of intending to stay for the next "
    "12 months (agreeing or strongly agreeing) on all eight standards' scores, each per 10 points. An odds "
    "ratio above 1 means people who score that standard 10 points higher are more likely to intend to "
    "stay, the other standards being equal; below 1, less likely. Where the 95% confidence interval "
    "includes 1, the data cannot tell the standard's part apart from chance. Only people who scored "
    "every standard and gave a view on staying are counted."
)


def shown(found: dict[str, Any], threshold: int) -> dict[str, Any]:
    """The regression as a report shows it: no count below the threshold. Where fewer than the
    threshold were left out, neither how many nor how many took part (the two add up to everyone
    who answered, which the report gives)."""
    out = {k: v for k, v in found.items() if k != "staying"} | {"too_few": found["respondents"] < MIN_RESPONDENTS}
    if found["left_out"] < threshold:
        out |= {"respondents": None, "left_out": None, "threshold": threshold}
    return out


def taking_part(found: dict[str, Any]) -> str:
    """Who the regression is from, in plain words."""
    if found["left_out"] is None:
        return (
            f"all who answered except fewer than {found['threshold']}, left out because they did not score "
            "every standard or gave no view on staying"
        )
    return (
        f"{found['respondents']:,} people; {found['left_out']:,} left out because they did not score every "
        "standard or gave no view on staying"
    )


def why_not(found: dict[str, Any]) -> str:
    """Why a regression was not estimated, in plain words (no small count given away)."""
    if found.get("too_few", (found["respondents"] or 0) < MIN_RESPONDENTS):
        return (
            f"Not worked out this year: it needs at least {MIN_RESPONDENTS} people who scored every standard "
            "and said whether they intend to stay, and there were fewer."
        )
    return (
        "Not worked out this year: the answers could not be modelled (for example, nearly everyone gave the "
        "same answer about staying)."
    )


def drivers(df: pd.DataFrame, questionnaire: forms.Questionnaire) -> dict[str, Any]:
    """The regression for the respondents in ``df`` (a ``scores.frame``): for each standard its
    odds ratio per 10 points and 95 % interval, with how many took part and how many were left out.
    ``estimated`` is False (and no ratios are given) where it cannot be fitted."""
    import statsmodels.api as sm  # statsmodels takes seconds to load: only the drivers analysis needs it

    found = scores.standards(questionnaire)
    x = scores.respondent_scores(df, questionnaire) / 10
    stay = df[STAY].astype(object)
    y = stay.map({"agree": 1.0, "strongly_agree": 1.0, "neither": 0.0, "disagree": 0.0, "strongly_disagree": 0.0})
    usable = x.notna().all(axis=1) & y.notna()
    out: dict[str, Any] = {
        "respondents": int(usable.sum()),
        "left_out": int((~usable).sum()),
        "staying": int(y[usable].sum()),
        "estimated": False,
        "standards": [],
    }
    if out["respondents"] < MIN_RESPONDENTS or out["staying"] in (0, out["respondents"]):
        return out
    design = sm.add_constant(x[usable].to_numpy(), has_constant="add")
    try:
        fit = sm.Logit(y[usable].to_numpy(), design).fit(disp=0, maxiter=100)
    except (np.linalg.LinAlgError, ValueError):  # a standard with no spread, or separation
        return out
    if not fit.mle_retvals.get("converged", False):
        return out
    low, high = np.exp(fit.conf_int(0.05)[1:].T)
    ratio = np.exp(fit.params[1:])
    out["estimated"] = True
    out["standards"] = [
        {
            "id": s.id,
            "number": s.number,
            "title": s.title,
            "odds_ratio": float(r),
            "low": float(lo),
            "high": float(hi),
            "clear": bool(lo > 1 or hi < 1),
        }
        for s, r, lo, hi in zip(found, ratio, low, high)
    ]
    return out
