import os

from django.core.wsgi import get_wsgi_application

from web.runtime import settle_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
application = get_wsgi_application()
settle_gc()  # after Django and the project are loaded, so they are frozen (web/runtime.py)
