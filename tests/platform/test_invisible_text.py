"""Invisible characters (bidirectional controls, zero-width and other format characters,
control characters: app.domain.text) never reach storage through either face, and text
stored before they were refused is shown without them."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import select

from app.models import ApiToken, AuditRecord
from app.models.lke.assessments import LkeAnswer
from app.models.lke.evidence import Evidence
from app.models.programme import Pillar
from app.models.surveys.records import SurveyResponse, SurveyService
from tests.factories import issue_token, login
from tests.support.lke_review import PDF, new_assessment
from tests.support.problems import messages
from tests.support.survey_forms import ikm_form, open_form, submit

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "invoice\u202egnp.exe" reads "invoiceexe.png"
HIDDEN = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
          "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff")


def _visible(body: str) -> bool:
    return not any(char in body for char in HIDDEN)


async def test_an_evidence_file_name_loses_its_direction_override(client, db, world):
    csrf = await login(client, "member_a1")
    unit = world.unit("UNIT-A1")
    page = await client.post(
        f"/units/{unit}/evidence", data={"csrf_token": csrf},
        files={"file": (f"invoice{RLO}gnp.exe", PDF, "application/pdf")},
    )
    assert page.status_code in (200, 303), page.text
    api = await client.post(
        f"/api/v1/units/{unit}/evidence", headers={"X-CSRF-Token": csrf},
        data={"title": f"Faktur{RLO} \u200bMaret"},
        files={"file": (f"laporan\u2067{RLO}fdp.scr", PDF, "application/pdf")},
    )
    assert api.status_code == 201, api.text
    assert api.json()["original_name"] == "laporanfdp.scr"
    assert api.json()["title"] == "Faktur Maret"

    rows = db.exec(select(Evidence).order_by(Evidence.id)).all()
    assert [(r.original_name, r.title) for r in rows] == [
        ("invoicegnp.exe", "invoicegnp.exe"), ("laporanfdp.scr", "Faktur Maret")]
    library = await client.get(f"/units/{unit}/evidence")
    assert "invoicegnp.exe" in library.text and _visible(library.text)
    # Downloaded under its real type's extension, the name clean too.
    download = await client.get(f"/evidence/{rows[0].id}/download")
    assert download.status_code == 200
    assert 'filename="invoicegnp.pdf"' in download.headers["content-disposition"]
    audit = db.exec(select(AuditRecord).where(AuditRecord.entity == "evidence")).all()
    assert all(_visible(str(a.after)) for a in audit)


async def test_programme_text_is_stored_clean_through_page_and_api(client, db, world):
    unit = world.unit("UNIT-A1")
    token = issue_token(db, world, "UNIT-A1", ["read", "write:programme"])
    csrf = await login(client, "coord_a1")
    page = await client.post(f"/units/{unit}/pillars", data={
        "csrf_token": csrf, "name": f"Pelayanan\u200b prima{RLO}", "aim": "\ufeffCepat\u2066"})
    assert page.status_code == 303, page.text
    api = await client.post(f"/api/v1/units/{unit}/pillars",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"name": f"Zona{RLO} \u2060bersih", "aim": "a\x1b[2Jb"})
    assert api.status_code == 201, api.text
    assert (api.json()["name"], api.json()["aim"]) == ("Zona bersih", "a[2Jb")
    stored = db.exec(select(Pillar.name, Pillar.aim).order_by(Pillar.id)).all()
    assert [tuple(row) for row in stored] == [("Pelayanan prima", "Cepat"),
                                              ("Zona bersih", "a[2Jb")]
    # A name made only of invisible characters is a blank name, refused as one.
    blank = await client.post(f"/api/v1/units/{unit}/pillars",
                              headers={"Authorization": f"Bearer {token}"},
                              json={"name": f"\u200b{RLO}\u200d"})
    assert blank.status_code == 422
    assert "wajib diisi" in " ".join(messages(blank))
    blank_page = await client.post(f"/units/{unit}/pillars",
                                   data={"csrf_token": csrf, "name": "\u200b\u200c"})
    assert blank_page.status_code == 422 and "wajib diisi" in blank_page.text


async def test_lke_and_survey_texts_are_stored_clean_through_page_and_api(client, db, world):
    unit = world.unit("UNIT-A1")
    assessment = new_assessment(db, world)
    token = issue_token(db, world, "UNIT-A1", ["read", "write:indicators", "write:surveys"])
    auth = {"Authorization": f"Bearer {token}"}
    csrf = await login(client, "coord_a1")
    # LKE penjelasan: the worksheet's form and the API.
    page = await client.post(f"/assessments/{assessment.id}/answers/PPA1A", data={
        "csrf_token": csrf, "option": "Ya", "penjelasan": f"SK{RLO} nomor\u200b 12"})
    assert page.status_code == 303, page.text
    api = await client.put(f"/api/v1/assessments/{assessment.id}/answers/PPA2A", headers=auth,
                           json={"option": "Ya", "penjelasan": f"\u2066Notulen{RLO}"})
    assert api.status_code == 200, api.text
    notes = db.exec(select(LkeAnswer.question_ref, LkeAnswer.penjelasan)
                    .order_by(LkeAnswer.question_ref)).all()
    assert [tuple(n) for n in notes] == [("PPA1A", "SK nomor 12"), ("PPA2A", "Notulen")]
    # A survey service: the page's form reader and the API's input model.
    page = await client.post(f"/units/{unit}/surveys/services", data={
        "csrf_token": csrf, "code": "LOKET\u200b1", "name": f"Loket{RLO} depan"})
    assert page.status_code in (200, 303), page.text
    api = await client.post(f"/api/v1/units/{unit}/survey-services", headers=auth,
                            json={"code": "LOKET2", "name": "\ufeffLoket\u200f belakang"})
    assert api.status_code == 201, api.text
    services = db.exec(select(SurveyService.code, SurveyService.name)
                       .order_by(SurveyService.id)).all()
    assert [tuple(s) for s in services] == [("LOKET1", "Loket depan"),
                                            ("LOKET2", "Loket belakang")]
    # A token's name, read by the page itself and passed to the service as a plain string.
    created = await client.post(f"/units/{unit}/tokens", data={
        "csrf_token": csrf, "name": f"Portal{RLO} SKM", "scopes": "read"})
    assert created.status_code == 200, created.text
    assert db.exec(select(ApiToken.name).where(ApiToken.unit_id == unit)
                   .order_by(ApiToken.id.desc())).first() == "Portal SKM"


async def test_a_public_suggestion_is_stored_clean_and_emoji_are_kept(
        client, app, db, make_campaign):
    campaign = make_campaign()
    html = await open_form(client, campaign.public_code)
    suggestion = f"Petugas{RLO} ramah \U0001f469\u200d\U0001f4bb\u200b, antrean cepat \U0001f44d"
    result = await submit(client, app, campaign.public_code, html,
                          {**ikm_form(), "suggestion": suggestion})
    assert result.status_code == 303
    [row] = db.exec(select(SurveyResponse)).all()
    assert row.suggestion == ("Petugas ramah \U0001f469\u200d\U0001f4bb, antrean cepat "
                              "\U0001f44d")


async def test_text_stored_before_is_shown_and_exported_without_invisible_characters(
        client, app, db, world, engine, make_campaign):
    """Rows written before this check (here: straight into the table, past every layer)."""
    unit = world.unit("UNIT-A1")
    csrf = await login(client, "coord_a1")
    await client.post(f"/units/{unit}/pillars", data={"csrf_token": csrf, "name": "Pilar"})
    campaign = make_campaign()
    html = await open_form(client, campaign.public_code)
    await submit(client, app, campaign.public_code, html,
                 {**ikm_form(), "suggestion": "x"})
    with engine.begin() as connection:
        connection.execute(text("UPDATE pillar SET name = :n"), {"n": f"Pilar{RLO}kiri"})
        connection.execute(text("UPDATE survey_response SET suggestion = :s"),
                           {"s": "\u200b=HYPERLINK(\"http://x\")"})
    page = await client.get(f"/units/{unit}/pillars")
    assert "Pilarkiri" in page.text and _visible(page.text)
    export = await client.get(
        f"/units/{unit}/surveys/campaigns/{campaign.id}/export.csv")
    last = export.content.decode("utf-8-sig").strip().splitlines()[-1]
    # The hidden lead is gone and the formula it hid is neutralised.
    assert last.endswith("\"'=HYPERLINK(\"\"http://x\"\")\""), last
    assert re.search("[\u200b\u202e]", export.content.decode("utf-8-sig")) is None


def test_every_api_body_model_cleans_its_texts(app):
    """A JSON body is read into a TextInput, whose validation drops invisible characters
    first (uploads' form fields are caught by the check before every write instead)."""
    from fastapi.routing import APIRoute, iter_route_contexts
    from pydantic import BaseModel

    from app.services.form_input import TextInput

    models, not_clean = set(), []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.path.startswith("/api/"):
            continue
        for param in route.dependant.body_params:
            kind = param.field_info.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                models.add(kind)
                if not issubclass(kind, TextInput):
                    not_clean.append(f"{context.path}: {kind.__name__}")
    assert len(models) > 20, models
    assert not_clean == []
