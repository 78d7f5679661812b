"""Hostile input and access: every route for every kind of visitor, payloads in every text
field, oversized bodies, security headers, and generated input with Hypothesis."""

import io
import re

import pyotp
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

import forms
from healthcheck import create_app
from healthcheck.auth import new_reset_link
from healthcheck.cli import export
from healthcheck.employer.routes import CONTRIBUTOR_PAGES
from healthcheck.extensions import db, writing
from healthcheck.models import Action, AuditEvent, CommentReview, Job, Response
from healthcheck.store import Actor, contributors
from healthcheck.store import returns as return_rows
from tests.answers import FULL_RETURN
from tests.environment import PASSWORD
from tests.helpers import contribute, fill_everything, save, sign_in, signed_in

Q = forms.load("health-check", "2017.1")
XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'


# ---------------------------------------------------------------- headers and limits


def test_security_headers_on_every_kind_of_response(app, client, employers):
    for path in ("/", "/start/nonsense", "/admin/sign-in", "/static/app.js", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self' 'nonce-" in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    page = client.get("/admin/sign-in")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in page.get_data(as_text=True)
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_cookies_are_secure_httponly_and_samesite():
    app = create_app(
        "production",
        SECRET_KEY="0123456789abcdef" * 4,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/1",
        REDIS_URL="redis://127.0.0.1:6379/1",
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_oversized_bodies_are_refused(client, employers):
    sign_in(client, employers["a"][1])
    response = client.post_form("/return/section/final", {"final_comments": "x" * 600_000, "section_version": "0"})
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


# ---------------------------------------------------------------- payloads stay inert


def test_markup_and_formulas_are_escaped_inert_and_neutralised(app, accounts, employers, cycle, tmp_path):
    org, token = employers["a"]
    employer = app.test_client()
    sign_in(employer, token, XSS)
    fill_everything(employer)
    hostile = {
        **FULL_RETURN["workforce_planning"],
        "workforce_planning_comments": XSS,
        "profession_opportunities_other": FORMULA,
    }
    assert save(employer, "workforce_planning", hostile).status_code == 302
    assert save(employer, "final", {"final_comments": FORMULA + " " + XSS}).status_code == 302
    employer.post_form("/return/check", {"confirm": "y"})
    coordinator = signed_in(app, "coordinator")
    review_id = db.session.scalar(select(CommentReview.id).where(CommentReview.question_id == "final_comments"))
    pages = [
        employer.get("/return/check"),
        employer.get("/return"),
        coordinator.get(f"/admin/cycles/2017/returns/{org.id}"),
        coordinator.get("/admin/cycles/2017/comments"),
        coordinator.get(f"/admin/cycles/2017/comments/{review_id}"),
        coordinator.get("/admin/cycles/2017/coding/profession_opportunities_other"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, page.request.path
    assert "&lt;script&gt;alert" in pages[0].get_data(as_text=True)
    pdf = employer.get("/return/submitted/1.pdf").data
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert '<script>alert("x")</script>' in text  # shown as the text it is
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf and b"/URI" not in pdf

    CliRunner().invoke(
        export, ["--cycle", "2017", "--format", "csv", "--out", str(tmp_path / "r.csv")], catch_exceptions=False
    )
    CliRunner().invoke(
        export, ["--cycle", "2017", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx")], catch_exceptions=False
    )
    assert "'" + FORMULA.replace('"', '""') in (tmp_path / "r.csv").read_text()
    cells = [c for row in load_workbook(tmp_path / "r.xlsx")["returns"].iter_rows() for c in row]
    assert FORMULA in [c.value for c in cells] and not any(c.data_type == "f" for c in cells)  # text, as typed
    tracking = coordinator.get("/admin/cycles/2017?format=csv").get_data(as_text=True)
    assert "\n=" not in tracking and ",=" not in tracking


# ---------------------------------------------------------------- the access matrix


def _fill(rule, ids) -> str | None:
    """A path for the rule with every argument filled in; an argument with a fixed choice of
    values (``any``) takes the first."""
    values = {
        "token": ids["token"],
        "year": 2017,
        "org_id": ids["org"],
        "section_id": "registration",
        "number": 1,
        "action_id": ids["action"],
        "review_id": ids["review"],
        "kind": "invitation",
        "key": "profession_opportunities_other",
        "action": "reopen",
        "job_id": ids["job"],
        "path": "report.pdf",
        "code": "NOTACODE",
        "response_id": ids.get("response_id", "x"),
        "token_id": 1,
        "grouping": "type",
        "table_id": "x",
        "level": "organisations",
    }
    path = rule.rule
    for arg in rule.arguments:
        choice = re.search(rf"<any\(([^)]*)\):{arg}>", path)
        if choice:
            path = path.replace(choice.group(0), choice.group(1).split(",")[0].strip())
        elif arg in values and rule.endpoint != "static":
            path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{arg}>", str(values[arg]), path)
        else:
            return None
    return path


@pytest.fixture
def world(app, accounts, employers, cycle, snapshot):
    """A submitted return with an action and a comment for employer A; B has its own return; the
    results published (built once a session, then put back: ``snapshot``)."""
    org, token = employers["a"]

    def build() -> dict:
        a = app.test_client()
        sign_in(a, token)
        fill_everything(a)
        save(a, "final", {"final_comments": "Secret-A comment"})
        a.post_form("/return/check", {"confirm": "y"})
        a.post_form("/return/plan/new", {"section_id": "cpd", "description": "Secret-A action"})
        sign_in(app.test_client(), employers["b"][1])
        coordinator = signed_in(app, "coordinator")
        assert coordinator.post_form("/admin/cycles/2017/publish", {"after": "0"}).status_code == 302
        return {
            "token": token,
            "org": org.id,
            "action": db.session.scalar(select(Action.id)),
            "review": db.session.scalar(select(CommentReview.id).where(CommentReview.question_id == "final_comments")),
            "job": db.session.scalar(select(Job.id)),
        }

    ids = snapshot("security-world", build)
    a, b = app.test_client(), app.test_client()
    sign_in(a, employers["a"][1])
    sign_in(b, employers["b"][1])
    return {
        "a": a,
        "b": b,
        "anonymous": app.test_client(),
        "coordinator": signed_in(app, "coordinator"),
        "viewer": signed_in(app, "viewer"),
        "ids": ids,
    }


def test_access_matrix_for_every_route(app, world):
    ids = world["ids"]
    checked = 0
    for rule in app.url_map.iter_rules():
        path = _fill(rule, ids)
        if path is None or "GET" not in rule.methods:
            continue
        if rule.endpoint in (
            "coordinator.sign_in",
            "coordinator.forgot_password",
            "coordinator.reset_password",
            "index",
            "employer.start",
            "employer.contribute",
            "employer.timed_out",
        ):
            continue  # public by design
        for who in ("anonymous", "a", "b", "coordinator", "viewer"):
            response = world[who].get(path)
            body = response.get_data(as_text=False)
            checked += 1
            if rule.endpoint.startswith("coordinator."):
                if who in ("coordinator", "viewer"):
                    assert response.status_code in (200, 302), (who, path, response.status_code)
                else:
                    assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"], (who, path)
            elif rule.endpoint.startswith("employer."):
                if who == "a":
                    assert response.status_code in (200, 302), (who, path, response.status_code)
                elif who == "b":
                    assert b"Secret-A" not in body and b"priya.shah@example.org" not in body, (who, path)
                    if "<int:action_id>" in rule.rule:
                        assert response.status_code == 404, (who, path)
                else:
                    assert response.status_code == 403, (who, path, response.status_code)
            elif rule.endpoint.startswith("api."):  # public, or for an API token: a session's cookie opens nothing
                assert response.is_json and b"Secret-A" not in body, (who, path)
                if rule.endpoint == "api.raw":
                    assert response.status_code == 401, (who, path, response.status_code)
    assert checked > 150
    # Not found looks the same whether or not the object exists.
    b = world["b"]

    def page(path):
        response = b.get(path)
        # The nonce, and the session's countdown in whole seconds, differ from one page to the next.
        return response.status_code, re.sub(r'(nonce|data-ends-in)="[^"]+"', "", response.get_data(as_text=True))

    assert page(f"/return/plan/{ids['action']}") == page("/return/plan/999999")
    anon = world["anonymous"]
    assert (
        anon.get(f"/admin/cycles/2017/returns/{ids['org']}").headers["Location"].split("?")[0]
        == anon.get("/admin/cycles/2017/returns/999999").headers["Location"].split("?")[0]
    )


def test_changes_are_refused_to_everyone_but_their_owners(app, world):
    ids = world["ids"]
    org = ids["org"]
    token_page = "/return/plan/new"
    for who, path, form, expected in (
        ("b", f"/return/plan/{ids['action']}/progress", {"status": "Complete", "text": "x"}, 404),
        ("anonymous", "/return/section/registration", {"regulator_process": "very"}, 403),
        ("viewer", f"/admin/cycles/2017/returns/{org}/reopen", {"message": "x"}, 403),
        ("viewer", "/admin/cycles/2017/publish", {}, 403),
        ("a", "/admin/cycles/2017/publish", {}, 302),
        ("b", f"/admin/cycles/2017/returns/{org}/reissue", {}, 302),
    ):
        client = world[who]
        source = token_page if who in ("a", "b") else "/admin/sign-in"
        response = client.post_form(path, form, token_from=source)
        assert response.status_code == expected, (who, path, response.status_code)
        if expected == 302:
            assert "/admin/sign-in" in response.headers["Location"]
    assert db.session.get(Action, ids["action"]).status == "Red"


def test_a_viewer_is_refused_every_change_the_coordinator_pages_offer(app, world):
    """Every POST route of the coordinator's pages, whatever it changes: 403 for a viewer, and
    nothing recorded."""

    ids = world["ids"]
    before = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    refused = []
    for rule in app.url_map.iter_rules():
        path = _fill(rule, {**ids, "response_id": "x" * 32})
        if (
            path is None
            or "POST" not in rule.methods
            or not rule.endpoint.startswith("coordinator.")
            or rule.endpoint
            in (
                "coordinator.sign_in",
                "coordinator.sign_out",
                "coordinator.second_factor",
                "coordinator.set_up",
                "coordinator.forgot_password",
                "coordinator.reset_password",
                "coordinator.change_password",
                "coordinator.authenticator",
            )
        ):
            continue  # signing in, and one's own password and authenticator, are for viewers too
        response = world["viewer"].post_form(path, {}, token_from="/admin/cycles")
        assert response.status_code == 403, (path, response.status_code)
        refused.append(rule.endpoint)
    assert len(refused) >= 15 and "coordinator.import_checked" in refused and "coordinator.job_again" in refused
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == before


def test_an_employer_can_sign_out_and_the_cookie_dies_with_the_browser(app, employers):
    """Issue 18: employers had no sign-out and a 12-hour persistent cookie on what may be a shared
    office computer."""
    client = app.test_client()
    started = sign_in(client, employers["a"][1])
    cookie = started.headers["Set-Cookie"]
    assert "Expires=" not in cookie and "Max-Age" not in cookie  # a browser-session cookie
    page = client.get("/return").get_data(as_text=True)
    assert "Sign out" in page
    response = client.post_form("/return/sign-out", {}, token_from="/return")
    assert response.status_code == 200 and "You have signed out" in response.get_data(as_text=True)
    assert client.get("/return").status_code == 403  # the link is needed again


@pytest.mark.parametrize(
    "path",
    [
        "/admin/cycles/99999999999999999999",
        "/admin/cycles/2017/returns/9" + "9" * 30,
        "/return/plan/99999999999999999999",
    ],
)
def test_a_number_too_large_for_any_record_is_not_found(app, accounts, employers, cycle, path):
    """Issue 18: these gave 500 (OverflowError)."""
    coordinator = signed_in(app, "coordinator")
    employer = app.test_client()
    sign_in(employer, employers["a"][1])
    client = employer if path.startswith("/return") else coordinator
    response = client.get(path)
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_refusals_are_branded_pages(app, accounts, cycle):
    viewer = signed_in(app, "viewer")
    response = viewer.post_form("/admin/cycles/2017/publish", {}, token_from="/admin/cycles")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "You cannot do that" in page and "govuk-template" in page


def test_an_idle_employer_session_ends_and_what_was_typed_is_kept(app, employers):
    """Issue 18: employers had no idle timeout. After an hour without a request the session ends;
    a page of answers sent then comes back, unsaved, saying how to get back in."""
    client = app.test_client()
    sign_in(client, employers["a"][1])
    page = client.get("/return").get_data(as_text=True)
    assert 'id="timeout-warning"' in page and 'data-timeout="3600"' in page
    assert client.post_form("/return/keep-alive", {}, token_from="/return").status_code == 204
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/return/section/registration").get_data(as_text=True)
    ).group(1)
    with client.session_transaction() as session:
        session["last_seen"] -= 61 * 60
    late = client.post(
        "/return/section/registration",
        data={
            "csrf_token": token,
            "regulator_process": "not_very",
            "section_version": "0",
            "questionnaire": "health-check@2017.1",
        },
    )
    text = late.get_data(as_text=True)
    assert late.status_code == 400 and "open your organisation's link again" in text
    assert re.search(r'value="not_very"[^>]*checked', text)
    assert client.get("/return").status_code == 403  # signed out
    sign_in(client, employers["a"][1])
    with client.session_transaction() as session:
        session["last_seen"] -= 61 * 60
    away = client.get("/return")
    assert away.status_code == 302 and away.headers["Location"].endswith("/return/timed-out")
    assert "signed out after an hour without activity" in client.get("/return/timed-out").get_data(as_text=True)


# ---------------------------------------------------------------- issue 32: contributors, viewers, links

PUBLIC = {
    "coordinator.sign_in",
    "coordinator.forgot_password",
    "coordinator.reset_password",
    "coordinator.set_up",
    "coordinator.second_factor",
    "index",
}
PERSONAL = (b"priya.shah@example.org", b"01632 960 001")  # the return's contact details
OUTSIDE = (b"Secret-A",)  # the final comment and the plan's action: outside Standard 2, the PSW's


def _text_of(response) -> bytes:
    """What a person would read in a response: a PDF's text, a workbook's cells, else the body."""
    body = response.get_data()
    if body.startswith(b"%PDF"):
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).encode()
    if body.startswith(b"PK"):
        try:
            book = load_workbook(io.BytesIO(body), read_only=True)
        except Exception:  # a zip of files: their names and bytes are what a person gets
            return body
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row).encode()
    return body


def _contributor(app, world, sections):
    """A colleague of employer A asked for ``sections`` (None: the whole return), signed in."""

    response = db.session.scalar(select(Response).where(Response.organisation_id == world["ids"]["org"]))
    contributor, token = contributors.invite(
        response,
        Actor("Priya Shah"),
        name="Sam Okoro",
        email="sam.okoro@example.org",
        job_title=None,
        sections=sections,
        can_sign_off=False,
    )
    db.session.commit()
    client = app.test_client()
    contribute(client, token)
    return client, token


def test_a_contributor_reaches_only_their_pages_and_reads_nothing_outside_their_standard(app, world):
    """Every GET route, as a contributor asked for Standard 2 alone: the coordinator's pages send
    them to sign in, the PSW's pages refuse them, and no page or download (PDFs and workbooks
    read as text) shows another standard's answers, the plan or the contact details."""

    sam, _ = _contributor(app, world, ["workforce_planning"])
    ids, tried, leaks, reached = world["ids"], 0, [], []
    for rule in app.url_map.iter_rules():
        path = _fill(rule, ids)
        if path is None or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        response = sam.get(path)
        tried += 1
        text = _text_of(response)
        found = [s for s in PERSONAL + OUTSIDE if s in text]
        if found and rule.endpoint not in ("employer.start",):  # the organisation's own link page, asked for by
            leaks.append((path, found))  # its token: a PSW's, not a contributor's way in
        if rule.endpoint in PUBLIC:
            continue
        if rule.endpoint.startswith("coordinator."):
            assert response.status_code == 302 and "/admin/sign-in" in response.headers["Location"], path
        elif rule.endpoint.startswith("employer.") and rule.endpoint not in CONTRIBUTOR_PAGES | {
            "employer.start",
            "employer.contribute",
            "employer.timed_out",
        }:
            assert response.status_code == 403, (path, response.status_code)
        elif response.status_code == 200:
            reached.append(rule.endpoint)
    print(f"\ncontributor (one standard): {tried} routes tried, {len(leaks)} leaks")
    assert leaks == [], leaks
    assert {"employer.task_list", "employer.check_answers", "employer.submitted_pdf"} <= set(reached)
    assert tried > 60


def _two_factor_viewer(app):
    """A viewer signed in with the password and an authenticator it has just set up."""

    client = app.test_client()
    assert (
        client.post_form("/admin/sign-in", {"email": "viewer@example.org", "password": PASSWORD})
        .headers["Location"]
        .endswith("/admin/sign-in/set-up")
    )
    page = client.get("/admin/sign-in/set-up").get_data(as_text=True)
    secret = re.search(r'id="totp-key">([A-Z2-7]+)<', page).group(1)
    assert client.post_form("/admin/sign-in/set-up", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    return client


def test_in_production_a_viewer_reads_personal_data_only_with_a_second_factor(app, world):
    """REQUIRE_TWO_FACTOR (production's default) applies to viewers too: every coordinator route
    that shows a viewer personal data (found by looking for the contact details in each page and
    download) is out of reach of a viewer who has only given the password."""
    app.config["REQUIRE_TWO_FACTOR"] = True

    halfway = app.test_client()
    assert (
        halfway.post_form("/admin/sign-in", {"email": "viewer@example.org", "password": PASSWORD})
        .headers["Location"]
        .endswith("/admin/sign-in/set-up")
    )
    full = _two_factor_viewer(app)
    ids, tried, personal, leaks = world["ids"], 0, [], []
    for rule in app.url_map.iter_rules():
        path = _fill(rule, ids)
        if (
            path is None
            or "GET" not in rule.methods
            or not rule.endpoint.startswith("coordinator.")
            or rule.endpoint
            in (
                "coordinator.sign_in",
                "coordinator.forgot_password",
                "coordinator.set_up",
                "coordinator.second_factor",
                "coordinator.reset_password",
            )
        ):
            continue
        for query in ("", "?drafts=1"):
            if query and "export" not in rule.rule:
                continue
            seen = _text_of(full.get(path + query))
            refused = halfway.get(path + query)
            tried += 2
            if any(s in seen for s in PERSONAL):
                personal.append(path + query)
            if any(s in _text_of(refused) for s in PERSONAL) or refused.status_code != 302:
                leaks.append((path + query, refused.status_code))
    assert leaks == [], leaks
    assert len(personal) >= 3, personal  # the return's page, the people search's export, the raw export...
    print(f"\nviewer: {tried} route-tries, {len(personal)} routes with personal data, {len(leaks)} leaks")


def test_no_link_route_signs_anyone_in_on_a_get(app, world):
    """Every route a link or token opens (the organisation's, a contributor's, a password reset,
    a staff survey code): a GET from a fresh browser shows a page and signs no one in."""

    _, contributor_token = _contributor(app, world, None)
    found = new_reset_link("coord@example.org")
    db.session.commit()
    tokens = {
        "employer.start": world["ids"]["token"],
        "employer.contribute": contributor_token,
        "coordinator.reset_password": found[1],
    }
    link_routes = [
        r
        for r in app.url_map.iter_rules()
        if {"token", "code"} & set(r.arguments) and "GET" in r.methods and not r.endpoint.startswith("api.")
    ]
    tried = 0
    for rule in link_routes:
        value = tokens.get(rule.endpoint, "NOTACODE")
        path = re.sub(r"<(?:\w+:)?(token|code)>", value, rule.rule)
        if "<" in path:
            continue
        client = app.test_client()
        response = client.get(path)
        tried += 1
        assert response.status_code in (200, 404), (path, response.status_code)
        with client.session_transaction() as session:
            assert not {"link_id", "contributor_id", "_user_id", "pending_user"} & set(session), (path, dict(session))
        assert client.get("/return").status_code == 403, path
        assert client.get("/admin/cycles").status_code == 302, path
    assert {"employer.start", "employer.contribute", "coordinator.reset_password"} <= {r.endpoint for r in link_routes}
    print(f"\nlink routes: {tried} tried with a GET, none signed in")


def test_an_employer_or_contributor_session_ends_8_hours_after_it_began_however_active(app, employers, cycle):
    """Issue 32 (ASVS 3.3.2): employers' sessions had an idle timeout alone."""

    psw = app.test_client()
    sign_in(psw, employers["a"][1])
    page = psw.get("/return").get_data(as_text=True)
    ends_in = int(re.search(r'data-ends-in="(\d+)"', page).group(1))
    assert 8 * 3600 - 60 < ends_in <= 8 * 3600  # the warning counts down to whichever end comes first
    with psw.session_transaction() as session:
        session["signed_in_at"] -= 8 * 3600 - 30  # active all along: last_seen is now
    assert psw.get("/return").status_code == 200
    with psw.session_transaction() as session:
        session["signed_in_at"] -= 60
    over = psw.get("/return")
    assert over.status_code == 302 and over.headers["Location"].endswith("/return/timed-out?after=lifetime")
    assert "8 hours after you opened your link" in psw.get(over.headers["Location"]).get_data(as_text=True)
    assert psw.get("/return").status_code == 403

    with writing():
        stored = return_rows.return_for(cycle, employers["a"][0])
    _, token = contributors.invite(
        stored,
        Actor("Priya Shah"),
        name="Sam Okoro",
        email="sam@example.org",
        job_title=None,
        sections=None,
        can_sign_off=False,
    )
    db.session.commit()
    sam = app.test_client()
    contribute(sam, token)
    with sam.session_transaction() as session:
        session["signed_in_at"] -= 8 * 3600 + 1
    assert sam.get("/return").headers["Location"].endswith("/return/timed-out?after=lifetime")
