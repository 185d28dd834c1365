import os

from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

from web.runtime import settle_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
application = get_wsgi_application()
# The server refuses to start on an unsafe configuration (web/checks.py), as manage.py does.
call_command("check", tag=["balcao"], fail_level="ERROR", verbosity=0)
settle_gc()  # after Django and the project are loaded, so they are frozen (web/runtime.py)
