"""Medição: how a figure reads (issue 19): its value now and before, the change (▲/▼ %, p.p.
for shares), and whether that is better or worse by what the rulebook wants."""

from dataclasses import dataclass

from .formatting import brl


def percent(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


@dataclass
class Value:
    """A figure now and in the previous period, with its change and whether it is better."""

    current: object
    previous: object
    better: int = 1
    money: bool = False
    rate: bool = False
    duration: bool = False  # current/previous are seconds (None: no rows to average)

    @property
    def delta(self):
        return (self.current or 0) - (self.previous or 0)

    @property
    def text(self) -> str:
        return self.format(self.current)

    @property
    def previous_text(self) -> str:
        return self.format(self.previous)

    def format(self, value) -> str:
        if self.duration:
            return "—" if value is None else duration_text(value)
        if self.rate:
            return "—" if value is None else f"{percent(value)} %"
        if self.money:
            return brl(value or 0)
        return f"{value or 0:,}".replace(",", ".")

    @property
    def change(self) -> str:
        """▲ 25,0 % / ▼ 3,0 p.p. / = / novo."""
        if self.rate:
            if self.current is None or self.previous is None:
                return "—"
            diff = self.current - self.previous
            return "=" if abs(diff) < 0.05 else f"{self.arrow} {percent(abs(diff))} p.p."
        if self.duration and (self.current is None or self.previous is None):
            return "—"
        if self.delta == 0:
            return "="
        if not self.previous:
            return f"{self.arrow} novo"
        return f"{self.arrow} {percent(abs(self.delta) * 100 / self.previous)} %"

    @property
    def arrow(self) -> str:
        diff = self.delta if not self.rate else (self.current or 0) - (self.previous or 0)
        return "▲" if diff > 0 else "▼"

    @property
    def verdict(self) -> str:
        """better, worse, same, or neutral: by what the rulebook wants, not by direction."""
        if (self.rate or self.duration) and (self.current is None or self.previous is None):
            return "same"
        diff = self.delta if not self.rate else self.current - self.previous
        if not diff:
            return "same"
        if not self.better:
            return "neutral"
        return "better" if (diff > 0) == (self.better > 0) else "worse"

    @property
    def verdict_label(self) -> str:
        return {
            "better": "melhor que o período anterior",
            "worse": "pior que o período anterior",
            "same": "igual ao período anterior",
            "neutral": "variação em relação ao período anterior",
        }[self.verdict]


def share(part, whole) -> float | None:
    return None if not whole else float(part or 0) * 100 / float(whole)


def mean_seconds(total, count) -> float | None:
    """A summed duration (timedelta) over a count, in seconds; None without rows."""
    return None if not count or total is None else total.total_seconds() / count


def duration_text(seconds: float) -> str:
    """45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
