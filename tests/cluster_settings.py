"""Settings for a real `qcluster` started by the slow timer test: the toy flow app included."""

from web.settings import *  # noqa: F403
from web.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.flowapp"]
