from django.urls import path

from . import checklist_views, duplicate_views, registration_views, training_views

app_name = "onboarding"
urlpatterns = [
    path("", registration_views.index, name="index"),
    path("novo/", registration_views.register, name="register"),
    path("fichas/<int:pk>/editar/", registration_views.edit, name="edit"),
    path("duplicidades/", duplicate_views.queue, name="queue"),
    path("duplicidades/<int:pk>/", duplicate_views.case_detail, name="case"),
    path("duplicidades/<int:pk>/informar/", duplicate_views.case_inform, name="case_inform"),
    path("duplicidades/<int:pk>/escolher/", duplicate_views.case_choose, name="case_choose"),
    path("duplicidades/<int:pk>/unificar/", duplicate_views.case_merge, name="case_merge"),
    path("duplicidades/<int:pk>/descartar/", duplicate_views.case_dismiss, name="case_dismiss"),
]

urlpatterns += [
    path("onboarding/", checklist_views.onboarding_list, name="onboarding_list"),
    path("fichas/<int:pk>/onboarding/", checklist_views.ficha_onboarding, name="ficha_onboarding"),
    path("onboarding/<int:pk>/", checklist_views.onboarding_detail, name="onboarding"),
    path(
        "onboarding/<int:pk>/<slug:action>/",
        checklist_views.onboarding_action,
        name="onboarding_action",
    ),
]

urlpatterns += [
    path("treinamentos/", training_views.slots, name="slots"),
    path("treinamentos/publicar/", training_views.slot_publish, name="slot_publish"),
    path("treinamentos/<int:pk>/agendar/", training_views.slot_book, name="slot_book"),
    path(
        "treinamentos/reservas/<int:pk>/<slug:action>/",
        training_views.booking_action,
        name="booking_action",
    ),
]
