"""Which provider settings must come together; plain Python, so that the production settings
module can refuse to start with a half-configured provider before Django is set up."""

# A provider is on when any of its settings is set, and then needs all of them.
REQUIRED = {
    "alipay": ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"),
}


def half_configured(values) -> list[str]:
    """One sentence per provider with some but not all of its settings (values: a mapping of
    setting names, e.g. the settings module's globals())."""
    problems = []
    for code, names in REQUIRED.items():
        missing = [name for name in names if not values.get(name)]
        if missing and len(missing) < len(names):
            problems.append(f"{code} is half configured: set {', '.join(missing)}")
    return problems
