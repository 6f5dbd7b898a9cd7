"""Which provider settings must come together; plain Python, so that the production settings
module can refuse to start with a half-configured provider before Django is set up."""

# A provider is on when any of its settings is set, and then needs all of them.
REQUIRED = {
    "alipay": ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"),
    # WeChat Pay needs these and a way to verify WeChat's signatures (the public key and its id,
    # or a certificate directory): payments.gateways.wechat.wechat_settings_problems judges it.
    "wechat": (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_CERT_SERIAL_NO",
    ),
}


def half_configured(values) -> list[str]:
    """One sentence per provider with some but not all of its settings (values: a mapping of
    setting names, e.g. the settings module's globals()); WeChat Pay's sentences are those of
    wechat_settings_problems (missing names, a verification key, keys that do not load)."""
    problems = []
    for code, names in REQUIRED.items():
        if code == "wechat":
            # Imported here: it reads only `values`, never django.conf.settings.
            from payments.gateways.wechat import wechat_settings_problems

            problems.extend(f"wechat: {problem}" for problem in wechat_settings_problems(values))
            continue
        missing = [name for name in names if not values.get(name)]
        if missing and len(missing) < len(names):
            problems.append(f"{code} is half configured: set {', '.join(missing)}")
    return problems
