"""The XLSX import's staged file (kept between the dry run and the confirmation) lives in the
file store: with S3 another replica reads it back for the confirmation."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from app.services import storage
from app.services.errors import NotFound
from app.services.lke import xlsx as lke_xlsx

DATA = b"PK\x03\x04 a staged workbook"
SHA = hashlib.sha256(DATA).hexdigest()


def _same_store_elsewhere(store):
    """The store as another replica sees it (a new object on the same folder or prefix)."""
    if store.kind == "local":
        return storage.local(store.root)
    return storage.s3_store.__wrapped__(  # a new client: not the cached one
        str(store.where), store.options.endpoint_url, store.options.region,
        store.options.access_key_id, store.options.secret_access_key, "path")


def test_a_staged_import_is_read_back_by_another_replica_then_discarded(any_store):
    lke_xlsx.stage_upload(store=any_store, assessment_id=7, data=DATA, sha256=SHA)
    other = _same_store_elsewhere(any_store)
    assert lke_xlsx.read_staged(store=other, assessment_id=7, sha256=SHA) == DATA
    assert [item.key for item in any_store.list("xlsx-import")] == [f"xlsx-import/7-{SHA}.xlsx"]
    lke_xlsx.discard_staged(store=other, assessment_id=7, sha256=SHA)
    with pytest.raises(NotFound):
        lke_xlsx.read_staged(store=any_store, assessment_id=7, sha256=SHA)
    # the staged files are not evidence: the evidence sweep never sees them
    assert list(any_store.list("evidence")) == []


def test_a_stale_staged_import_is_pruned_by_the_next_one(tmp_path):
    store = storage.local(tmp_path)
    lke_xlsx.stage_upload(store=store, assessment_id=1, data=DATA, sha256=SHA)
    old = store.local_path(f"xlsx-import/1-{SHA}.xlsx")
    stale = time.time() - lke_xlsx.STAGE_TTL_SECONDS - 60
    os.utime(old, (stale, stale))
    other = hashlib.sha256(b"other").hexdigest()
    lke_xlsx.stage_upload(store=store, assessment_id=2, data=b"other", sha256=other)
    assert [item.key for item in store.list("xlsx-import")] == [f"xlsx-import/2-{other}.xlsx"]
