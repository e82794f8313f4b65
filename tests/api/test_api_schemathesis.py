"""Property-based test of the API from its own OpenAPI document: no request makes it fail.

Schemathesis reads ``/openapi.json`` from the live server and generates, for
every operation, requests that fit the schema (positive) and requests that do
not (negative: bad bodies, parameters, paths), sent with an admin token; no
answer may be a 5xx. Each operation gets a bounded number of examples.

(The operations are looped over inside the test rather than collected with
``schemathesis.pytest.from_fixture``: that loader needs a pytest attribute
that pytest 9 no longer has.)
"""

from __future__ import annotations

import pytest
import schemathesis
from api_harness import Api
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

EXAMPLES = 50


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_is_answered_with_a_5xx(api: Api, mode: GenerationMode) -> None:
    api.offer(*[0.01 * (i + 1) for i in range(30)])
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    headers = {"Authorization": f"Bearer {api.tokens['root']}"}
    for operation in operations:
        inputs = len(operation.path_parameters) + len(operation.query) + len(operation.body)
        if mode is GenerationMode.NEGATIVE and not inputs:
            continue  # nothing in the request to make invalid

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode))
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
