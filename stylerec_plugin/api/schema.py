"""The API describes itself with drf-spectacular, whatever the host project's DRF settings.

A plugin must not need a global setting of the host project: DRF's
``DEFAULT_SCHEMA_CLASS`` stays whatever the shop has (often DRF's own), and the
plugin's views still answer ``api/schema/`` and ``api/docs/``:

- :class:`PluginSchema` gives a view drf-spectacular's ``AutoSchema``;
- :func:`describe` is ``extend_schema`` building on that ``AutoSchema`` rather than
  on ``DEFAULT_SCHEMA_CLASS`` (``extend_schema`` takes the base class from an explicit
  ``schema`` on the method it decorates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema


class PluginSchema:
    """Mixin for the plugin's API views: drf-spectacular's ``AutoSchema``, not the project's default."""

    schema = AutoSchema()


def describe(**kwargs: Any) -> Callable:
    """``@extend_schema(**kwargs)`` for a method of a :class:`PluginSchema` view."""

    def decorator(method: Callable) -> Callable:
        method.schema = AutoSchema  # the base extend_schema builds on (see the module docstring)
        return extend_schema(**kwargs)(method)

    return decorator
