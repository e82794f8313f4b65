"""`stream-al annotators add | list | revoke` against the store file of a config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stream_al.api import open_registry
from stream_al.api.errors import UnauthorizedError
from stream_al.cli import app

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "stream-al.toml"
    path.write_text(f'[store]\npath = "{tmp_path / "s.db"}"\n')
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["annotators", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_prints_only_the_token_and_it_authenticates(config: Path, tmp_path: Path) -> None:
    code, out, err = _run("add", "ana", "--config", str(config))
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n"  # nothing else on stdout: TOKEN=$(stream-al annotators add ana)
    assert "shown once" in err
    code, out, _ = _run("add", "root", "--admin", "--config", str(config))
    registry = open_registry(tmp_path / "s.db")
    try:
        assert registry.authenticate(token).name == "ana"
        assert registry.authenticate(out.strip()).role.value == "admin"
    finally:
        registry.close()


def test_list_shows_name_role_created_revoked_and_labels(config: Path, tmp_path: Path) -> None:
    from stream_al.store import open_store

    _run("add", "ana", "--config", str(config))
    _run("add", "root", "--admin", "--config", str(config))
    with open_store(tmp_path / "s.db") as store:
        store.add_label("7", "cat", annotator="ana", time=1.0)
    code, out, _ = _run("list", "--json", "--config", str(config))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["name"], r["role"], r["revoked"], r["labels"]) for r in rows] == [
        ("ana", "annotator", None, 1),
        ("root", "admin", None, 0),
    ]
    code, out, _ = _run("list", "--config", str(config))
    assert code == 0
    assert "ana" in out
    assert "annotator" in out


def test_revoke_makes_the_token_fail(config: Path, tmp_path: Path) -> None:
    _, out, _ = _run("add", "ana", "--config", str(config))
    code, _, _ = _run("revoke", "ana", "--config", str(config))
    assert code == 0
    registry = open_registry(tmp_path / "s.db")
    try:
        with pytest.raises(UnauthorizedError, match="revoked"):
            registry.authenticate(out.strip())
    finally:
        registry.close()
    _, listed, _ = _run("list", "--json", "--config", str(config))
    assert json.loads(listed)["revoked"] is not None


def test_revoke_may_take_the_last_admin_and_says_so(config: Path) -> None:
    _run("add", "root", "--admin", "--config", str(config))
    _run("add", "dee", "--admin", "--config", str(config))
    code, out, err = _run("revoke", "dee", "--config", str(config))
    assert (code, out) == (0, "revoked 'dee'\n")
    assert "last admin" not in err
    code, out, err = _run("revoke", "root", "--config", str(config))
    assert (code, out) == (0, "revoked 'root'\n")
    assert "'root' was the last admin" in err
    assert "stream-al annotators add NAME --admin" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("add", "ana"), "already exists"),
        (("add", "bad name"), "not allowed"),
        (("revoke", "nobody"), "no annotator 'nobody'"),
    ],
)
def test_name_mistakes_exit_1_with_what_to_do(
    config: Path, args: tuple[str, ...], says: str
) -> None:
    _run("add", "ana", "--config", str(config))
    code, out, err = _run(*args, "--config", str(config))
    assert code == 1
    assert out == ""
    assert says in err


def test_a_memory_store_exits_2_and_says_how_to_add_annotators(tmp_path: Path) -> None:
    config = tmp_path / "memory.toml"
    config.write_text('[store]\npath = ":memory:"\n')
    code, _, err = _run("add", "ana", "--config", str(config))
    assert code == 2
    assert "POST /v1/annotators" in err
