from django.apps import AppConfig


class FlowappConfig(AppConfig):
    name = "tests.flowapp"
    label = "flowapp"
