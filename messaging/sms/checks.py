"""A Django system check for the SMS settings, for the lead to register:

    from django.core import checks
    from messaging.sms.checks import check_sms_configuration
    checks.register(check_sms_configuration)        # e.g. in MessagingConfig.ready()

It reports what `get_provider()` would refuse (a missing secret, a sign name with brackets, a
plain-http endpoint, a malformed template entry), so `manage.py check` says it before a worker
fails on the first SMS.
"""

from django.core import checks

from .config import configuration_problems


def check_sms_configuration(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            problem,
            hint="See messaging/sms/README.md for the SMS settings.",
            id="messaging.sms.E001",
        )
        for problem in configuration_problems()
    ]
