"""Property-based tests of the API from its own OpenAPI document: every check, every caller.

Schemathesis reads ``/openapi.json`` from a live server and runs what ``st run
--checks all --mode all`` runs, in this process: the coverage phase (boundary
and just-out-of-bounds values of every parameter and field), the fuzzing phase
(requests that fit the schema, positive, and requests that do not, negative:
bad bodies, parameters, paths, missing or spoilt tokens) and the stateful phase
(call sequences along the document's links: lease a task, then label, skip or
release it; add an annotator, then revoke them; list disputes, then decide
one), each in both modes. It runs once per caller: an annotator's token, an
admin's and none. Every answer goes through every check schemathesis has: no
5xx, statuses, content types and headers as documented, bodies matching their
schema, invalid data refused and valid data accepted, the Allow header of a
405, authentication not ignored, and the rest.

Settings of the run, each for its reach:

- the admin is the ``[api] token`` admin: a registered admin could be revoked
  by the run itself (once it has added another admin) and leave the rest of
  the run to 401s, while the token's admin cannot be revoked through the API;
- failed sign-ins are not limited: negative cases send bad tokens on purpose,
  and the limit would answer the rest of the run 429 before any check of the
  routes' own logic (the limit has its tests in ``test_api_signin.py``);
- a fixed seed, so a failure is the same on the next run.

One allowance, for a false positive of the tool: a body larger than ``[api]
max_body_bytes`` is refused with 413 before it is read, which no JSON schema
can express in bytes, so 413 counts as a refusal of invalid data and as an
acceptable answer to valid data (it is documented on every route).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_harness import Api, start_api
from pydantic import SecretStr
from schemathesis.engine import events, from_schema

from stream_al.config.sections import ApiSettings

EXAMPLES = 40
SEED = 1
ADMIN_TOKEN = "the-api-token-admin-of-the-schemathesis-run"
#: Every check of the installed schemathesis (``st run --checks all``).
ALL_CHECKS = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
    }
)
PHASES = ("coverage", "fuzzing", "stateful")


@dataclass
class Outcome:
    """What one run sent and saw."""

    cases: Counter[tuple[str, str]] = field(default_factory=Counter)  # (phase, mode)
    statuses: Counter[int] = field(default_factory=Counter)
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, phase: str, recorder: Any) -> None:
        for node in recorder.cases.values():
            meta = node.value.meta
            self.cases[phase, meta.generation.mode.value if meta else "?"] += 1
        for interaction in recorder.interactions.values():
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
        for nodes in recorder.checks.values():
            for check in nodes:
                self.checks[check.name] += 1
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    self.failures.append(f"{recorder.label}: {check.name}: {failure.title}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Api]:
    """A server with 30 tasks queued, the [api] token admin and no sign-in limit."""
    settings = ApiSettings(port=0, token=SecretStr(ADMIN_TOKEN), signin_failures=1_000_000_000)
    running = start_api(tmp_path, settings)
    running.offer(*[0.01 * (i + 1) for i in range(30)])
    try:
        yield running
    finally:
        running.close()


def config_for(api: Api, role: str) -> schemathesis.Config:
    """Mode all, every check, the seed, and the role's token as the HTTPBearer scheme's.

    Given as the scheme's credentials (not as a header), the token goes where
    the document asks for it, and schemathesis knows when a negative case
    leaves it out or spoils it on purpose.
    """
    token = {"annotator": api.tokens["ana"], "admin": ADMIN_TOKEN, "none": None}[role]
    refused = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
    accepted = ["2xx", "3xx", "401", "403", "404", "409", "413", "429"]
    doc: dict[str, Any] = {
        "seed": SEED,
        "workers": 1,
        "cache": {"enabled": False},  # nothing written into the checkout
        "generation": {"mode": "all", "max-examples": EXAMPLES},
        "checks": {
            "negative_data_rejection": {"expected-statuses": refused},
            "positive_data_acceptance": {"expected-statuses": accepted},
        },
    }
    if token is not None:
        doc["auth"] = {"openapi": {"HTTPBearer": {"bearer": token}}}
    return schemathesis.Config.from_dict(doc)


def run(api: Api, role: str) -> Outcome:
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", config=config_for(api, role))
    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            outcome.errors.append(repr(event))
        recorder = getattr(event, "recorder", None)
        if recorder is not None:
            phase = getattr(event, "phase", "fuzzing")
            outcome.add(str(getattr(phase, "value", phase)), recorder)
    print(f"\n{role}: cases {dict(outcome.cases)} statuses {dict(outcome.statuses)}")
    return outcome


@pytest.mark.parametrize("role", ["annotator", "admin", "none"])
def test_every_phase_and_check_passes_for_each_caller(served: Api, role: str) -> None:
    outcome = run(served, role)
    assert outcome.errors == []
    assert outcome.failures == []
    assert [status for status in outcome.statuses if status >= 500] == []
    assert set(outcome.checks) >= ALL_CHECKS, ALL_CHECKS - set(outcome.checks)
    for phase in PHASES:
        for mode in ("positive", "negative"):
            assert outcome.cases[phase, mode] >= 20, (phase, mode, outcome.cases)
    if role == "none":
        assert 401 in outcome.statuses
    else:  # the token got the run past the sign-in
        assert sum(n for status, n in outcome.statuses.items() if 200 <= status < 300) >= 50


def test_the_links_lead_from_a_lease_to_its_task(served: Api) -> None:
    """The stateful phase follows these; a link to a missing operation would not be followed."""
    doc = served.client().get("/openapi.json").json()
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    lease = doc["paths"]["/v1/tasks/lease"]["post"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in lease.values()} == {"labels", "skip", "release"}
    added = doc["paths"]["/v1/annotators"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in added.values()} == {"revoke_annotator"}
    reviews = doc["paths"]["/v1/reviews"]["get"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in reviews.values()} == {"decide"}
    linked = [*lease.values(), *added.values(), *reviews.values()]
    assert {link["operationId"] for link in linked} <= ids
