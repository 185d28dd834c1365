from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("entrar/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sair/", auth_views.LogoutView.as_view(), name="logout"),
    path("fichas/", views.ficha_search, name="ficha_search"),
    path("fichas/<int:pk>/", views.ficha_detail, name="ficha_detail"),
    path("historico/<int:ct>/<str:pk>/", views.history, name="history"),
    path("historico/<int:ct>/<str:pk>/excecao/", views.add_override, name="add_override"),
    path("validar/<str:token>/", views.holder_validation, name="holder_validation"),
    path("suporte/", include("tickets.urls")),
    path("cadastros/", include("onboarding.urls")),
    path("admin/", admin.site.urls),
]
