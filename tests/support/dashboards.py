"""The dashboards service answering as the API does: typed answers dumped to their JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from printreg.dashboards.service import AnalyticsService


def as_json(answer: Any) -> Any:
    """Return a typed answer as the API sends it (keys the service did not set are absent)."""
    if isinstance(answer, BaseModel):
        return answer.model_dump(mode="json", exclude_unset=True)
    return answer


class JsonAnswers:
    """An :class:`AnalyticsService` whose every answer is the JSON the API would send."""

    def __init__(self, service: AnalyticsService) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.service, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return as_json(method(*args, **kwargs))

        return call
