"""Demo data for the onboarding pages (G5, G7), made through the services so it obeys the
rules; meant to be called by the project's `demo_data` command after its own data.
Running it again changes nothing."""

from django.conf import settings
from django.contrib.auth.models import User

from workflows import clock
from workflows.businessdays import add_business_days
from workflows.models import Ficha
from workflows.validators import cpf_with_check_digits, format_document

from .checklist import onboarding_start, onboarding_step_done
from .models import OnboardingStep, TrainingSlot
from .registration import ficha_register
from .training import training_book, training_slot_publish

DUPLICATE_DOCUMENT = cpf_with_check_digits("258147369")


def seed_demo() -> bool:
    """Training slots for the coming business days, a duplicate registration waiting in the
    central team's queue, one booked training and some onboarding progress. Returns False
    when the demo users are missing or the seed already ran."""
    users = {u.username: u for u in User.objects.filter(username__in=["ana", "carla", "elisa"])}
    if len(users) < 3 or TrainingSlot.objects.exists():
        return False
    ana, carla = users["ana"], users["carla"]
    bitrix = f"https://{settings.BITRIX_PORTAL_HOST}/crm/deal/details/"
    today = clock.today()
    slots = []
    for n, shift in [(1, "manha"), (1, "tarde"), (2, "manha"), (3, "tarde")]:
        slots.append(
            training_slot_publish(
                actor=carla,
                date=add_business_days(today, n),
                shift=shift,
                attendant=carla,
                capacity=3,
            )
        )
    rafael = Ficha.objects.filter(email="rafael.monteiro@gmail.com").first()
    if rafael is not None and not Ficha.objects.filter(document=DUPLICATE_DOCUMENT).exists():
        # the same lawyer registered again, with his e-mail typed differently
        ficha_register(
            {
                "name": "Rafael Monteiro",
                "document": format_document(DUPLICATE_DOCUMENT),
                "email": " Rafael.Monteiro@Gmail.com ",
                "phone": "(11) 98765-1234",
                "oab": "234567/SP",
                # his new office: the central team chooses which address stays (G7)
                "address": "Av. Brigadeiro Faria Lima, 3477, 14º andar",
                "district": "Itaim Bibi",
                "city": "São Paulo",
                "state_uf": "SP",
                "cep": "04538-133",
            },
            actor=ana,
        )
    juliana = Ficha.objects.filter(email="juliana.castro@outlook.com").first()
    if juliana is not None:
        onboarding = onboarding_start(juliana)
        onboarding_step_done(
            onboarding,
            OnboardingStep.Kind.INTIMACAO,
            actor=ana,
            note="Intimação habilitada para a OAB RJ 145.890",
        )
        training_book(
            slots[0],
            juliana,
            actor=ana,
            channel="phone",
            text="Cliente quer treinar a equipe do escritório",
            bitrix_link=f"{bitrix}5120/",
            boleto_alert_given=True,
        )
    return True
