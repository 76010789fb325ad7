"""Fixtures of the inspections tests: two of contract A's assets, and scripted HTTP servers."""

import socket
import threading

import pytest

from contracts.models import Asset


@pytest.fixture
def web_asset(contract_a):
    return Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证受理系统", url="https://10.1.2.3/health"
    )


@pytest.fixture
def db_asset(contract_a):
    return Asset.objects.create(contract=contract_a, kind=Asset.Kind.DATABASE, name="人口库", host="10.1.2.4")


@pytest.fixture(scope="module")
def scripted():
    """Servers that read a request and answer with fixed bytes (None: close without a word);
    ``requests`` keeps what each was sent."""
    listeners, requests = [], []

    def start(reply):
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def answer():
            while True:
                try:
                    connection = listener.accept()[0]
                except OSError:
                    return
                with connection:
                    requests.append(connection.recv(65536))
                    if reply is not None:
                        connection.sendall(reply)

        threading.Thread(target=answer, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    start.requests = requests
    yield start
    for listener in listeners:
        listener.close()
