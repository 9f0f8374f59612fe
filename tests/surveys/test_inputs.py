"""The survey input models: the API's request bodies, read from a page's form strings.

Pure: no database, no app.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.api.surveys import campaigns as campaigns_api
from app.api.surveys import catalogue as catalogue_api
from app.api.surveys import responses as responses_api
from app.services.errors import Invalid
from app.services.surveys import inputs


def test_the_api_bodies_are_the_models_the_pages_parse():
    assert campaigns_api.CampaignIn is inputs.CampaignIn
    assert campaigns_api.StatusIn is inputs.StatusIn
    assert catalogue_api.ServiceIn is inputs.ServiceIn
    assert catalogue_api.ServicePatch is inputs.ServicePatch
    assert responses_api.ReviewIn is inputs.ReviewIn


def test_a_form_is_typed_and_its_content_left_to_the_service():
    form = FormData([("csrf_token", "x"), ("title", ""), ("instruments", "ikm-2017"),
                     ("instruments", "spkp"), ("period_kind", "bogus"),
                     ("period_label", " 2019-s1 "), ("opens_on", "2019-01-01"),
                     ("closes_on", "2018-06-30"), ("population", "1.200")])
    data = inputs.CampaignIn.parse(form).data()
    assert data.title == "" and data.period_kind == "bogus"  # the service lists these
    assert data.instrument_codes == ["ikm-2017", "spkp"]
    assert data.period_label == "2019-S1" and data.population == 1200
    assert (data.opens_on, data.closes_on) == (date(2019, 1, 1), date(2018, 6, 30))


def test_a_form_that_is_not_of_the_types_gets_every_line_at_once():
    with pytest.raises(Invalid) as exc:
        inputs.CampaignIn.parse(FormData([("opens_on", "kemarin"), ("population", "abc")]))
    assert exc.value.message == "Survei tidak dapat disimpan."
    assert exc.value.problems == [
        "Tanggal buka wajib diisi dengan format TTTT-BB-HH.",
        "Tanggal tutup wajib diisi dengan format TTTT-BB-HH.",
        "Perkiraan populasi harus bilangan bulat.",
    ]


def test_the_api_keeps_its_declared_limits():
    body = {"title": "S", "instruments": ["ikm-2017"], "period_kind": "semester",
            "period_label": "2019-S1", "opens_on": "2019-01-01", "closes_on": "2019-06-30",
            "population": 10}
    assert inputs.CampaignIn.model_validate(body).population == 10
    for change in ({"population": "1.200"}, {"population": 0}, {"title": ""},
                   {"period_kind": "bulan"}, {"csrf_token": "x"}):
        with pytest.raises(ValidationError):
            inputs.CampaignIn.model_validate({**body, **change})


def test_service_and_source_forms():
    assert inputs.ServiceIn.parse({"code": "sp2d", "name": ""}).model_dump() == {
        "code": "sp2d", "name": "", "description": "", "active": True}
    assert inputs.SourceIn.parse({"tag": "loket-1", "label": "Loket 1", "service_id": ""}
                                 ).model_dump() == {
        "tag": "loket-1", "label": "Loket 1", "service_id": None}
    with pytest.raises(Invalid) as exc:
        inputs.SourceIn.parse({"tag": "a", "label": "b", "service_id": "x"})
    assert exc.value.problems == ["Jenis layanan tidak valid."]
