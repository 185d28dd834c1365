import datetime as dt
import zoneinfo

import pytest
from django.contrib.auth.models import Group, User

from tests.tickets_support.fake_github import WEBHOOK_SECRET, FakeGitHub
from workflows import clock as project_clock
from workflows import indicators_rollup_read as rollup_read

SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
pytest_plugins = ["tests.sales_fixtures"]


def at(*args) -> dt.datetime:
    """An aware São Paulo datetime, e.g. at(2027, 4, 20, 9)."""
    return dt.datetime(*args, tzinfo=SP)


@pytest.fixture(autouse=True)
def _clock_runs_after_each_test():
    yield
    project_clock.freeze(None)
    # A test's rolled-back transaction lets SQLite give its kept days' ids again: the next
    # test's stamp could then match an answer of this one (in production ids are never reused).
    rollup_read.forget_reads()


@pytest.fixture
def clock():
    """The project clock, frozen on a Monday morning; move it with clock.freeze/advance."""
    project_clock.freeze(at(2027, 4, 19, 9, 0))
    return project_clock


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(*roles, **fields):
        n = next(counter)
        user = User.objects.create_user(
            username=fields.pop("username", f"user{n}"), password="senha-teste-123", **fields
        )
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def fake_github(settings):
    """The app pointed at a FakeGitHub, with the webhook secret set."""
    with FakeGitHub() as fake:
        settings.GITHUB_API_URL = fake.url
        settings.GITHUB_REPOSITORY = "webplanet/g3stor"
        settings.GITHUB_TOKEN = "test-token"
        settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.GITHUB_TIMEOUT_SECONDS = 5
        yield fake
