"""The LKE input models: the API's request bodies, read from a page's form strings.

Pure: no database, no app.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.api.lke import assessments as assessments_api
from app.api.lke import evidence as evidence_api
from app.services.errors import Invalid
from app.services.lke import inputs


def test_the_api_bodies_are_the_models_the_pages_parse():
    assert assessments_api.AssessmentIn is inputs.AssessmentIn
    assert evidence_api.LinkIn is inputs.LinkIn
    assert evidence_api.EvidenceLinkIn is inputs.EvidenceLinkIn


def test_a_form_leaves_the_content_to_the_service():
    body = inputs.AssessmentIn.parse({"year": "1900", "target": "XX", "csrf_token": "x"})
    assert (body.year, body.target, body.framework_id) == (1900, "XX", None)
    with pytest.raises(ValidationError):  # the API refuses it first, as documented
        inputs.AssessmentIn.model_validate({"year": 1900, "target": "WBK"})
    assert inputs.LinkIn.parse({"url": ""}).url == ""
    link = inputs.EvidenceLinkIn.parse({"evidence_id": "3", "expected_index": "none"},
                                       question_ref="PPA1A")
    assert (link.evidence_id, link.question_ref, link.expected_index) == (3, "PPA1A", None)


def test_a_form_that_is_not_of_the_types_is_refused_in_indonesian():
    with pytest.raises(Invalid) as exc:
        inputs.AssessmentIn.parse({"year": "abc", "target": "WBK"})
    assert exc.value.problems == ["Isian 'Tahun' harus berupa bilangan bulat."]
    with pytest.raises(Invalid) as exc:
        inputs.EvidenceLinkIn.parse({"evidence_id": "3", "expected_index": "x"},
                                    question_ref="PPA1A")
    assert exc.value.problems == ["Butir eviden yang diharapkan tidak valid."]
