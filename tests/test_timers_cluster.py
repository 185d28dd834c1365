"""A real django-q2 cluster fires armed and lost timers exactly once, across a crash."""

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

from tests.flowapp.models import Errand
from workflows import clock, timers
from workflows.models import AuditEntry

ROOT = Path(__file__).resolve().parent.parent


def start_cluster():
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.cluster_settings", "Q_WORKERS": "1"}
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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_real_cluster_fires_each_deadline_once_even_after_a_crash():
    due = clock.now() + dt.timedelta(seconds=3)
    armed, lost = Errand.objects.create(), Errand.objects.create()
    timers.arm(armed, "expiry", due, "tests.flowapp.handlers.expire")
    lost_timer = timers.arm(lost, "expiry", due, "tests.flowapp.handlers.expire")
    Schedule.objects.filter(name=lost_timer.schedule_name).delete()  # only the sweep knows it

    crashed = start_cluster()
    time.sleep(4)
    os.killpg(crashed.pid, signal.SIGKILL)  # a crash before the scheduler's first look
    crashed.wait()

    cluster = start_cluster()
    try:
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline:
            if Errand.objects.filter(state="expired").count() == 2:
                break
            time.sleep(1)
        time.sleep(2)  # a double fire would show up now
    finally:
        cluster.terminate()  # the main process only: it stops its own workers
        try:
            cluster.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)

    assert set(Errand.objects.values_list("state", flat=True)) == {"expired"}
    for errand in (armed, lost):
        assert AuditEntry.for_object(errand).filter(event="expire").count() == 1
