"""Webhook mode: `setWebhook` / `deleteWebhook` / `getWebhookInfo` and the delivery loop.

While a webhook is set, updates go out as POSTs (with `X-Telegram-Bot-Api-Secret-Token`) in
order, retried on failure, instead of waiting for `getUpdates`.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp

from sandbox.telegram.errors import _bad
from sandbox.telegram.params import _bool, _int, _json_param, _str
from sandbox.telegram.payloads import DEFAULT_UPDATE_TYPES
from sandbox.telegram.world import TelegramWorld

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookMethods(TelegramWorld):
    """The webhook methods of the Bot API and the task that delivers updates to the hook."""

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = _str(params, "url")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _str(params, "secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise _bad("secret token contains unallowed characters")
        if "allowed_updates" in params:
            kinds = _json_param(params, "allowed_updates")
            if isinstance(kinds, list):
                self.allowed_updates = frozenset(kinds) or DEFAULT_UPDATE_TYPES
        if _bool(params, "drop_pending_updates"):
            self.updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": _int(params, "max_connections") or 40,
        }
        for update in self.updates:
            self._webhook_queue.put_nowait(update)
        self.updates.clear()
        if self._webhook_task is None:
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_forever())
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if self.webhook is not None:
            self.webhook = None
            while not self._webhook_queue.empty():
                self.updates.append(self._webhook_queue.get_nowait())
        if _bool(params, "drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates) + self._webhook_queue.qsize(),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    async def _deliver_forever(self) -> None:
        """POST each update to the webhook, in order, retrying as Telegram does on failure."""
        while True:
            update = await self._webhook_queue.get()
            hook = self.webhook
            if hook is None:
                self.updates.append(update)
                continue
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers[SECRET_HEADER] = hook["secret_token"]
            for attempt in range(1, self.webhook_attempts + 1):
                status = await self._post(hook["url"], update, headers)
                self.webhook_deliveries.append(
                    {"update_id": update["update_id"], "attempt": attempt, "status": status}
                )
                if status is not None and 200 <= status < 300:
                    break
                await asyncio.sleep(self.webhook_retry_delay * attempt)

    async def _post(self, url: str, update: dict[str, Any], headers: dict[str, str]) -> int | None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(url, data=json.dumps(update), headers=headers) as resp:
                await resp.read()
                return resp.status
        except aiohttp.ClientError:
            return None
