"""The open data API (/api/v1): what is published and nothing else, as JSON and CSV, each answer
checked against the OpenAPI document the app serves (Schemathesis); and coordinators' API tokens
for the raw export."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

import forms
from aggregation import scores
from healthcheck.api import views
from healthcheck.api.openapi import GROUPINGS_NOW
from healthcheck.auth import create_user
from healthcheck.extensions import db
from healthcheck.models import ApiToken, AuditEvent, Organisation, User
from healthcheck.store import staff
from tests.disclosure import Reader, attacker, public_attack
from tests.environment import now
from tests.helpers import lone_trust, publish, respond, signed_in, submit_return, with_peers

Q = forms.load("health-check", "2017.1")


@pytest.fixture
def published(app, accounts, employers, cycle, snapshot):
    """Edition 1 of 2017: 13 councils' returns and one NHS trust's (built once a session)."""

    def build():
        submit_return(app, employers["a"][1])
        with_peers(cycle)
        lone_trust(cycle)
        publish(app)

    snapshot("api-published", build)
    return app


def make_token(app, name: str = "analysis") -> str:
    coordinator = signed_in(app, "coordinator")
    page = coordinator.post_form("/admin/account/tokens/new", {"name": name}, token_from="/admin/account/tokens/new")
    assert page.status_code == 200
    return re.search(r'<code class="app-link" id="token">([^<]+)</code>', page.get_data(as_text=True)).group(1)


def by_type_table(client) -> dict:
    listed = client.get("/api/v1/editions/2017/tables?grouping=type").get_json()["tables"]
    chosen = next(t for t in listed if t["kind"] == "by_type")
    return client.get(chosen["url"]).get_json()


def test_every_operation_answers_as_the_openapi_document_says(app, accounts, employers, cycle, survey):
    """Schemathesis generates requests for every operation of the served document, valid and not,
    with a coordinator's token (and so through the raw export too): no 5xx, and every status,
    content type, header and body as documented. Then the answers for the published edition's
    real tables and levels, which random years rarely reach."""
    submit_return(app, employers["b"][1])
    with_peers(cycle)
    respond(survey, employers["a"][0], 14)
    respond(survey, employers["b"][0], 11, seed=3)
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    publish(app)
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    token = make_token(app)
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= set(schema.raw_schema["paths"]) - {"/api/v1/openapi.json"}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=auth)

        fuzz()

    client = app.test_client()
    known = [
        ("/api/v1/editions", {}),
        ("/api/v1/editions/{year}", {"year": 2017}),
        ("/api/v1/editions/{year}/tables", {"year": 2017}),
        ("/api/v1/raw/{year}", {"year": 2017}),
    ]
    known += [
        ("/api/v1/editions/{year}/staff-scores/{level}", {"year": 2017, "level": level})
        for level in ("organisations", "types", "regions", "national")
    ]
    known += [
        (
            "/api/v1/editions/{year}/tables/{grouping}/{table_id}",
            {"year": 2017, "grouping": t["grouping"], "table_id": t["id"]},
        )
        for t in client.get("/api/v1/editions/2017").get_json()["tables"]
    ]
    for path, parameters in known:
        for fmt in ("json", "csv"):
            response = (
                schema[path]["GET"]
                .Case(path_parameters=parameters, query={"format": fmt})
                .call_and_validate(headers=auth)
            )
            assert response.status_code == 200, (path, parameters, response.text[:300])


def test_the_document_lists_every_route_and_grouping_and_the_api_only_reads(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)  # no POST: nothing to protect from CSRF
    assert {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in rules} == set(document["paths"])
    assert document["openapi"].startswith("3.") and set(GROUPINGS_NOW) == set(views.GROUPINGS)
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["token"]["description"],
    }


def test_a_withheld_figure_is_null_and_marked_never_its_value(published):
    client = published.test_client()
    table = by_type_table(client)
    trust = [r for r in table["rows"] if r["group"] == "NHS Trust"]
    assert trust and all(r["withheld"] and r["value"] is None and r["printed"] is None for r in trust)
    assert table["withheld_reason"].startswith("*") and table["threshold"] == 3
    shown = [r for r in table["rows"] if not r["withheld"]]
    assert any(isinstance(r["printed"], int) for r in shown)
    assert "*" not in json.dumps(table["rows"])  # no printed marker left for a program to take for a figure


def test_the_csv_gives_the_same_rows_as_the_json(published):
    client = published.test_client()
    table = by_type_table(client)
    response = client.get(table["url"] + "&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [*table["columns"], "withheld"]
    as_text = [
        ["" if v is None else str(v) for v in (*(r[c] for c in table["columns"]), r["withheld"])] for r in table["rows"]
    ]
    assert rows[1:] == as_text and any(r[-1] == "True" for r in rows[1:])


def test_nothing_unpublished_is_reachable_and_errors_are_json(app, accounts, employers, cycle):
    client = app.test_client()
    submit_return(app, employers["a"][1])
    assert client.get("/api/v1/editions").get_json() == {"cycles": []}
    for path in (
        "/api/v1/editions/2017",
        "/api/v1/editions/2017/tables",
        "/api/v1/editions/1999",
        "/api/v1/editions/2017/staff-scores/national",
        "/api/v1/editions/99999999999999999999",
        "/api/v1/nowhere",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json and "error" in response.get_json(), path
    with_peers(cycle)
    publish(app)
    assert client.get("/api/v1/editions/2017").get_json()["edition"] == 1
    assert client.get("/api/v1/editions/2017?edition=2").status_code == 404
    for bad in ("?edition=0", "?edition=one", "?format=xml", "/tables?grouping=colour"):
        path = "/api/v1/editions/2017" + bad
        response = client.get(path)
        assert response.status_code == 400 and response.is_json and response.get_json()["error"], path
    refused = client.post("/api/v1/editions")
    assert refused.status_code == 405 and refused.is_json and "GET" in refused.headers["Allow"]
    assert client.get("/api/v1/editions/2017/tables/type/no-such-table").status_code == 404
    # The staff survey's figures are in no edition, and its frozen dataset is never served.
    assert client.get("/api/v1/editions/2017/staff-scores/national").status_code == 404


def test_editions_are_listed_current_and_superseded(published):
    client = published.test_client()
    publish(published)
    listed = client.get("/api/v1/editions").get_json()["cycles"]
    assert [(c["year"], c["current_edition"]) for c in listed] == [(2017, 2)]
    assert [(e["edition"], e["current"], e["superseded_by"]) for e in listed[0]["editions"]] == [
        (2, True, None),
        (1, False, 2),
    ]
    first = client.get("/api/v1/editions/2017?edition=1").get_json()
    assert first["current"] is False and first["groupings"] == ["type", "region"] and first["staff_scores"] == []
    assert all(t["url"].endswith("edition=1") for t in first["tables"])


def test_public_staff_scores_withhold_groups_of_too_few_organisations(app, accounts, employers, cycle, survey):
    """Two organisations answered: England and each type are too thin to publish beside one of
    them, whose PSW would have the other's by difference; their scores and counts are null. Every
    organisation's scores are for a coordinator's token only."""
    respond(survey, employers["a"][0], 14)
    respond(survey, employers["b"][0], 11, seed=3)
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    publish(app)
    client = app.test_client()
    national = client.get("/api/v1/editions/2017/staff-scores/national").get_json()
    assert national["minimum"] == 10 and national["rows"][0]["respondents"] is None
    assert all(
        c == {"score": None, "band": None, "respondents": None, "withheld": True, "why": "organisations"}
        for c in national["rows"][0]["scores"].values()
    )
    assert national["rows"][0]["respondents_withheld"] == "organisations"
    assert "fewer than three organisations" in national["reasons"]["organisations"]
    refused = client.get("/api/v1/editions/2017/staff-scores/organisations")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    token = make_token(app)
    rows = client.get(
        "/api/v1/editions/2017/staff-scores/organisations", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["rows"]
    assert sorted(r["respondents"] for r in rows) == [11, 14]


def test_the_apis_counts_give_no_withheld_count_away(app, accounts, employers, cycle, survey):
    """The case found on main: three NHS trusts of three respondents each beside three types of
    three councils each. England's count less the published types' was the trusts' 9. The attacker
    reads every staff survey level the API serves, counts and figures, and recovers nothing withheld."""

    layout = [(employers["a"][0], "Eastern", 25), (employers["b"][0], "London", 30)]
    for name, kind, region, size in (
        [
            ("Southby County Council", "Shire County", "Eastern", 28),
            ("Westby County Council", "Shire County", "Eastern", 12),
            ("Harrow Vale", "London Borough", "London", 19),
            ("Kingsgate", "London Borough", "London", 22),
        ]
        + [(f"Unitary {i}", "Unitary Authority", "North West", 15) for i in range(3)]
        + [(f"Trust {i}", "NHS Trust", None, 3) for i in range(3)]
    ):
        org = Organisation(name=name, authority_type=kind, region=region)
        db.session.add(org)
        db.session.flush()
        layout.append((org, region, size))
    for i, (org, region, size) in enumerate(layout):
        org.region = region
        respond(survey, org, size, seed=i)
    survey.closes_at = now() - timedelta(minutes=1)
    db.session.commit()
    publish(app)
    client = app.test_client()
    served = {
        level: client.get(f"/api/v1/editions/2017/staff-scores/{level}").get_json()
        for level in ("national", "types", "regions")
    }
    trusts = next(r for r in served["types"]["rows"] if r["group"] == "NHS Trust")
    assert trusts["respondents"] is None and trusts["respondents_withheld"] == "fewer"
    shown = sum(r["respondents"] or 0 for r in served["types"]["rows"])
    assert served["national"]["rows"][0]["respondents"] - shown >= 10  # not the trusts' 9
    as_csv = client.get("/api/v1/editions/2017/staff-scores/types?format=csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(as_csv)))) == len(served["types"]["rows"])
    frame = scores.frame(staff.respondents(survey), staff.questionnaire_of(survey))
    for measure in ("standard_1", "standard_3", scores.RESPONDENTS):
        seen = Reader(measure)
        for level, kind in (("national", "national"), ("types", "type"), ("regions", "region")):
            for row in served[level]["rows"]:
                key = ("national",) if kind == "national" else (kind, row["group"])
                if measure == scores.RESPONDENTS:
                    seen.count(key, row["respondents"], row["respondents_withheld"])
                else:
                    seen.cell(key, row["scores"][measure] | {"n": row["scores"][measure]["respondents"]})
        assert seen.withheld, measure  # there is something to protect
        assert public_attack(attacker(frame, measure), seen) == [], measure


def test_a_token_is_shown_once_stored_hashed_reads_the_raw_export_and_is_revoked(app, accounts, employers, cycle):
    submit_return(app, employers["a"][1])
    client = app.test_client()
    none = client.get("/api/v1/raw/2017")
    assert none.status_code == 401 and none.is_json and none.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/raw/2017", headers={"Authorization": "Bearer hc_made-up"}).status_code == 401
    assert client.get("/api/v1/raw/2017", headers={"Authorization": "Basic abc"}).status_code == 401

    token = make_token(app, "analysis laptop")
    stored = db.session.scalar(select(ApiToken))
    assert stored.name == "analysis laptop" and token not in stored.token_hash and len(stored.token_hash) == 64
    auth = {"Authorization": f"Bearer {token}"}
    raw = client.get("/api/v1/raw/2017", headers=auth)
    assert raw.status_code == 200 and raw.headers["Cache-Control"] == "no-store"
    body = raw.get_json()
    assert body["cycle"] == 2017 and [r["organisation"] for r in body["returns"]] == ["Northmoor County Council"]
    as_csv = client.get("/api/v1/raw/2017?format=csv", headers=auth)
    assert as_csv.status_code == 200 and "Northmoor County Council" in as_csv.get_data(as_text=True)
    assert client.get("/api/v1/raw/1999", headers=auth).status_code == 404
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_raw_read")).all()
    assert len(reads) == 2 and "analysis laptop" in reads[0].actor and reads[0].detail["cycle"] == 2017
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken)).last_used_at is not None

    coordinator = signed_in(app, "coordinator")
    account = coordinator.get("/admin/account").get_data(as_text=True)
    assert "analysis laptop" in account and token not in account  # listed, never shown again
    revoked = coordinator.post_form(f"/admin/account/tokens/{stored.id}/revoke", {}, token_from="/admin/account")
    assert revoked.status_code == 302
    assert client.get("/api/v1/raw/2017", headers=auth).status_code == 401
    assert "Revoked" in coordinator.get("/admin/account").get_data(as_text=True)
    assert {e.action for e in db.session.scalars(select(AuditEvent))} >= {"api_token_created", "api_token_revoked"}


def test_a_disabled_or_demoted_accounts_tokens_stop_working_and_viewers_make_none(app, accounts, cycle):
    token = make_token(app)
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/raw/2017", headers=auth).status_code == 200
    user = db.session.scalar(select(User).where(User.email == "coord@example.org"))
    user.role = "viewer"
    db.session.commit()
    assert client.get("/api/v1/raw/2017", headers=auth).status_code == 401
    user.role, user.active = "coordinator", False
    db.session.commit()
    assert client.get("/api/v1/raw/2017", headers=auth).status_code == 401
    viewer = signed_in(app, "viewer")
    assert viewer.get("/admin/account/tokens/new").status_code == 403
    assert "Make an API token" not in viewer.get("/admin/account").get_data(as_text=True)


def test_another_coordinators_token_cannot_be_revoked_by_address(app, accounts, cycle):
    make_token(app)
    mine = db.session.scalar(select(ApiToken))
    create_user("other@example.org", "Otto Other", "coordinator", "correct horse battery staple")
    db.session.commit()
    other = app.test_client()
    assert (
        other.post_form(
            "/admin/sign-in", {"email": "other@example.org", "password": "correct horse battery staple"}
        ).status_code
        == 302
    )
    assert (
        other.post_form(f"/admin/account/tokens/{mine.id}/revoke", {}, token_from="/admin/account").status_code == 404
    )
    db.session.expire_all()
    assert db.session.get(ApiToken, mine.id).revoked_at is None


def test_the_api_is_rate_limited_per_client_in_json(published):
    published.config["API_RATE_LIMIT"] = "3 per minute"
    client = published.test_client()
    statuses = [client.get("/api/v1/editions").status_code for _ in range(4)]
    limited = client.get("/api/v1/editions")
    assert statuses == [200, 200, 200, 429] and limited.is_json and limited.get_json()["error"]


def test_regional_tables_are_served_and_a_region_of_one_is_withheld(app, accounts, employers, cycle):
    submit_return(app, employers["a"][1])
    with_peers(cycle)
    peers = db.session.scalars(
        select(Organisation).where(Organisation.name.like("Peer Council%")).order_by(Organisation.id)
    ).all()
    for i, org in enumerate(peers):
        org.region = "North East" if i == 0 else "London" if i < 9 else None  # the rest in no region
    db.session.commit()
    publish(app)
    client = app.test_client()
    listed = client.get("/api/v1/editions/2017/tables?grouping=region").get_json()["tables"]
    assert listed and all(t["grouping"] == "region" for t in listed)
    table = client.get(listed[0]["url"]).get_json()
    text = json.dumps(table["rows"])
    north_east = [r for r in table["rows"] if "North East" in json.dumps(r)]
    assert north_east and all(r["withheld"] and r["value"] is None for r in north_east)
    assert any(not r["withheld"] and "London" in json.dumps(r) for r in table["rows"])
    assert "*" not in text
    csv_rows = list(csv.reader(io.StringIO(client.get(listed[0]["url"] + "&format=csv").get_data(as_text=True))))
    assert len(csv_rows) == len(table["rows"]) + 1
