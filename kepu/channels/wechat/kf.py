"""The customer-service message API (客服消息), through wechatpy, for answers that come late."""

from __future__ import annotations

import logging

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from kepu.config import Settings

log = logging.getLogger("kepu.wechat.kf")

# Errors WeChat returns that are expected in normal operation: logged and counted, never raised.
KNOWN_ERRORS = {
    45015: "超过48小时互动窗口，不能再主动发消息",
    45047: "客服消息条数超出限制",
    48001: "公众号没有客服消息接口权限",
    40001: "access_token 无效",
    42001: "access_token 已过期",
}


class KepuWeChatClient(WeChatClient):
    """wechatpy's client with a configurable API base (a local stand-in in tests, a proxy in some
    deployments). The access token is cached in the session storage: in Redis with KEPU_REDIS_URL, so the
    replicas share one token, in process otherwise."""

    def __init__(self, settings: Settings, session=None) -> None:  # type: ignore[no-untyped-def]
        self.API_BASE_URL = settings.wechat_api_base.rstrip("/") + "/"
        super().__init__(
            settings.wechat_app_id, settings.wechat_app_secret, session=session or MemoryStorage(), timeout=5
        )

    def fetch_access_token(self):  # type: ignore[no-untyped-def]
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class CustomerService:
    def __init__(self, client: KepuWeChatClient) -> None:
        self.client = client

    def send_text(self, openid: str, text: str) -> bool:
        """Send one text message; False (logged) when WeChat refuses or cannot be reached."""
        try:
            self.client.message.send_text(openid, text)
            return True
        except WeChatClientException as exc:
            reason = KNOWN_ERRORS.get(int(exc.errcode or 0), exc.errmsg)
            log.warning("customer-service message refused", extra={"errcode": exc.errcode, "reason": reason})
            return False
        except Exception as exc:  # network errors from requests: the late answer is simply not sent
            log.warning("customer-service API unreachable", extra={"error": str(exc)})
            return False
