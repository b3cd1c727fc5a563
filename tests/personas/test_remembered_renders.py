"""app.personas.templates.render: a remembered render answers exactly as a fresh one would."""

import pytest

from app.personas.templates import OpenMapping, RenderFailed, render


def test_the_same_template_renders_each_set_of_values_as_its_own() -> None:
    text = "Hi {{ name }} in {{ locale }}"
    for _ in range(2):  # the second round answers from what the first remembered
        assert render(text, {"name": "Ada", "locale": "en-US"}) == "Hi Ada in en-US"
        assert render(text, {"name": "Lin", "locale": "en-US"}) == "Hi Lin in en-US"
        assert render(text, {"name": "Ada", "locale": "ar-AE", "now": "x"}) == "Hi Ada in ar-AE"


def test_values_equal_as_keys_render_as_their_own_type() -> None:
    text = "{{ flag }}"
    assert [render(text, {"flag": value}) for value in (True, 1, 1.0)] == ["true", "1", "1.0"]


def test_a_template_reading_the_clock_is_rendered_each_time() -> None:
    text = '{{ "now" | date: "%S.%f" }}'
    assert render(text, {}) != render(text, {})  # microseconds apart


def test_values_that_are_not_plain_are_rendered_each_time() -> None:
    text = "{{ memory.facts.tier | default: 'none' }}"
    facts: dict[str, object] = OpenMapping()
    memory = {"facts": facts}
    assert render(text, {"memory": memory}) == "none"
    facts["tier"] = "gold"
    assert render(text, {"memory": memory}) == "gold"


def test_a_missing_value_fails_every_time() -> None:
    for _ in range(2):
        with pytest.raises(RenderFailed):
            render("Hi {{ name }}", {})
