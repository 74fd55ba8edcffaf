"""Setting values the adapter reads: dotted paths to callables, and prices."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class AdapterSettingError(ImproperlyConfigured):
    """A ``PRODUCT_*`` setting that does not fit the models; ``setting`` names it (the checks map it to an id)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


def is_dotted_path(value: Any) -> bool:
    """A setting value with a dot is a dotted path to a callable; field and method names have none."""
    return isinstance(value, str) and "." in value


@functools.lru_cache(maxsize=64)
def import_callable(path: str) -> Callable:
    """The callable at ``path``; ``ImproperlyConfigured`` when it cannot be imported or called."""
    try:
        target = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{path!r} cannot be imported: {exc}") from exc
    if not callable(target):
        raise ImproperlyConfigured(f"{path!r} is not callable")
    return target


@dataclass(frozen=True)
class Price:
    """A price an adapter computed: the amount, its currency and how the shop writes it.

    ``str()`` gives the shop's text ("£12.99"), so a grid shows it as is; the API sends
    the amount and the currency apart.
    """

    amount: Decimal
    currency: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text or str(self.amount)


def price_parts(price: Any) -> tuple[str | None, str | None]:
    """``(amount, currency)`` as strings for the API, from a :class:`Price` or a plain value."""
    if price is None:
        return None, None
    if isinstance(price, Price):
        return str(price.amount), price.currency
    return str(price), None
