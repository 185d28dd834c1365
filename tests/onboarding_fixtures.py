"""Fichas as the onboarding code paths leave them (G7): registered, or changed by the holder."""

from onboarding.registration import data_change_decide, ficha_onboard
from tests.sales_fixtures import make_ficha
from workflows.models import DataChangeRequest, Ficha
from workflows.third_party import data_change_propose


def register(*, registered_by=None, **fields) -> Ficha:
    """A ficha written and then registered (`ficha_onboard`): its onboarding is started and it
    is compared with the base, as `ficha_register` does after validating a form."""
    ficha = make_ficha(**fields)
    ficha_onboard(ficha, registered_by=registered_by)
    return ficha


def holder_confirms(ficha: Ficha, field: str, value: str, *, actor) -> DataChangeRequest:
    """S1: a third party proposes a sensitive change and the holder confirms it by the link."""
    change = data_change_propose(
        ficha, actor=actor, field=field, new_value=value, third_party="Sócio Jorge"
    )
    return data_change_decide(change, confirm=True)
