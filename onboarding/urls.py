from django.urls import path

from . import checklist_views, duplicate_views, registration_views, training_views

app_name = "onboarding"
urlpatterns = [
    path("", registration_views.index, name="index"),
    path("novo/", registration_views.register, name="register"),
    path("fichas/<id:pk>/editar/", registration_views.edit, name="edit"),
    path("duplicidades/", duplicate_views.queue, name="queue"),
    path("duplicidades/<id:pk>/", duplicate_views.case_detail, name="case"),
    path("duplicidades/<id:pk>/informar/", duplicate_views.case_inform, name="case_inform"),
    path("duplicidades/<id:pk>/escolher/", duplicate_views.case_choose, name="case_choose"),
    path("duplicidades/<id:pk>/unificar/", duplicate_views.case_merge, name="case_merge"),
    path("duplicidades/<id:pk>/descartar/", duplicate_views.case_dismiss, name="case_dismiss"),
]

urlpatterns += [
    path("onboarding/", checklist_views.onboarding_list, name="onboarding_list"),
    path("fichas/<id:pk>/onboarding/", checklist_views.ficha_onboarding, name="ficha_onboarding"),
    path("onboarding/<id:pk>/", checklist_views.onboarding_detail, name="onboarding"),
    path(
        "onboarding/<id:pk>/<slug:action>/",
        checklist_views.onboarding_action,
        name="onboarding_action",
    ),
]

urlpatterns += [
    path("treinamentos/", training_views.slots, name="slots"),
    path("treinamentos/publicar/", training_views.slot_publish, name="slot_publish"),
    path("treinamentos/<id:pk>/agendar/", training_views.slot_book, name="slot_book"),
    path(
        "treinamentos/reservas/<id:pk>/<slug:action>/",
        training_views.booking_action,
        name="booking_action",
    ),
]
