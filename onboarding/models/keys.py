"""The search keys of a ficha (G7): its documents, e-mail, phone and name words."""

from django.db import models

from workflows.models import Ficha


class FichaKeys(models.Model):
    """G7: the normalised keys of one ficha (CPF/CNPJ, e-mail, phone E.164, OAB), indexed so
    detection on create/edit is a few indexed lookups. Refreshed on every save of the ficha."""

    # A merge never moves this row: it describes the ficha it belongs to.
    merge_keeps_in_place = ("ficha",)

    ficha = models.OneToOneField(
        Ficha, on_delete=models.CASCADE, primary_key=True, related_name="duplicate_keys"
    )
    document = models.CharField("CPF/CNPJ", max_length=14, blank=True, db_index=True)
    email = models.CharField("e-mail", max_length=254, blank=True, db_index=True)
    phone = models.CharField("telefone (E.164)", max_length=16, blank=True, db_index=True)
    oab = models.CharField("OAB", max_length=24, blank=True, db_index=True)

    class Meta:
        verbose_name = "chaves de duplicidade"
        verbose_name_plural = "chaves de duplicidade"

    def __str__(self):
        return f"{self.ficha_id}: {self.document} {self.email} {self.phone} {self.oab}"


class NameWord(models.Model):
    """One searchable word of a ficha's name (keys.name_words), indexed so the name search is
    a prefix range per word, not a scan of every name. Refreshed with the keys."""

    merge_keeps_in_place = ("ficha",)  # it describes the name of the ficha it belongs to

    ficha = models.ForeignKey(Ficha, on_delete=models.CASCADE, related_name="name_words")
    word = models.CharField("palavra", max_length=40)

    class Meta:
        verbose_name = "palavra do nome"
        verbose_name_plural = "palavras dos nomes"
        constraints = [models.UniqueConstraint(fields=["ficha", "word"], name="one_word_once")]
        # Covering: a word's range yields its fichas without touching the table.
        indexes = [models.Index(fields=["word", "ficha"], name="name_word_search")]

    def __str__(self):
        return f"{self.ficha_id}: {self.word}"
