"""Keys from settings: PEM text itself, or the path of a file holding it."""

from pathlib import Path


def pem_text(value: str) -> str:
    """The PEM text a setting gives, reading the file when it names one ("" when unset).

    Raises OSError when it names a file that cannot be read.
    """
    value = (value or "").strip()
    if not value or value.startswith("-----BEGIN"):
        return value
    return Path(value).expanduser().read_text()
