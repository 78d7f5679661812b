"""An employer's action plan: actions by standard, each with its dated history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import RAG, Action, ActionUpdate, Response
from . import Actor, audit

ACTION_FIELDS = (
    "section_id",
    "staff_standard",
    "description",
    "finding",
    "lead",
    "starts_on",
    "due_on",
    "outcome",
    "evidence",
)


def actions_of(response_id: int) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action).where(Action.response_id == response_id).order_by(Action.section_id, Action.id)
        )
    )


def action_of(response_id: int, action_id: int) -> Action | None:
    """An action only through its own return: another employer's id finds nothing."""
    if not 0 < action_id < 2**31:
        return None
    return db.session.scalar(select(Action).where(Action.id == action_id, Action.response_id == response_id))


class Conflict(Exception):
    """The action changed since the page being saved was opened: nothing was written."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"action {action.id} is at version {action.version}")
        self.stored = {k: getattr(action, k) for k in ACTION_FIELDS}
        self.version = action.version
        self.both: list[str] = []  # the fields this person and the other both changed


def save_action(
    response: Response, values: dict, actor: Actor, action: Action | None = None, expected: int | None = None
) -> Action:
    """Add an action, or change one: ``expected`` is the version the person's page showed, and if
    the action has changed since (or changes while this writes), nothing is written: Conflict."""
    if action is not None and expected != action.version:
        raise Conflict(action)
    if action is None:
        action = Action(response_id=response.id, created_by=actor.name, status=RAG.RED.value)
        db.session.add(action)
        before = None
    else:
        before = {k: _plain(getattr(action, k)) for k in ACTION_FIELDS}
    for key in ACTION_FIELDS:
        setattr(action, key, values.get(key))
    try:
        db.session.flush()  # the update names the version it replaces (the mapper's version_id_col)
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(Action, action.id)
        assert fresh is not None
        raise Conflict(fresh) from None
    audit(
        actor,
        "action_edit" if before else "action_add",
        response_id=response.id,
        detail={"action": action.id, "before": before, "after": {k: _plain(values.get(k)) for k in ACTION_FIELDS}},
    )
    return action


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def add_update(action: Action, text: str, actor: Actor, status: str | None = None) -> ActionUpdate:
    """A dated progress note; with a status, the change of RAG status and why."""
    changed = status if status and status != action.status else None
    note = ActionUpdate(
        action_id=action.id, by=actor.name, text=text, status_from=action.status if changed else None, status_to=changed
    )
    if changed:
        action.status = changed
    db.session.add(note)
    audit(
        actor,
        "action_status" if changed else "action_progress",
        response_id=action.response_id,
        detail={"action": action.id, "from": note.status_from, "to": note.status_to},
    )
    return note


def delete_action(action: Action, actor: Actor) -> None:
    audit(
        actor,
        "action_delete",
        response_id=action.response_id,
        detail={"action": action.id, "description": action.description},
    )
    db.session.delete(action)
