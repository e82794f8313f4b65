"""No input stops the stream: a property test over the real service, end to end.

The scorer, queue and learner run as `stream-al run` wires them (the
embedded transport, a SQLite store file), with the annotation API on a real
loopback port. Hypothesis feeds the input topic arbitrary bytes and arbitrary
JSON: lone surrogates in every string position (ids, keys, features, text,
labels), integers of hundreds and thousands of digits, the smallest and
largest floats, deep nesting, huge strings, wrong types, repeated ids. Then an
annotator leases and labels (well and badly) and an admin reads every figure.

The properties, for every batch:

- no exception escapes, and none is even caught: the loops' guards count no
  batch failure (a failure would mean a hostile record got past the edge);
- every record is scored, dropped as a repeated id, or dead-lettered with its
  reason: the scorer's counters add up to the records sent;
- every answer of the API is a 2xx or a 4xx that its OpenAPI document lists
  for that route, and is JSON.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stream_al.api import start_api
from stream_al.config import Settings
from stream_al.service.counters import StreamCounters
from stream_al.service.wiring import Roles, build_roles, build_transport, close_roles
from stream_al.transport.memory import MemoryBroker

ADMIN = "a-hostile-test-admin-token-of-enough-length"

# -- what hostile producers send ------------------------------------------------------------

_SURROGATE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
_TEXT = st.one_of(
    st.text(max_size=12),
    st.tuples(st.text(max_size=4), _SURROGATE, st.text(max_size=4)).map("".join),
    st.sampled_from(["", " ", "x" * 100_000, "\x00", "é" * 300, "🙂", "2024-01-01T00:00:00Z"]),
)
_NUMBER = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-(10**400), 10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, -5e-324, 1.7976931348623157e308, -0.0, 2**63, -(2**63) - 1]),
)
_SCALAR = st.one_of(st.none(), st.booleans(), _NUMBER, _TEXT)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_ID = st.one_of(st.sampled_from(["1", "2", "3", 4, 5]), st.integers(), _TEXT, _JSON)
_EVENT = st.fixed_dictionaries(
    {"id": _ID},
    optional={
        "time": st.one_of(_NUMBER, _TEXT, st.none()),
        "x": _NUMBER,
        "y": _JSON,
        "colour": _TEXT,
        "text": st.one_of(_TEXT, _JSON),
        "label": st.one_of(st.sampled_from(["up", "down"]), _SCALAR, _JSON),
    },
).flatmap(lambda event: st.dictionaries(_TEXT, _JSON, max_size=2).map(lambda extra: extra | event))


def _as_bytes(event: dict[str, Any], ascii_only: bool) -> bytes:
    """JSON as a producer might write it: escaped, or raw (surrogates as CESU-8 bytes)."""
    text = json.dumps(event, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


_RECORD = st.one_of(
    st.binary(max_size=40),
    st.tuples(_EVENT, st.booleans()).map(lambda pair: _as_bytes(*pair)),
    st.tuples(_JSON, st.booleans()).map(lambda pair: _as_bytes({"v": pair[0]}, pair[1])[5:-1]),
    st.integers(30, 3000).map(lambda d: b'{"id": "deep", "x": ' + b"[" * d + b"]" * d + b"}"),
    st.integers(300, 6000).map(lambda n: b'{"id": "big", "x": ' + b"9" * n + b"}"),
    st.integers(300, 6000).map(lambda n: b'{"id": ' + b"7" * n + b', "x": 1}'),
)
_SERIAL = itertools.count()


def _good() -> bytes:
    """A well-formed event with a fresh id (most of a stream is: the queue fills)."""
    n = next(_SERIAL)
    event = {"id": f"good-{n}", "time": n, "x": n % 7, "colour": "rgb"[n % 3]}
    return json.dumps(event | {"label": ("up", "down")[n % 2]}).encode()


# -- the service ----------------------------------------------------------------------------


@dataclass
class Running:
    roles: Roles
    broker: MemoryBroker
    topic: str
    admin: httpx.Client
    annotator: httpx.Client
    documented: dict[tuple[str, str], set[int]]

    def pump(self) -> None:
        """Run every loop until none has records left (the service loop's rounds)."""
        busy = True
        while busy:
            busy = False
            for consumer, guard in self.roles.loops:
                records = consumer.poll(100, timeout_ms=0)
                if records:
                    guard(records)
                    busy = True

    def counters(self) -> dict[str, StreamCounters]:
        assert self.roles.scorer is not None
        assert self.roles.learner is not None
        return {"scorer": self.roles.scorer.counters, "learner": self.roles.learner.counters}

    def check(self, response: httpx.Response, method: str, route: str) -> Any:
        """The answer is a 2xx or a documented 4xx of `route`, in JSON."""
        allowed = self.documented[(method, route)]
        assert response.status_code in allowed or 200 <= response.status_code < 300, (
            f"{method.upper()} {route} answered {response.status_code} "
            f"(documented: {sorted(allowed)}): {response.text[:300]}"
        )
        return response.json()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("hostile")
    config = Settings(
        store={"path": str(tmp / "s.db")},
        fields={"time": "time", "text": "text", "label": "label"},  # classes from the events
        strategy={"budget": 0.5},
        api={"port": 0, "token": ADMIN, "max_leased_per_annotator": 5},
        scorer={"max_batch_failures": 2},
    )
    broker = MemoryBroker()
    roles = build_roles(config, build_transport(config, broker), {"scorer", "queue", "learner"})
    for _, guard in roles.loops:
        guard.backoff.initial = guard.backoff.maximum = 0.001
    server = start_api(config, roles)
    roles.on_close.append(server.stop)
    admin = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"})
    token = admin.post("/v1/annotators", json={"name": "ana"}).json()["token"]
    annotator = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    documented: dict[tuple[str, str], set[int]] = {}
    for path, operations in admin.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            documented[(method, path)] = {int(s) for s in operation["responses"] if s.isdigit()}
    running = Running(roles, broker, config.kafka.input_topic, admin, annotator, documented)
    try:
        yield running
    finally:
        admin.close()
        annotator.close()
        close_roles(roles)


# -- the property -----------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@example(  # every reason class the summary below expects, whatever hypothesis draws
    drawn=[b"[1, 2]", b"{oops", b'{"id": "a\\ud800", "x": 1}', b'{"x": 1}', None, None, None],
    answers=[None],
    skip=False,
)
@given(
    drawn=st.lists(st.one_of(_RECORD, st.none(), st.none()), min_size=1, max_size=25),
    answers=st.lists(st.one_of(st.none(), _SCALAR, _JSON), min_size=1, max_size=5),
    skip=st.booleans(),
)
def test_no_input_stops_the_stream_and_every_answer_is_documented(
    service: Running, drawn: list[bytes | None], answers: list[Any], skip: bool
) -> None:
    records = [_good() if value is None else value for value in drawn]
    before = {role: StreamCounters.from_state(c.state()) for role, c in service.counters().items()}
    producer = service.broker.producer()
    for value in records:
        producer.send(service.topic, value, key=b"k")
    service.pump()

    scorer = service.counters()["scorer"]
    done = scorer.plus(StreamCounters())  # a copy
    gained = (
        done.scored - before["scorer"].scored,
        done.duplicates - before["scorer"].duplicates,
        sum(done.dead_lettered.values()) - sum(before["scorer"].dead_lettered.values()),
    )
    assert sum(gained) == len(records), f"scored, repeated, dead-lettered: {gained}"
    assert done.batch_failures == before["scorer"].batch_failures == 0
    assert "failure" not in done.dead_lettered

    _annotate(service, answers, skip)
    service.pump()  # the learner reads what the annotator gave
    learner = service.counters()["learner"]
    assert learner.batch_failures == 0
    assert "failure" not in learner.dead_lettered
    _read_everything(service)


def _annotate(service: Running, answers: list[Any], skip: bool) -> None:
    client, check = service.annotator, service.check
    leased = check(client.post("/v1/tasks/lease", params={"n": 3}), "post", "/v1/tasks/lease")
    for k, task in enumerate(leased.get("tasks", [])):
        item = task["item_id"]
        if skip and k == 0:
            route = "/v1/tasks/{item_id}/skip"
            check(client.post(f"/v1/tasks/{item}/skip"), "post", route)
            continue
        given = answers[k % len(answers)]
        label = task["classes"][0] if given is None and task["classes"] else given
        body = json.dumps({"labels": [{"item_id": item, "label": label}]})  # escapes surrogates
        answer = client.post(
            "/v1/labels", content=body, headers={"content-type": "application/json"}
        )
        check(answer, "post", "/v1/labels")
        if k == 1:  # the rest go back to the queue
            break
    for task in leased.get("tasks", [])[2:]:
        route = "/v1/tasks/{item_id}/release"
        check(client.post(f"/v1/tasks/{task['item_id']}/release"), "post", route)


def _read_everything(service: Running) -> None:
    admin, check = service.admin, service.check
    for route in ("/v1/stats", "/v1/dashboard", "/v1/quality", "/v1/reviews", "/v1/classes"):
        check(admin.get(route), "get", route)
    check(service.annotator.get("/v1/stats"), "get", "/v1/stats")
    assert admin.get("/metrics").status_code == 200
    health = admin.get("/healthz")
    assert health.status_code == 200, health.text


def test_the_hostile_stream_reached_every_part(service: Running) -> None:
    """The property above ran through the scorer, the queue, the API and the learner."""
    counters = service.counters()
    assert counters["scorer"].scored > 10
    assert {"json", "shape", "id"} <= set(counters["scorer"].dead_lettered)
    assert counters["learner"].scored > 0  # labels came back through the API and were learned
    stats = service.admin.get("/v1/stats").json()  # what operators see: the saved counts
    scorer = counters["scorer"]
    assert stats["items_scored"] == scorer.scored
    assert stats["records"]["scorer"] == {
        "handled": scorer.scored,
        "duplicates": scorer.duplicates,
        "dead_lettered": scorer.dead_lettered,
        "batch_failures": 0,
    }
    metrics = service.admin.get("/metrics").text
    for kind, n in scorer.dead_lettered.items():
        line = f'stream_al_dead_letters_total{{reason="{kind}",role="scorer"}} {float(n)}'
        assert line in metrics
    assert f'stream_al_duplicates_dropped_total{{role="scorer"}} {float(scorer.duplicates)}' in (
        metrics
    )
