"""The public surface of `stream_al.transport`, and that the embedded mode loads no Kafka client."""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
from types import ModuleType

import pytest

import stream_al.transport as transport
import stream_al.transport.kafka as kafka_backend
from stream_al.exceptions import ConfigError


def backends() -> list[ModuleType]:
    found = [transport, kafka_backend]
    with contextlib.suppress(ConfigError):  # confluent-kafka is an optional extra
        found.append(importlib.import_module("stream_al.transport.confluent"))
    return found


def test_every_exported_name_exists() -> None:
    for module in backends():
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], f"{module.__name__} exports missing names {missing}"


@pytest.mark.parametrize("client", ["kafka", "confluent_kafka"])
def test_importing_the_transport_does_not_import_a_kafka_client(client: str) -> None:
    code = f"import sys, stream_al.transport; print({client!r} in sys.modules)"
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
