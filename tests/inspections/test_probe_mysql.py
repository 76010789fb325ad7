"""The MySQL / MariaDB login check against the real MariaDB on loopback (127.0.0.1:3306, root
without a password, as .ci/run's mariadb-server): a user and database made for the test."""

import secrets

import pytest

from inspections.probes import Status, run_checks_sync
from inspections.probes.guard import TargetPolicy
from inspections.probes.kinds.mysql import MysqlCheck

LOOPBACK = TargetPolicy(allow_internal=True)


@pytest.fixture(scope="module")
def account():
    import pymysql

    try:
        root = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3)
    except pymysql.err.MySQLError as error:
        if "refused" in str(error).lower():  # as the node_exporter tests: the server is not here
            pytest.skip("no MariaDB on 127.0.0.1:3306: apt-get install -y mariadb-server")
        pytest.fail(f"MariaDB on 127.0.0.1:3306 refused root: {error}")
    name = f"om_probe_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    with root.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        cursor.execute(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY %s", (password,))
        cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{name}'@'127.0.0.1', '{name}'@'localhost'")
    try:
        yield name, password
    finally:
        with root.cursor() as cursor:
            cursor.execute(f"DROP USER IF EXISTS '{name}'@'127.0.0.1', '{name}'@'localhost'")
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()


def run(*checks):
    return run_checks_sync(list(checks), policy=LOOPBACK, timeout=5)


def test_login_and_refusals(account):
    name, password = account
    ok, wrong, nodb, slow = run(
        MysqlCheck("127.0.0.1", dbname=name, user=name, password=password),
        MysqlCheck("127.0.0.1", dbname=name, user=name, password="not-" + password),
        MysqlCheck("127.0.0.1", dbname=name + "_none", user=name, password=password),
        MysqlCheck("127.0.0.1", dbname=name, user=name, password=password, max_latency_ms=0.001),
    )
    assert ok.status is Status.OK, ok.text
    assert ok.values["latency_ms"] > 0
    assert wrong.status is Status.FAILED
    assert wrong.message == "Database login refused: wrong user name or password"
    assert wrong.values["login_refused"] is True
    # No grant on another database: MariaDB says access denied (1044), as for a wrong password.
    assert nodb.status is Status.FAILED and nodb.values["login_refused"] is True
    assert slow.status is Status.FAILED and slow.message.startswith("Answered in")


def test_closed_port_and_guard():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    [closed] = run(MysqlCheck("127.0.0.1", port=port, dbname="x", user="x"))
    assert closed.status is Status.FAILED and closed.message == "Connection refused"
    [refused] = run_checks_sync([MysqlCheck("127.0.0.1", dbname="x", user="x")])
    assert refused.status is Status.ERROR and refused.message == "The target is a loopback address"


@pytest.mark.parametrize("options", [{"dbname": "", "user": "u"}, {"dbname": "d", "user": "u" * 65}])
def test_malformed(options):
    with pytest.raises(ValueError):
        MysqlCheck("10.0.0.1", **options)
