"""A real django-q2 cluster fires armed and lost timers exactly once, across a crash: with the
embedded ORM broker and with Redis (the scale-out broker, chosen by REDIS_URL only)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_q.models import Schedule

from tests import servers
from tests.flowapp.models import Errand
from workflows import clock, timers
from workflows.models import AuditEntry, Timer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["orm", "redis"])
def broker(request):
    """REDIS_URL for the cluster ("" keeps the ORM broker)."""
    if request.param == "orm":
        yield ""
        return
    binary = servers.ensure_package("redis-server", "redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be (needs root + apt-get)")
    redis = servers.RedisServer(binary).start()
    yield redis.url
    redis.stop()


def start_cluster(broker: str):
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.cluster_settings", "Q_WORKERS": "1"}
    env["REDIS_URL"] = broker
    if db["ENGINE"].endswith("sqlite3"):
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(1)
    return condition()


def stop(cluster, *, crash=False):
    if crash:
        os.killpg(cluster.pid, signal.SIGKILL)
    else:
        cluster.terminate()  # the main process only: it stops its own workers
    try:
        cluster.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)


def expired():
    return Errand.objects.filter(state="expired").count()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_real_cluster_fires_each_deadline_once_across_a_crash_mid_run(broker):
    """Two waves of deadlines; the cluster is killed (SIGKILL, no clean shutdown) after the
    first wave fired and before the second is due. After a restart every deadline has fired
    exactly once, including the ones whose django-q2 schedule was lost (only the sweep knows)."""
    handler = "tests.flowapp.handlers.expire"
    first, second = clock.now() + dt.timedelta(seconds=3), clock.now() + dt.timedelta(seconds=45)
    waves = {first: [], second: []}
    for due, errands in waves.items():
        for n in range(8):
            errand = Errand.objects.create()
            timer = timers.arm(errand, "expiry", due, handler)
            if n % 4 == 0:
                Schedule.objects.filter(name=timer.schedule_name).delete()
            errands.append(errand)

    crashed = start_cluster(broker)
    try:
        assert wait_for(lambda: expired() >= 8, 60), "first wave did not fire"
        assert expired() == 8, "second wave fired too early"
    finally:
        stop(crashed, crash=True)

    cluster = start_cluster(broker)
    try:
        assert wait_for(lambda: expired() == 16, 100), "second wave lost after the crash"
        time.sleep(3)  # a double fire would show up now
    finally:
        stop(cluster)

    for errand in waves[first] + waves[second]:
        assert AuditEntry.for_object(errand).filter(event="expire").count() == 1
    assert not Timer.objects.filter(fired_at__isnull=True).exists()
    if broker:  # the tasks really went through Redis
        import redis

        assert redis.from_url(broker).info("stats")["total_commands_processed"] > 100
