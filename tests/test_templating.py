"""Importing macros costs less, and means the same."""
from jinja2 import DictLoader, Environment

from healthcheck.templating import ImportingTemplate

MACROS = {"m.html": "{% macro hello() %}{{ greeting | default('hello') }} {{ who }}{% endmacro %}",
          "page.html": "{% from 'm.html' import hello %}{{ hello() }}"}


def test_imports_reuse_the_module_and_see_extra_globals_as_jinja_does():
    env = Environment(loader=DictLoader(MACROS))
    env.template_class = ImportingTemplate
    env.globals["who"] = "world"
    assert env.get_template("page.html").render() == "hello world"
    module = env.get_template("m.html")._module
    assert module is not None
    env.get_template("page.html").render()
    assert env.get_template("m.html")._module is module  # remembered, not made again
    # A template with a global of its own still passes it to what it imports (Jinja's rule).
    page = env.get_template("page.html", globals={"greeting": "hi"})
    assert page.render() == "hi world"
    plain = Environment(loader=DictLoader(MACROS))
    plain.globals["who"] = "world"
    assert plain.get_template("page.html", globals={"greeting": "hi"}).render() == "hi world"


def test_the_app_uses_it(app):
    assert app.jinja_env.template_class is ImportingTemplate


def test_remembered_components_are_the_components(app):
    from healthcheck import templating

    both = app.jinja_env.from_string(
        '{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}'
        '{% from "govuk_frontend_jinja/components/back-link/macro.html" import govukBackLink %}'
        '{% for text in ["Save", "Save <later> & \\"go\\""] %}'
        '{{ govukButton({"text": text, "name": "action", "classes": "govuk-button--secondary"}) }}|'
        '{{ remember(govukButton, {"text": text, "name": "action", "classes": "govuk-button--secondary"}) }}|'
        '{{ govukBackLink({"text": text, "href": "/return?a=1&b=2"}) }}|'
        '{{ remember(govukBackLink, {"text": text, "href": "/return?a=1&b=2"}) }}~~{% endfor %}')
    with app.test_request_context("/"):
        before = templating._remembered.cache_info()
        for _ in range(3):
            for pair in both.render().split("~~")[:-1]:
                button, remembered_button, back, remembered_back = pair.split("|")
                assert "govuk-button" in button and button == remembered_button
                assert "govuk-back-link" in back and back == remembered_back
        after = templating._remembered.cache_info()
        assert "&lt;later&gt;" in both.render()
    assert after.misses - before.misses == 4 and after.hits - before.hits == 8
