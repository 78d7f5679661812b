"""Issue 31: the comment review queue at the scale of a national year: pages of 50 in a fixed
order (never the order of the ids), filters kept across pages and decisions, a decision that
moves on and says what it did, bulk approval of what the rules found nothing in, and "Other
(please specify)" answers coded rather than reviewed."""

from __future__ import annotations

import random
import re
from html import unescape

from sqlalchemy import func, select

from bench.review_queue import fill_queue
from forms import load
from forms.synthetic import answers
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, CommentReview, Organisation, Response, StaffResponse
from healthcheck.redaction import marks
from healthcheck.store import Actor, publication, returns, review, review_queue
from tests.helpers import signed_in

BASE = "/admin/cycles/2017/comments"


def listed(html: str) -> list[int]:
    """The ids of the comments a queue page lists, in its order."""
    return [int(i) for i in re.findall(r'<li class="app-queue__item" id="comment-(\d+)"', html)]


def where(item_id: int) -> tuple[str, int, int]:
    """(organisation name, organisation id, place of the question) of a comment: the queue's order."""
    item = db.session.get(CommentReview, item_id)
    if item.response_id is not None:
        org = db.session.get(Response, item.response_id).organisation
        keys = [q.id for q, _ in review_queue.reviewed_keys(load("health-check", "2017.1"))]
        return org.name, org.id, keys.index(item.question_id)
    org = db.session.get(StaffResponse, item.staff_response_id).organisation
    return org.name, org.id, 1000


def test_the_queue_is_paged_in_organisation_and_question_order_with_filters_kept(app, accounts, cycle):
    fill_queue(cycle.id, 260, 12)
    db.session.commit()
    pending = db.session.scalar(
        select(func.count()).select_from(CommentReview).where(CommentReview.status == "pending")
    )
    client = signed_in(app, "coordinator")
    first = client.get(BASE).get_data(as_text=True)
    assert len(listed(first)) == 50 and f"Showing 1 to 50 of {pending} comments" in first
    pages = -(-pending // 50)
    seen: list[int] = []
    for n in range(1, pages + 1):
        seen += listed(client.get(f"{BASE}?page={n}").get_data(as_text=True))
    assert len(seen) == len(set(seen)) == pending  # every pending comment once
    order = [where(i) for i in seen]
    assert order == sorted(order)  # organisation, then question; a stable key last
    assert seen != sorted(seen)  # inserted shuffled: the order is not the ids'
    last = client.get(f"{BASE}?page=999").get_data(as_text=True)  # past the end: the last page
    assert listed(last) == seen[(pages - 1) * 50 :]

    # Filters: each narrows to what it names, and paging keeps them.
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Queue Borough 003"))
    by_org = client.get(f"{BASE}?organisation={org.id}").get_data(as_text=True)
    assert listed(by_org) and all(where(i)[0] == "Queue Borough 003" for i in listed(by_org))
    standard5 = client.get(f"{BASE}?standard=5&status=all").get_data(as_text=True)
    keys = {db.session.get(CommentReview, i).question_id for i in listed(standard5)}
    assert keys == {"supervision_comments"}
    staff = client.get(f"{BASE}?survey=staff&status=all").get_data(as_text=True)
    assert listed(staff) and all(db.session.get(CommentReview, i).staff_response_id for i in listed(staff))
    assert "Staff survey" in staff
    question = client.get(f"{BASE}?question=return:final_comments&status=approved").get_data(as_text=True)
    assert all(
        (c := db.session.get(CommentReview, i)).question_id == "final_comments" and c.status == "approved"
        for i in listed(question)
    )
    paged = unescape(client.get(f"{BASE}?survey=return").get_data(as_text=True))
    assert f"{BASE}?page=2&status=pending&survey=return" in paged  # the next page keeps the filter
    nothing = client.get(f"{BASE}?survey=staff&standard=5").get_data(as_text=True)
    assert listed(nothing) == [] and "No pending comments match these filters" in nothing
    nonsense = client.get(f"{BASE}?status=zzz&organisation=x&standard=99&page=-4")
    assert nonsense.status_code == 200 and len(listed(nonsense.get_data(as_text=True))) == 50

    # Each item names its organisation, standard and question, with placeholders highlighted.
    item = db.session.scalar(
        select(CommentReview).where(CommentReview.redacted.contains("<name>"), CommentReview.response_id.is_not(None))
    )
    name, org_id, _ = where(item.id)
    page = client.get(f"{BASE}?organisation={org_id}&status=all").get_data(as_text=True)
    block = page.split(f'id="comment-{item.id}"')[1].split("</li>")[0]
    q = review_queue.Question
    label = next(x for x in review_queue.questions(cycle) if x.key == item.question_id)
    assert isinstance(label, q) and name in block and unescape(label.section) in unescape(block)
    assert (
        '<mark class="app-placeholder"><span class="govuk-visually-hidden">redacted as </span>&lt;name&gt;</mark>'
        in block
    )


def test_a_decision_moves_to_the_next_comment_under_the_filters_and_says_what_it_did(app, accounts, cycle):
    fill_queue(cycle.id, 200, 6)
    db.session.commit()
    client = signed_in(app, "coordinator")
    queue = listed(client.get(f"{BASE}?standard=5").get_data(as_text=True))
    assert len(queue) >= 3
    first, second, third = queue[:3]
    path = f"{BASE}/{first}?standard=5&status=pending"
    opened = client.get(path).get_data(as_text=True)
    assert 'data-key="a"' in opened and "Keyboard shortcuts" in opened
    assert f"/comments/{second}?" in unescape(opened)  # "Skip to the next comment"
    item = db.session.get(CommentReview, first)
    done = client.post_form(path, {"redacted": item.redacted, "decision": "approved"})
    assert done.status_code == 302
    assert unescape(done.headers["Location"]).endswith(f"/comments/{second}?status=pending&standard=5")
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    name = where(first)[0]
    assert (
        f"Approved as redacted: the comment from {name} (Standard 5: Effective and Appropriate Supervision, "
        "additional comments)"
    ) in unescape(after)
    assert db.session.get(CommentReview, first).status == "approved"

    # Edited, then approved: says so, and publishes the edit.
    edited = client.post_form(f"{BASE}/{second}?standard=5", {"redacted": "Edited text.", "decision": "approved"})
    assert unescape(edited.headers["Location"]).endswith(f"/comments/{third}?status=pending&standard=5")
    assert "Approved as edited" in client.get(edited.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CommentReview, second).redacted == "Edited text."
    rejected = client.post_form(f"{BASE}/{third}?standard=5", {"redacted": "x", "decision": "excluded"})
    assert "Rejected (excluded from publication)" in client.get(rejected.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CommentReview, third).status == "excluded"
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("comment_%"))))
    assert actions.count("comment_approved") == 2 and actions.count("comment_excluded") == 1

    # The last one under a filter goes back to the list, with the filter.
    org = where(queue[0])[1]
    mine = listed(client.get(f"{BASE}?organisation={org}").get_data(as_text=True))
    for i in mine:
        back = client.post_form(f"{BASE}/{i}?organisation={org}", {"redacted": "ok", "decision": "approved"})
    assert unescape(back.headers["Location"]).endswith(f"{BASE}?status=pending&organisation={org}")
    empty = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "No pending comments match these filters" in empty and "Approved as edited" in empty

    # No decision chosen: an error by the field, nothing saved.
    left = listed(client.get(BASE).get_data(as_text=True))[0]
    missing = client.post_form(f"{BASE}/{left}", {"redacted": "x"})
    assert missing.status_code == 400 and "Select a decision" in missing.get_data(as_text=True)


def test_comments_with_nothing_suggested_are_approved_in_bulk_from_the_page_shown(app, accounts, cycle):
    fill_queue(cycle.id, 150, 5)
    db.session.commit()
    client = signed_in(app, "coordinator")
    page = client.get(BASE).get_data(as_text=True)
    offered = re.findall(r'name="approve" type="checkbox" value="(\d+):([0-9a-f]+)" checked', page)
    shown = listed(page)
    assert offered and len(offered) < len(shown)
    for i in shown:  # offered: what the rules left alone and were sure of
        c = db.session.get(CommentReview, i)
        assert (str(i) in {o[0] for o in offered}) == (c.redacted == c.original and not marks(c.original, where(i)[0]))
    assert "Redaction suggested" in page
    suggested = next(i for i in shown if str(i) not in {o[0] for o in offered})
    sneaked = db.session.get(CommentReview, suggested)
    chosen = [f"{i}:{seen}" for i, seen in offered[:-1]]  # one left unticked
    chosen.append(f"{suggested}:{review.text_seen(sneaked)}")  # and one with a redaction, forged in
    assert client.post(f"{BASE}/approve", data={"approve": chosen}).status_code == 400  # no CSRF token
    done = client.post_form(f"{BASE}/approve", {"approve": chosen}, token_from=BASE)
    assert done.status_code == 302 and unescape(done.headers["Location"]).endswith(f"{BASE}?status=pending&page=1")
    banner = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Approved {len(offered) - 1} comments as written. 1 was not approved" in banner
    db.session.expire_all()
    approved = {int(i) for i, _ in offered[:-1]}
    assert {
        c.id
        for c in db.session.scalars(
            select(CommentReview).where(CommentReview.id.in_(shown), CommentReview.status == "approved")
        )
    } == approved
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "comments_approved_in_bulk"))
    assert event.detail == {"cycle": 2017, "approved": len(approved), "left": 1}
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "comment_approved")
    ) == len(approved)

    # A comment changed since the page was shown is not approved; nor is anything for a viewer.
    target = db.session.get(CommentReview, int(offered[-1][0]))
    target.original = target.redacted = "Changed since."
    db.session.commit()
    again = client.post_form(f"{BASE}/approve", {"approve": [f"{offered[-1][0]}:{offered[-1][1]}"]}, token_from=BASE)
    assert "Approved 0 comments as written. 1 was not approved" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )
    viewer = signed_in(app, "viewer")
    assert viewer.post_form(f"{BASE}/approve", {"approve": chosen}, token_from=BASE).status_code == 403
    assert 'name="approve"' not in viewer.get(BASE).get_data(as_text=True)


def test_other_please_specify_answers_are_coded_not_reviewed_and_published_once_coded(app, accounts, employers, cycle):
    q = load("health-check", "2017.1")
    org = employers["a"][0]
    given = answers(q, random.Random(5), org.name) | {
        "profession_opportunities": ["mentoring", "other"],
        "profession_opportunities_other": "Secondments",
        "final_comments": "Supervision is good.",
    }
    response = returns.find_return(cycle, org)
    returns.submit(response, Actor("Test"), q, replace_with=given)
    db.session.commit()
    other = db.session.scalar(
        select(CommentReview).where(CommentReview.question_id == "profession_opportunities_other")
    )
    final = db.session.scalar(select(CommentReview).where(CommentReview.question_id == "final_comments"))
    assert other is not None and final is not None
    client = signed_in(app, "coordinator")
    queue = client.get(f"{BASE}?status=all").get_data(as_text=True)
    assert final.id in listed(queue) and other.id not in listed(queue) and "Secondments" not in queue
    assert client.get(f"{BASE}/{other.id}").status_code == 404
    assert [c["text"] for c in publication.dataset(cycle).comments] == []  # nothing approved or coded yet

    coding = client.get("/admin/cycles/2017/coding").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", coding, re.S)[1:]
    texts = [re.sub(r"<[^>]+>", " ", r) for r in rows]
    assert len(texts) == len({" ".join(t.split()) for t in texts})  # no two rows read the same
    assert "Standard 2: Effective Workforce Planning" in coding and "Other (please specify)" in coding
    path = "/admin/cycles/2017/coding/profession_opportunities_other"
    coded = client.post_form(path, {f"code-{response.id}": ["mentoring"], "action": "save"})
    assert coded.status_code == 302
    out = publication.dataset(cycle).comments
    assert [(c["question_id"], c["text"], c["categories"]) for c in out] == [
        ("profession_opportunities_other", "Secondments", ["mentoring"])
    ]
