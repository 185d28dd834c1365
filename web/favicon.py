"""The icon browsers ask for at /favicon.ico on pages that do not name one (the admin): the
same square as the app's pages, so no page logs a 404."""

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
    "<rect width='16' height='16' rx='3' fill='#0b5cab'/></svg>"
)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(ICON, content_type="image/svg+xml")
