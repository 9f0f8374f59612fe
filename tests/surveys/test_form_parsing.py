"""The public form's urlencoded reader gives what the standard library's parse_qsl gives."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from app.web.surveys.fast_lane import MAX_FORM_FIELDS, parse_urlencoded


@pytest.mark.parametrize("body", [
    "ikm-2017.U1=4&ikm-2017.U2=3",
    "a=1&a=2",                      # the last of a repeated name wins, as in dict(parse_qsl)
    "a", "a=", "=b", "&&a=1&",
    "suggestion=Pelayanan+cepat%2C+ramah%21",
    "x%3D1=2%26", "n=%E2%82%AC", "bad=%ZZ%", "a=1=2", "+=+", "k=%C3%28",
    "",
])
def test_same_result_as_parse_qsl(body):
    assert parse_urlencoded(body) == dict(parse_qsl(body, keep_blank_values=True))


def test_worked_examples():
    assert parse_urlencoded("suggestion=Antre+lama%2C+AC+mati") == {
        "suggestion": "Antre lama, AC mati"}
    assert parse_urlencoded("profile.gender=&ikm-2017.U9=1") == {
        "profile.gender": "", "ikm-2017.U9": "1"}


def test_too_many_fields_is_refused_like_parse_qsl():
    body = "&".join(f"f{n}=1" for n in range(MAX_FORM_FIELDS + 1))
    with pytest.raises(ValueError):
        parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    with pytest.raises(ValueError):
        parse_urlencoded(body)
    ok = "&".join(f"f{n}=1" for n in range(MAX_FORM_FIELDS))
    assert len(parse_urlencoded(ok)) == MAX_FORM_FIELDS
