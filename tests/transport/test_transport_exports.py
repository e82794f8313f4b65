"""The public surface of `stream_al.transport`, and that the embedded mode never loads kafka."""

from __future__ import annotations

import subprocess
import sys

import stream_al.transport as transport
import stream_al.transport.kafka as kafka_backend


def test_every_exported_name_exists() -> None:
    for module in (transport, kafka_backend):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], f"{module.__name__} exports missing names {missing}"


def test_importing_the_transport_does_not_import_kafka_python() -> None:
    code = "import sys, stream_al.transport; print('kafka' in sys.modules)"
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
