"""Issue 28: nothing stored follows the order staff survey responses came in, and repeat
responses (near-duplicates, bursts) are flagged for the coordinator, who can exclude them from the
results before publishing, and undo it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select, text

import forms
from aggregation import repeats
from healthcheck import jobs
from healthcheck.cli import staff_group
from healthcheck.extensions import db
from healthcheck.models import AuditEvent, CommentReview, StaffCode, StaffResponse
from healthcheck.store import staff
from tests.environment import now
from tests.helpers import answer, code_of, signed_in

Q = forms.load("staff-survey", "2020.1")
STATEMENTS = [q.id for q in Q.questions() if q.standard][:10]
BASE = dict.fromkeys(STATEMENTS, "agree")


def send(survey, org, answers, when=None, paced=False):
    return staff.submit(survey, org.id, dict(answers), Q, org.name, now=when, paced=paced)


def test_near_duplicates_are_alike_on_nine_in_ten_of_what_either_answered():
    items = [f"q{i}" for i in range(10)]
    a = dict.fromkeys(items, "agree")
    one_off = {**a, "q0": "disagree"}  # 9 of 10 alike: flagged
    two_off = {**a, "q0": "disagree", "q1": "disagree"}  # 8 of 10 with a, 9 of 10 with one_off
    blank = {k: v for k, v in a.items() if k != "q9"}  # 9 of the 10 either answered
    sparse = {"q0": "agree", "q1": "agree"}  # 2 of 10 either answered
    assert repeats.near_duplicates([("x", 1, a), ("y", 1, one_off)], items) == [repeats.Group(1, ("x", "y"), 0.9)]
    assert repeats.near_duplicates([("x", 1, a), ("z", 1, two_off)], items) == []
    assert repeats.near_duplicates([("x", 1, a), ("b", 1, blank)], items) == [repeats.Group(1, ("b", "x"), 0.9)]
    assert repeats.near_duplicates([("x", 1, a), ("s", 1, sparse)], items) == []
    assert repeats.near_duplicates([("x", 1, a), ("w", 2, a)], items) == []  # another organisation's
    # A chain makes one group: z is like y, y like x.
    [group] = repeats.near_duplicates([("z", 1, two_off), ("y", 1, one_off), ("x", 1, a)], items)
    assert group.ids == ("x", "y", "z") and group.share == 0.9
    # Lists (ticked boxes) compare as wholes; organisations of 600 are compared in chunks alike.
    many = [(f"r{i:04d}", 1, {"q0": ["a", "b"], "q1": str(i)}) for i in range(600)]
    assert repeats.near_duplicates(many, items) == []
    assert len(repeats.near_duplicates([*many, ("dup", 1, {"q0": ["a", "b"], "q1": "7"})], items)[0].ids) == 2


def test_a_burst_is_flagged_against_the_organisations_own_pace(app, employers, survey):
    org = employers["a"][0]
    start = now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)
    # Twenty in its first hour: no pace yet (three earlier hours with responses are needed), no burst.
    first = [send(survey, org, {**BASE, "role": str(i)}, start + timedelta(minutes=i), paced=True) for i in range(20)]
    assert not any(r.burst for r in first)
    for hour in (2, 4):  # two more hours with two each: 24 in 3 hours, a pace of 8 an hour
        for minute in (5, 40):
            send(survey, org, {**BASE, "role": "x"}, start + timedelta(hours=hour, minutes=minute), paced=True)
    code = staff.code_for(survey, org)
    late = start + timedelta(hours=6)
    # Reaching 4 times the pace (32) makes the hour a burst: the 32nd response onwards is flagged.
    sent = [send(survey, org, {**BASE, "role": str(i)}, late + timedelta(seconds=i), paced=True) for i in range(34)]
    assert [r.burst for r in sent] == [False] * 31 + [True] * 3
    assert (code.past_responses, code.past_hours, code.hour_responses) == (24, 3, 34)
    assert code.hour_started_at == late
    # Another organisation's pace is its own.
    other = employers["b"][0]
    assert not send(survey, other, BASE, late, paced=True).burst
    # The rule, with the floor of 5 for an organisation whose pace is slow.
    assert not staff.is_burst(4, 3, 3) and staff.is_burst(5, 3, 3) and not staff.is_burst(9, 30, 3)
    assert not staff.is_burst(100, 2, 2)
    # Imported responses are not paced.
    assert not send(survey, org, BASE, late).burst and code.hour_responses == 34


def test_a_practitioners_response_is_paced_by_the_databases_clock(app, employers, survey):
    org = employers["a"][0]
    answer(app.test_client(), code_of(survey, org), {"framework": {"s1_vision": "agree"}})
    code = db.session.scalar(select(StaffCode).where(StaffCode.organisation_id == org.id))
    hour = now().replace(minute=0, second=0, microsecond=0)
    assert code.hour_responses == 1 and code.hour_started_at in (hour, hour - timedelta(hours=1))


def test_the_coordinator_excludes_flagged_responses_and_undoes_it_audited(app, accounts, employers, survey):
    a, b = employers["a"][0], employers["b"][0]
    original = send(survey, a, {**BASE, "comment": "A fair place to work."})
    alike = send(survey, a, {**BASE, STATEMENTS[0]: "disagree"})  # 9 of 10 alike
    apart = send(
        survey, a, {**BASE, STATEMENTS[0]: "disagree", STATEMENTS[1]: "disagree", STATEMENTS[2]: "strongly_agree"}
    )
    elsewhere = send(survey, b, BASE)  # the same answers at another organisation: not a repeat
    burst = send(survey, b, {**BASE, STATEMENTS[5]: "disagree", STATEMENTS[6]: "disagree"})
    burst.burst = True
    db.session.commit()
    coordinator = signed_in(app, "coordinator")
    page = coordinator.get("/admin/cycles/2017/staff").get_data(as_text=True)
    assert "sent in a burst (1 so far)" in page and "/admin/cycles/2017/staff/flagged" in page
    flagged = coordinator.get("/admin/cycles/2017/staff/flagged").get_data(as_text=True)
    duplicates = re.search(r'id="duplicates-1">(.*?)</div>', flagged, re.S).group(1)
    assert "Northmoor County Council: 2 responses alike on at least 90% of their answers" in duplicates
    assert original.id[:8] in duplicates and alike.id[:8] in duplicates and apart.id[:8] not in flagged
    assert elsewhere.id[:8] not in flagged and 'id="duplicates-2"' not in flagged
    bursts = re.search(r'id="bursts-1">(.*?)</div>', flagged, re.S).group(1)
    assert "London Borough of Eastwick: 1 response in a burst" in bursts and burst.id[:8] in bursts
    # Listed by random id within an organisation, never by arrival.
    assert duplicates.index(min(original.id, alike.id)[:8]) < duplicates.index(max(original.id, alike.id)[:8])

    def change(response, what, client=coordinator):
        return client.post_form(
            f"/admin/cycles/2017/staff/flagged/{response.id}/{what}", {}, token_from="/admin/cycles/2017/staff/flagged"
        )

    assert staff.counted(survey, a.id) == 3 and len(staff.respondents(survey)) == 5
    assert change(apart, "exclude").status_code == 404  # only a flagged response is excluded here
    assert change(alike, "exclude").status_code == 302
    assert change(burst, "exclude").status_code == 302
    assert change(elsewhere, "exclude").status_code == 404
    db.session.expire_all()
    assert staff.counted(survey, a.id) == 2 and staff.counted(survey, b.id) == 1
    assert alike.id not in {r.id for r in staff.responses(survey) if not r.excluded}
    assert len(staff.respondents(survey)) == 3  # what publishing scores
    page = coordinator.get("/admin/cycles/2017/staff/flagged").get_data(as_text=True)
    assert page.count("Excluded</strong>") == 2 and f'aria-label="Count again response {alike.id[:8]}"' in page
    # Its comment is left out with it; the original's stays.
    item = db.session.scalar(select(CommentReview).where(CommentReview.staff_response_id == original.id))
    item.status = "approved"
    db.session.commit()
    assert [c["text"] for c in staff.data(survey).comments] == ["A fair place to work."]
    viewer = signed_in(app, "viewer")
    assert change(alike, "include", viewer).status_code == 403
    assert "Count again" not in viewer.get("/admin/cycles/2017/staff/flagged").get_data(as_text=True)
    assert change(alike, "include").status_code == 302
    db.session.expire_all()
    assert staff.counted(survey, a.id) == 3
    events = [
        (e.action, e.actor, e.detail)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["staff_exclude", "staff_include"])).order_by(AuditEvent.id)
        )
    ]
    assert events == [
        (
            "staff_exclude",
            "Cora Ordinator (coordinator coord@example.org)",
            {"staff_response": alike.id, "flagged": "duplicate"},
        ),
        (
            "staff_exclude",
            "Cora Ordinator (coordinator coord@example.org)",
            {"staff_response": burst.id, "flagged": "burst"},
        ),
        ("staff_include", "Cora Ordinator (coordinator coord@example.org)", {"staff_response": alike.id}),
    ]


def test_no_id_or_stored_order_follows_arrival(app, accounts, employers, survey):
    """Comments under review and drafts have random ids, staff responses random keys; the rows are
    stored in the order of those ids (SQLite at once; PostgreSQL after the nightly rewrite, which
    also gives every row the one transaction id and forgets each organisation's last hour)."""
    org = employers["a"][0]
    yesterday = now() - timedelta(days=1)
    sent = [send(survey, org, {**BASE, "comment": f"Comment {i}"}, yesterday, paced=True) for i in range(30)]
    db.session.commit()
    arrived = [r.id for r in sent]
    comments = [
        db.session.scalar(select(CommentReview.id).where(CommentReview.staff_response_id == i)) for i in arrived
    ]
    assert comments != sorted(comments) and len(set(comments)) == 30 and all(0 < c < 2**63 for c in comments)
    assert arrived != sorted(arrived)
    # The coordinator's address for a comment carries its random id.
    coordinator = signed_in(app, "coordinator")
    assert "Comment 3" in coordinator.get(f"/admin/cycles/2017/comments/{comments[3]}").get_data(as_text=True)
    assert coordinator.get(f"/admin/cycles/2017/comments/{2**63}").status_code == 404
    with db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        stored = (
            "SELECT id FROM staff_response ORDER BY ctid" if postgres else "SELECT id FROM staff_response NOT INDEXED"
        )  # the table itself, read from the start
        if postgres:  # as they came, until the night
            assert [r[0] for r in conn.execute(text(stored))] == arrived
        else:
            assert [r[0] for r in conn.execute(text(stored))] == sorted(arrived)
            assert [tuple(r) for r in conn.execute(text("SELECT rowid, id FROM comment_review NOT INDEXED"))] == [
                (c, c) for c in sorted(comments)
            ]

    done = CliRunner().invoke(staff_group, ["reorder"], catch_exceptions=False)  # as the worker's nightly task
    assert "stored in the order of their random ids" in done.output
    nightly = jobs.reorder_daily.task_class  # the worker's scheduler runs it at 03:45 each night
    assert nightly.validate_datetime(nightly, datetime(2026, 12, 8, 3, 45, tzinfo=UTC))
    assert not nightly.validate_datetime(nightly, datetime(2026, 12, 8, 14, 45, tzinfo=UTC))
    with db.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text(stored))] == sorted(arrived)
        if postgres:
            assert [r[0] for r in conn.execute(text("SELECT id FROM comment_review ORDER BY ctid"))] == sorted(comments)
            for table in ("staff_response", "comment_review"):
                assert conn.execute(text(f"SELECT count(DISTINCT xmin::text) FROM {table}")).scalar() == 1
    code = db.session.scalar(select(StaffCode).where(StaffCode.organisation_id == org.id))
    assert (code.hour_started_at, code.hour_responses, code.past_responses, code.past_hours) == (None, 0, 30, 1)
    assert db.session.get(StaffResponse, arrived[0]).answers["comment"] == "Comment 0"  # nothing else changed


def test_a_response_keeps_nothing_that_dates_it_closer_than_its_day(app, employers, survey):
    columns = set(StaffResponse.__table__.columns.keys())
    assert columns == {"id", "survey_id", "organisation_id", "answers", "submitted_on", "scored", "burst", "excluded"}
    sent = send(survey, employers["a"][0], BASE, datetime(2026, 12, 7, 14, 3, tzinfo=UTC), paced=True)
    assert sent.submitted_on.isoformat() == "2026-12-07"
