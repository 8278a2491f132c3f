"""Amounts as people read them: 1억 3,000만원 in Korean, 130,000,000 won in English; an imported file's
amount with its decimals and currency (376,634.74 PLN)."""

from decimal import Decimal

from flask import has_request_context
from flask_babel import get_locale

EOK = 100_000_000
MAN = 10_000


def korean_won(value: int) -> str:
    """130,000,000 → "1억 3,000만원"; 85,000,000 → "8,500만원"; 12,345 → "1만 2,345원"."""
    parts = []
    eok, rest = divmod(value, EOK)
    man, units = divmod(rest, MAN)
    if eok:
        parts.append(f"{eok:,}억")
    if man:
        parts.append(f"{man:,}만")
    if units or not parts:
        parts.append(f"{units:,}")
    return " ".join(parts) + "원"


def money(process, value, locale: str | None = None) -> str:
    """An amount of `process` (in its smallest unit) for the page's language."""
    if value is None:
        return ""
    value = int(value)
    if locale is None:
        locale = str(get_locale()) if has_request_context() else "ko"
    if process.currency != "KRW" or process.decimals:
        shown = Decimal(value).scaleb(-process.decimals) if process.decimals else Decimal(value)
        return f"{shown:,} {process.currency}"
    return korean_won(value) if locale == "ko" else f"{value:,} won"
