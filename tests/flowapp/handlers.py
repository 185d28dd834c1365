from workflows.engine import transition


def expire(errand):
    """Timer handler used by the real-cluster test."""
    transition(errand, "expire", actor=None, reason="prazo vencido")
