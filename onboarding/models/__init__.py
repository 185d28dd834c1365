"""New registrations: search keys, duplicate detection and lossless merge (G7), onboarding
and training (G5). One module per seam; every model is importable from here."""

from .duplicates import DuplicateCase, MergeRecord
from .keys import FichaKeys, NameWord
from .onboarding import Onboarding, OnboardingStep, UpsellAnswer
from .training import TrainingBooking, TrainingSlot

__all__ = [
    "DuplicateCase",
    "FichaKeys",
    "MergeRecord",
    "NameWord",
    "Onboarding",
    "OnboardingStep",
    "TrainingBooking",
    "TrainingSlot",
    "UpsellAnswer",
]
