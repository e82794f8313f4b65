"""Bearer tokens and roles: 401 without a valid token, 403 for the wrong role."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_harness import MAX_BODY, Api, start_api
from pydantic import SecretStr

from stream_al.api import AnnotatorRegistry, MemoryAnnotatorTable, Role, SqliteAnnotatorTable
from stream_al.api.errors import (
    AnnotatorExistsError,
    InvalidNameError,
    UnauthorizedError,
    UnknownAnnotatorError,
)
from stream_al.config.sections import ApiSettings


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YW5hOnNlY3JldA=="},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "unknown", "basic", "empty"],
)
def test_no_or_bad_token_is_401_with_a_json_reason(api: Api, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=api.url, headers=headers) as client:
        for method, path in [("GET", "/v1/me"), ("POST", "/v1/tasks/lease"), ("GET", "/v1/stats")]:
            response = client.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
            body = response.json()
            assert body["error"] == "unauthorized"
            assert "token" in body["message"]


def test_me_tells_name_role_and_labels(api: Api) -> None:
    assert api.client("ana").get("/v1/me").json() == {
        "name": "ana",
        "role": "annotator",
        "labels": 0,
    }
    assert api.client("root").get("/v1/me").json()["role"] == "admin"


def test_annotators_may_not_use_admin_routes(api: Api) -> None:
    ana = api.client("ana")
    for method, path in [("GET", "/v1/annotators"), ("POST", "/v1/annotators/bob/revoke")]:
        response = ana.request(method, path)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
    assert ana.post("/v1/annotators", json={"name": "eve"}).status_code == 403


def test_admin_adds_lists_and_revokes_annotators(api: Api) -> None:
    root = api.client("root")
    created = root.post("/v1/annotators", json={"name": "carl"})
    assert created.status_code == 201
    token = created.json()["token"]
    with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as carl:
        assert carl.get("/v1/me").json()["name"] == "carl"
        names = [a["name"] for a in root.get("/v1/annotators").json()["annotators"]]
        assert names == ["ana", "bob", "root", "carl"]
        assert root.post("/v1/annotators", json={"name": "carl"}).status_code == 409
        revoked = root.post("/v1/annotators/carl/revoke")
        assert revoked.status_code == 200
        assert revoked.json()["revoked"] is not None
        response = carl.get("/v1/me")
        assert response.status_code == 401
        assert "revoked" in response.json()["message"]
    assert root.post("/v1/annotators/nobody/revoke").status_code == 404


def test_the_bootstrap_token_acts_as_an_admin() -> None:
    registry = AnnotatorRegistry(MemoryAnnotatorTable(), SecretStr("s3cret-token"), "boss")
    who = registry.authenticate("s3cret-token")
    assert (who.name, who.role) == ("boss", Role.ADMIN)
    with pytest.raises(AnnotatorExistsError):
        registry.add("boss")


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnnotatorRegistry]:
    table = (
        MemoryAnnotatorTable()
        if request.param == "memory"
        else SqliteAnnotatorTable(tmp_path / "s.db")
    )
    registry = AnnotatorRegistry(table)
    yield registry
    registry.close()


def test_registry_backends_behave_the_same(registry: AnnotatorRegistry) -> None:
    token = registry.add("ana")
    admin_token = registry.add("root", Role.ADMIN)
    assert token != admin_token
    assert len(token) >= 40
    assert registry.authenticate(admin_token).role is Role.ADMIN
    with pytest.raises(AnnotatorExistsError, match="already exists"):
        registry.add("ana")
    with pytest.raises(InvalidNameError):
        registry.add("no spaces")
    with pytest.raises(UnknownAnnotatorError):
        registry.revoke("nobody")
    with pytest.raises(UnauthorizedError):
        registry.authenticate(token + "x")
    registry.revoke("ana")
    with pytest.raises(UnauthorizedError, match="revoked"):
        registry.authenticate(token)
    assert [(a.name, a.revoked is not None) for a in registry.annotators()] == [
        ("ana", True),
        ("root", False),
    ]


def test_tokens_are_stored_only_as_sha256_digests(tmp_path: Path) -> None:
    registry = AnnotatorRegistry(SqliteAnnotatorTable(tmp_path / "s.db"))
    token = registry.add("ana")
    registry.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        rows = conn.execute("SELECT * FROM annotators").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert token not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)


def test_a_live_token_is_trusted_for_cache_s_and_a_revocation_elsewhere_after(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    here = AnnotatorRegistry(SqliteAnnotatorTable(path), cache_s=1.0)
    elsewhere = AnnotatorRegistry(SqliteAnnotatorTable(path))  # `stream-al annotators` CLI
    try:
        token = here.add("ana")
        assert here.authenticate(token).name == "ana"
        elsewhere.revoke("ana")
        assert here.authenticate(token).name == "ana"  # cached, for at most cache_s
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                here.authenticate(token)
            except UnauthorizedError:
                break
            time.sleep(0.05)
        with pytest.raises(UnauthorizedError, match="revoked"):
            here.authenticate(token)
    finally:
        here.close()
        elsewhere.close()


def test_a_revocation_through_the_registry_itself_is_at_once(tmp_path: Path) -> None:
    registry = AnnotatorRegistry(SqliteAnnotatorTable(tmp_path / "s.db"), cache_s=60.0)
    try:
        token = registry.add("ana")
        assert registry.authenticate(token).name == "ana"
        registry.revoke("ana")
        with pytest.raises(UnauthorizedError, match="revoked"):
            registry.authenticate(token)
    finally:
        registry.close()


def test_the_last_admin_cannot_be_revoked_through_the_api(api: Api) -> None:
    root = api.client("root")
    refused = root.post("/v1/annotators/root/revoke")
    assert refused.status_code == 409
    assert refused.json()["error"] == "last_admin"
    assert "add another admin first" in refused.json()["message"]
    assert root.get("/v1/me").status_code == 200  # still an admin
    assert root.post("/v1/annotators", json={"name": "dee", "role": "admin"}).status_code == 201
    assert root.post("/v1/annotators/dee/revoke").status_code == 200  # another admin was left
    assert root.post("/v1/annotators/root/revoke").status_code == 409
    assert root.post("/v1/annotators", json={"name": "eli", "role": "admin"}).status_code == 201
    assert root.post("/v1/annotators/root/revoke").status_code == 200  # eli stays
    assert root.get("/v1/me").status_code == 401


def test_with_the_bootstrap_token_registered_admins_may_all_go_but_it_stays(
    tmp_path: Path,
) -> None:
    token = "a-bootstrap-admin-token-of-enough-length"
    settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, token=SecretStr(token))
    running = start_api(tmp_path, settings)
    try:
        assert running.client("root").post("/v1/annotators/root/revoke").status_code == 200
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=running.url, headers=headers) as boss:
            refused = boss.post("/v1/annotators/admin/revoke")
            assert refused.status_code == 409
            assert refused.json()["error"] == "bootstrap_admin"
            assert boss.get("/v1/annotators").status_code == 200
    finally:
        running.close()


def test_revoked_among_reads_the_table_for_each_backend(registry: AnnotatorRegistry) -> None:
    registry.add("ana")
    registry.add("bob")
    assert registry.revoked_among(["ana", "bob", "nobody"]) == []
    registry.revoke("bob")
    assert registry.revoked_among(["ana", "bob", "nobody"]) == ["bob"]
    assert registry.revoked_among([]) == []
    names = [f"n{k}" for k in range(1200)] + ["bob"]  # more than one query's worth
    assert registry.revoked_among(names) == ["bob"]


def test_the_document_gives_the_name_rule_the_server_applies(api: Api) -> None:
    schema = api.client().get("/openapi.json").json()["components"]["schemas"]["AnnotatorIn"]
    pattern = schema["properties"]["name"]["pattern"]
    root = api.client("root")
    for name, allowed in [("carl.b@x", True), ("-carl", False), ("a b", False), ("é", False)]:
        assert bool(re.fullmatch(pattern, name)) is allowed, name
        answer = root.post("/v1/annotators", json={"name": name})
        assert answer.status_code == (201 if allowed else 422), name
