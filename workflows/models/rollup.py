"""Medição's daily rollup (issue 19): per source and settled local day, a header saying what
was kept, and one row per group of the day's records with the group's field values and each
figure's number, so a period's figures are one SQL sum over a few rows per day instead of a
scan of the records. Written and read by `workflows.indicators_rollup`; nothing else writes it.
"""

from django.db import models

from workflows import clock

KEY_COLUMNS = 10  # group fields a rolling source may have (g0…g9: member, product, breakdowns…)
VALUE_COLUMNS = 16  # figures a rolling source may have (v0…v15)


class IndicatorDay(models.Model):
    source = models.CharField("fonte", max_length=60)
    day = models.DateField("dia")
    # What the day holds, so a changed declaration is never read from an old row: the group
    # fields in column order, and [figure key, definition digest, kind] in column order.
    fields = models.JSONField("campos", default=list)
    figures = models.JSONField("indicadores", default=list)
    rolled_at = models.DateTimeField("consolidado em", default=clock.now)

    class Meta:
        verbose_name = "dia consolidado dos indicadores"
        verbose_name_plural = "dias consolidados dos indicadores"
        constraints = [
            models.UniqueConstraint(fields=["source", "day"], name="indicator_day_unique")
        ]

    def __str__(self):
        return f"{self.source} {self.day:%d/%m/%Y}"


class IndicatorGroup(models.Model):
    """One group of one kept day: the JSON text of each group field's value (ids, codes,
    names: any type reads back), in the header's field order, and each figure's number in its
    figure order: counts; money in centavos; durations in microseconds (exact integer sums)."""

    day = models.ForeignKey(IndicatorDay, on_delete=models.CASCADE, related_name="groups")
    g0 = models.CharField(max_length=200, blank=True, default="")
    g1 = models.CharField(max_length=200, blank=True, default="")
    g2 = models.CharField(max_length=200, blank=True, default="")
    g3 = models.CharField(max_length=200, blank=True, default="")
    g4 = models.CharField(max_length=200, blank=True, default="")
    g5 = models.CharField(max_length=200, blank=True, default="")
    g6 = models.CharField(max_length=200, blank=True, default="")
    g7 = models.CharField(max_length=200, blank=True, default="")
    g8 = models.CharField(max_length=200, blank=True, default="")
    g9 = models.CharField(max_length=200, blank=True, default="")
    v0 = models.BigIntegerField(null=True, blank=True)
    v1 = models.BigIntegerField(null=True, blank=True)
    v2 = models.BigIntegerField(null=True, blank=True)
    v3 = models.BigIntegerField(null=True, blank=True)
    v4 = models.BigIntegerField(null=True, blank=True)
    v5 = models.BigIntegerField(null=True, blank=True)
    v6 = models.BigIntegerField(null=True, blank=True)
    v7 = models.BigIntegerField(null=True, blank=True)
    v8 = models.BigIntegerField(null=True, blank=True)
    v9 = models.BigIntegerField(null=True, blank=True)
    v10 = models.BigIntegerField(null=True, blank=True)
    v11 = models.BigIntegerField(null=True, blank=True)
    v12 = models.BigIntegerField(null=True, blank=True)
    v13 = models.BigIntegerField(null=True, blank=True)
    v14 = models.BigIntegerField(null=True, blank=True)
    v15 = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "grupo de um dia consolidado"
        verbose_name_plural = "grupos de dias consolidados"

    def __str__(self):
        return f"{self.day} {self.g0}"
