from django.urls import path

from . import views

app_name = "onboarding"
urlpatterns = [
    path("", views.index, name="index"),
    path("novo/", views.register, name="register"),
    path("fichas/<int:pk>/editar/", views.edit, name="edit"),
    path("duplicidades/", views.queue, name="queue"),
    path("duplicidades/<int:pk>/", views.case_detail, name="case"),
    path("duplicidades/<int:pk>/informar/", views.case_inform, name="case_inform"),
    path("duplicidades/<int:pk>/escolher/", views.case_choose, name="case_choose"),
    path("duplicidades/<int:pk>/unificar/", views.case_merge, name="case_merge"),
    path("duplicidades/<int:pk>/descartar/", views.case_dismiss, name="case_dismiss"),
]

urlpatterns += [
    path("onboarding/", views.onboarding_list, name="onboarding_list"),
    path("fichas/<int:pk>/onboarding/", views.ficha_onboarding, name="ficha_onboarding"),
    path("onboarding/<int:pk>/", views.onboarding_detail, name="onboarding"),
    path("onboarding/<int:pk>/<slug:action>/", views.onboarding_action, name="onboarding_action"),
]

urlpatterns += [
    path("treinamentos/", views.slots, name="slots"),
    path("treinamentos/publicar/", views.slot_publish, name="slot_publish"),
    path("treinamentos/<int:pk>/agendar/", views.slot_book, name="slot_book"),
    path(
        "treinamentos/reservas/<int:pk>/<slug:action>/",
        views.booking_action,
        name="booking_action",
    ),
]
