"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder, 127.0.0.1.

``postgres_server`` (session) starts one on a free port and stops it afterwards (only that one:
``pg_ctl`` stops the server of its own data folder). ``postgres_url`` gives each test a new,
empty database on it. Without the binaries the tests that need it are skipped, unless
``DIGITS_REQUIRE_POSTGRES=1`` (``make test`` sets it): then they fail.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

USER = "digits"
counter = itertools.count()


def binaries() -> str | None:
    """The newest /usr/lib/postgresql/VERSION/bin holding initdb and pg_ctl, or None."""
    found = [folder for folder in glob.glob("/usr/lib/postgresql/*/bin")
             if os.path.exists(os.path.join(folder, "initdb")) and os.path.exists(os.path.join(folder, "pg_ctl"))]
    found.sort(key=lambda folder: int(folder.split("/")[-2]) if folder.split("/")[-2].isdigit() else 0)
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user Debian's package makes."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_server():
    """``(host, port)`` of a PostgreSQL server that lives as long as the test session."""
    folder_of_binaries = binaries()
    if folder_of_binaries is None:
        message = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make test` installs it"
        if os.environ.get("DIGITS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    psycopg = pytest.importorskip("psycopg")
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam("postgres").pw_uid
        except KeyError:
            pytest.fail("running as root, and there is no 'postgres' user to run PostgreSQL as "
                        "(Debian's postgresql package makes it)")
        # In /tmp, which the postgres user can reach whatever $TMPDIR says.
        folder = tempfile.mkdtemp(prefix="digits-postgres-", dir="/tmp")
        os.chown(folder, server_user, -1)
    else:
        folder = tempfile.mkdtemp(prefix="digits-postgres-")
    data = os.path.join(folder, "data")
    port = free_port()
    pg_ctl = os.path.join(folder_of_binaries, "pg_ctl")
    try:
        subprocess.run(as_server_user([os.path.join(folder_of_binaries, "initdb"), "-D", data, "-U", USER,
                                       "-A", "trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        # fsync off: a test database need not survive a power cut; -k: the socket in our folder, not /run.
        subprocess.run(as_server_user([pg_ctl, "-D", data, "-l", os.path.join(folder, "log"), "-w", "-t", "60",
                                       "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F", "start"]),
                       check=True, capture_output=True)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {error.stderr.decode(errors='replace').strip()}")
    # The server is a daemon: a test run stopped by SIGTERM (`timeout`, CI) must still stop it, so
    # SIGTERM becomes KeyboardInterrupt while it runs, and pytest's teardown reaches the line below.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with psycopg.connect(f"postgresql://{USER}@127.0.0.1:{port}/postgres", connect_timeout=10):
            pass
        yield "127.0.0.1", port
    finally:
        subprocess.run(as_server_user([pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def interrupt(signal_number, frame):
    raise KeyboardInterrupt(f"signal {signal_number}")


@pytest.fixture()
def postgres_url(postgres_server):
    """A URL of a new, empty database on the session's server."""
    import psycopg

    host, port = postgres_server
    name = f"test_{os.getpid()}_{next(counter)}"
    with psycopg.connect(f"postgresql://{USER}@{host}:{port}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"postgresql://{USER}@{host}:{port}/{name}"
