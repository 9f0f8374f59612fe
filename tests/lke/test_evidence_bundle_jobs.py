"""A bundle over the inline limit is built in the background: the job is claimed by one
worker only, shows its progress, is downloaded when ready and expires."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from app.models.audit import AuditRecord
from app.models.lke.bundle import EvidenceBundleJob
from app.services import storage
from app.services.lke import bundle_jobs, bundle_store, evidence, evidence_links, evidence_store
from app.services.lke.bundle_jobs import BundleWorker
from tests.factories import issue_token, login
from tests.support.lke_review import PDF, PNG
from tests.support.s3 import new_prefix

ROOT = "Eviden-LKE-UNIT-A1-2024"


@pytest.fixture
def small_limit(app, current_store):
    """Bundles over 100 bytes of evidence go to the background (the files here are ~150);
    the app's settings, after ``app_store`` swapped them when the test takes it."""
    settings = app.state.settings
    before = settings.bundle_inline_max_bytes
    settings.bundle_inline_max_bytes = 100
    yield settings
    settings.bundle_inline_max_bytes = before


@pytest.fixture
def two_files(db, world, current_store, assessment_a1):
    unit = world.unit("UNIT-A1")
    for name, data, ref in (("sk.pdf", PDF, "PPA1A"), ("foto.png", PNG, "PPA1B")):
        row = evidence.upload_file(db, actor=None, unit_id=unit, filename=name,
                                   stream=io.BytesIO(data),
                                   store=current_store, max_bytes=10**6)
        evidence_links.link(db, actor=None, assessment_id=assessment_a1.id,
                            evidence_id=row.id, question_ref=ref)
    return assessment_a1


def _job(db, job_id) -> EvidenceBundleJob:
    db.expire_all()
    return db.get(EvidenceBundleJob, job_id)


async def test_background_bundle_is_claimed_once_built_and_downloaded(
        client, world, db, engine, app_store, small_limit, two_files):
    # app_store: on the local folder and on S3 (two replicas share the store, not a disk)
    csrf = {"X-CSRF-Token": await login(client, "viewer_a1")}
    url = f"/api/v1/assessments/{two_files.id}/evidence-bundle.zip"
    refused = await client.get(url)
    assert refused.status_code == 409
    assert "evidence-bundle/jobs" in refused.json()["detail"]

    started = await client.post(f"/api/v1/assessments/{two_files.id}/evidence-bundle/jobs",
                                headers=csrf)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == f"/api/v1/evidence-bundle-jobs/{job['id']}"
    assert (job["status"], job["percent"], job["total_files"], job["download_url"]) == (
        "queued", 0, 2, None)
    assert job["total_bytes"] == len(PDF) + len(PNG)
    not_yet = await client.get(f"/api/v1/evidence-bundle-jobs/{job['id']}/download")
    assert not_yet.status_code == 409

    # the same content asked again: the same job
    again = await client.post(f"/api/v1/assessments/{two_files.id}/evidence-bundle/jobs",
                              headers=csrf)
    assert again.json()["id"] == job["id"]
    assert len(db.exec(select(AuditRecord).where(
        AuditRecord.entity == "evidence_bundle")).all()) == 1

    now = datetime.now(UTC)
    first = BundleWorker(engine, small_limit, name="replica-1")
    second = BundleWorker(engine, small_limit, name="replica-2")
    assert first.claim(now) == job["id"]
    assert second.claim(now) is None  # leased: the other replica leaves it
    running = _job(db, job["id"])
    assert (running.status, running.leased_by, running.attempts) == ("running", "replica-1", 1)

    assert first.build(job["id"]) is True
    done = (await client.get(f"/api/v1/evidence-bundle-jobs/{job['id']}")).json()
    assert (done["status"], done["percent"], done["done_files"]) == ("done", 100, 2)
    assert done["download_url"] == f"/api/v1/evidence-bundle-jobs/{job['id']}/download"
    assert second.claim(now + timedelta(hours=1)) is None  # done: nobody builds it again

    response = await client.get(done["download_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert done["size"] == len(response.content)
    assert done["sha256"] == hashlib.sha256(response.content).hexdigest()
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = [n for n in archive.namelist() if n.endswith((".pdf", ".png"))]
    assert {n.rsplit("/", 1)[1]: archive.read(n) for n in files} == {"sk.pdf": PDF,
                                                                    "foto.png": PNG}
    manifest = json.loads(archive.read(f"{ROOT}/manifest.json"))
    assert manifest["generated_by"] == "viewer_a1"  # who asked for it
    assert manifest["problems"] == []
    page = (f"/units/{world.unit('UNIT-A1')}/assessments/{two_files.id}/bundle/jobs/"
            f"{job['id']}/download")
    from_page = await client.get(page)  # the pages' twin sends the same bytes
    assert from_page.status_code == 200 and from_page.content == response.content
    assert "attachment" in from_page.headers["content-disposition"]

    # another unit's member sees neither the job nor its file
    other = issue_token(db, world, "UNIT-B1", ["read"])
    for path in (f"/api/v1/evidence-bundle-jobs/{job['id']}", done["download_url"]):
        assert (await client.get(path, headers={"Authorization": f"Bearer {other}"})
                ).status_code == 403

    # the bundle is an object of the shared store: the replica that did not build it serves
    # it (the route above) and lists it under bundles/
    stored_name = _job(db, job["id"]).stored_name
    key = bundle_store.key_of(stored_name)
    assert [item.key for item in app_store.list("bundles")] == [key]
    assert app_store.stat(key).size == done["size"]
    # ...and the evidence check does not take it for an evidence orphan
    report = evidence_store.check_files(db, store=app_store, remove_older_than=0)
    assert (report.orphans, report.removed, report.ok) == ([], [], True)
    assert app_store.stat(key) is not None

    # expiry: the object is removed, the job says so, a download is refused
    ttl = timedelta(hours=small_limit.bundle_ttl_hours)
    assert second.expire(now + ttl - timedelta(minutes=5)) == 0
    assert second.expire(now + ttl + timedelta(minutes=5)) == 1
    assert app_store.stat(key) is None
    assert list(app_store.list("bundles")) == []
    assert _job(db, job["id"]).status == "expired"
    assert (await client.get(done["download_url"])).status_code == 404
    # and a new request queues a new build
    fresh = await client.post(f"/api/v1/assessments/{two_files.id}/evidence-bundle/jobs",
                              headers=csrf)
    assert fresh.json()["id"] != job["id"]


async def test_an_abandoned_build_is_taken_over_after_its_lease(db, engine, small_limit,
                                                                two_files):
    job = bundle_jobs.request(db, actor=None, assessment_id=two_files.id)
    now = datetime.now(UTC)
    dead = BundleWorker(engine, small_limit, name="died")
    assert dead.claim(now) == job.id  # ...and the process dies without finishing
    heir = BundleWorker(engine, small_limit, name="heir")
    assert heir.claim(now + timedelta(seconds=bundle_jobs.LEASE_SECONDS - 5)) is None
    assert heir.claim(now + timedelta(seconds=bundle_jobs.LEASE_SECONDS + 5)) == job.id
    assert _job(db, job.id).attempts == 2
    assert heir.build(job.id) is True
    # the first process, back, cannot overwrite what the heir did
    with pytest.raises(bundle_jobs.LostLease):
        dead._update(job.id, done_bytes=1)
    assert _job(db, job.id).status == "done"


async def test_job_pages_show_progress_and_refresh_without_javascript(
        client, world, db, engine, small_limit, two_files):
    await login(client, "viewer_a1")
    base = f"/units/{world.unit('UNIT-A1')}/assessments/{two_files.id}/bundle"
    redirect = await client.get(base + ".zip", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == base + "?too_big=1"
    page = await client.get(base + "?too_big=1")
    assert "terlalu besar untuk diunduh langsung" in page.text
    created = await client.post(f"{base}/jobs", data={"csrf_token": await _csrf(client, base)},
                                follow_redirects=False)
    assert created.status_code == 303
    job_url = created.headers["location"]
    job_id = int(job_url.rsplit("/", 1)[1])

    # half-way: 1 of 2 files, progress by bytes
    db_job = _job(db, job_id)
    db_job.status, db_job.done_files, db_job.done_bytes = "running", 1, len(PDF)
    db.add(db_job)
    db.commit()
    waiting = await client.get(job_url)
    assert waiting.status_code == 200
    expected = len(PDF) * 100 // (len(PDF) + len(PNG))
    assert f'value="{expected}"' in waiting.text
    assert f'hx-get="{job_url}"' in waiting.text and 'hx-trigger="every 3s"' in waiting.text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in waiting.text
    partial = await client.get(job_url, headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<section class="card" id="bundle-job"')
    assert "<html" not in partial.text

    db_job.status = "queued"
    db.add(db_job)
    db.commit()
    assert BundleWorker(engine, small_limit).run_once() == 1
    ready = await client.get(job_url)
    assert "http-equiv=\"refresh\"" not in ready.text
    assert f"hx-get=\"{job_url}\"" not in ready.text  # no more polling
    assert f'href="{job_url}/download"' in ready.text
    download = await client.get(f"{job_url}/download")
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(download.content)).testzip() is None
    listed = await client.get(base)
    assert f'href="{job_url}/download"' in listed.text

    await login(client, "member_b1")
    assert (await client.get(job_url)).status_code == 403
    assert (await client.get(f"{job_url}/download")).status_code == 403


async def _csrf(client, url: str) -> str:
    import re

    page = await client.get(url)
    return re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)


async def test_presigned_bundle_download_only_after_the_permission_check(
        client, world, db, app, engine, small_limit, assessment_a1, s3_server):
    settings = small_limit.model_copy(update={
        **s3_server.settings(new_prefix()), "s3_presigned_downloads": True,
        "s3_presign_seconds": 30})
    app.state.settings = settings
    try:
        row = evidence.upload_file(
            db, actor=None, unit_id=world.unit("UNIT-A1"), filename="sk.pdf",
            stream=io.BytesIO(PDF), store=storage.from_settings(settings), max_bytes=10**6)
        evidence_links.link(db, actor=None, assessment_id=assessment_a1.id,
                            evidence_id=row.id, question_ref="PPA1A")
        csrf = {"X-CSRF-Token": await login(client, "viewer_a1")}
        started = await client.post(
            f"/api/v1/assessments/{assessment_a1.id}/evidence-bundle/jobs", headers=csrf)
        job_id = started.json()["id"]
        worker = BundleWorker(engine, settings)
        assert worker.claim() == job_id
        assert worker.build(job_id) is True
        other = issue_token(db, world, "UNIT-B1", ["read"])
        refused = await client.get(f"/api/v1/evidence-bundle-jobs/{job_id}/download",
                                   headers={"Authorization": f"Bearer {other}"})
        assert refused.status_code == 403 and "location" not in refused.headers
        download = await client.get(f"/api/v1/evidence-bundle-jobs/{job_id}/download")
        assert download.status_code == 307
        assert download.headers["cache-control"] == "private, no-store"
        location = download.headers["location"]
        assert location.startswith(f"{s3_server.endpoint_url}/zona-test/")
        assert "/bundles/" in location and "X-Amz-Expires=30" in location
        fetched = httpx.get(location)  # the browser, at the store
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "application/zip"
        assert fetched.headers["content-disposition"] == \
            f"attachment; filename*=UTF-8''{ROOT}.zip"
        assert hashlib.sha256(fetched.content).hexdigest() == _job(db, job_id).sha256
        archive = zipfile.ZipFile(io.BytesIO(fetched.content))
        assert [archive.read(n) for n in archive.namelist() if n.endswith(".pdf")] == [PDF]
    finally:
        app.state.settings = small_limit


def test_leftovers_of_dead_builds_are_removed_once_a_day_old(any_store):
    def put(key: str, data: bytes) -> None:
        with any_store.staging("bundles") as staged:
            staged.file.write(data)
            any_store.put(key, staged, size=len(data))

    kept, stray = bundle_store.new_name(), bundle_store.new_name()
    put(bundle_store.key_of(kept), b"PK kept")  # a done job names it
    put(bundle_store.key_of(stray), b"PK stray")  # uploaded, then the build lost its lease
    put("evidence/ab/" + "ab" * 32, b"%PDF not a bundle")
    if any_store.kind == "local":  # a staging file of a build that died (S3 stages off-store)
        leftover = any_store.staging("bundles")
        leftover.file.write(b"PK half")
        leftover.seal()
    now = time.time()
    day = bundle_store.STALE_SECONDS
    assert bundle_store.remove_stale(any_store, {kept}, now=now + day - 60) == 0  # too young
    removed = bundle_store.remove_stale(any_store, {kept}, now=now + day + 60)
    assert removed == (2 if any_store.kind == "local" else 1)
    assert [item.key for item in any_store.list("bundles")] == [bundle_store.key_of(kept)]
    assert any_store.stat("evidence/ab/" + "ab" * 32) is not None  # not the bundles' business
