"""Dependencies of the routes, declared once as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kepu.config import Settings
from kepu.errors import RateLimited
from kepu.kb.plan_index import PlanIndex
from kepu.service.asking import Asking
from kepu.service.holder import BotHolder
from kepu.service.library import Library
from kepu.service.metrics import Metrics
from kepu.state.interfaces import RateLimiter


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_holder(request: Request) -> BotHolder:
    return request.app.state.holder


def get_asking(request: Request) -> Asking:
    return request.app.state.asking


def get_library(request: Request) -> Library:
    return request.app.state.library


def get_plans(request: Request) -> PlanIndex:
    return request.app.state.library.plans


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request) -> None:
    limiter: RateLimiter = request.app.state.shared.api_limiter
    decision = limiter.hit(client_key(request))
    if not decision.allowed:
        request.app.state.metrics.rate_limited.inc()
        raise RateLimited(decision.retry_after_s)


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[BotHolder, Depends(get_holder)]
AskingDep = Annotated[Asking, Depends(get_asking)]
PlansDep = Annotated[PlanIndex, Depends(get_plans)]
LibraryDep = Annotated[Library, Depends(get_library)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
RateLimitDep = Depends(rate_limit)
