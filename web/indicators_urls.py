"""Indicadores (issue 19): the page, its XLSX export and the records behind each figure."""

from django.urls import path

from . import indicators_views as views

app_name = "indicators"

urlpatterns = [
    path("", views.page, name="page"),
    path("exportar/", views.export, name="export"),
    path("lista/<slug:key>/", views.records, name="list"),
    path("lista/<slug:key>/exportar/", views.records_export, name="list_export"),
]
