"""A page of answers that could not be saved (its page or session had expired, or the database
was out of reach), shown again with what was typed, so that nothing typed is lost."""

from __future__ import annotations

from flask import render_template, request, session

import forms

from .answer_fields import form_class, render_section

ANSWER_PAGES = ("employer.section", "coordinator.enter_section")


def expired_answers(signed_in: bool, organisation: str | None = None) -> tuple[str, int]:
    """A page of answers sent once its page or session had expired: shown again, unsaved, with the
    way back in if the person was signed out (the token, the idle clock, the session's lifetime)."""
    page = unsaved_page()
    if organisation:
        page["organisation"] = organisation
    return render_template(
        "errors/unsaved.html",
        why="expired",
        signed_in=signed_in,
        coordinator=request.endpoint == "coordinator.enter_section",
        **page,
    ), 400


def unsaved_page() -> dict:
    """The posted page again: the section's questions filled with what was typed, when the
    session says which questionnaire it is; otherwise the values kept in hidden fields."""
    section_id = (request.view_args or {}).get("section_id")
    key = session.get("questionnaire") or request.form.get("questionnaire", "")  # the page says, if the session can't
    if request.endpoint in ANSWER_PAGES and section_id and "@" in key:
        try:
            questionnaire = forms.load(*key.split("@", 1))
            section = questionnaire.section(section_id)
        except (KeyError, ValueError, FileNotFoundError):  # a key posted, not one the session holds
            section = None
        if section is not None:
            form = form_class(questionnaire, section)(formdata=request.form)
            return {
                "section": section,
                "form": form,
                "questions": render_section(form, section),
                "organisation": session.get("organisation"),
            }
    kept = [(k, v) for k, vs in request.form.lists() for v in vs if k != "csrf_token"]
    return {"section": None, "kept": kept}
