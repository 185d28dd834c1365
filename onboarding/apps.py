from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Cadastros e treinamentos"

    def ready(self):
        from . import signals  # noqa: F401  (G7: detection on every save of a ficha)
