"""A half-configured provider is an error (`manage.py check`, payments.E001), and production
settings refuse to start with one (config/settings/production.py calls settings_problems)."""

from django.core import checks

from .gateways import GATEWAYS, gateway_class


def settings_problems() -> list[str]:
    """What is wrong with each provider's settings: one sentence per half-configured one."""
    problems = []
    for code in GATEWAYS:
        cls = gateway_class(code)
        describe = getattr(cls, "settings_problem", None)
        if describe is None:
            continue
        found = describe()  # one sentence, or a list of them
        for problem in [found] if isinstance(found, str) else found:
            if problem:
                problems.append(f"{code}: {problem}")
    return problems


@checks.register()
def payment_settings(app_configs=None, **kwargs):
    return [
        checks.Error(
            problem, hint="Set every setting of the provider, or none.", id="payments.E001"
        )
        for problem in settings_problems()
    ]
