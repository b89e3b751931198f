"""Microsoft Dynamics 365 sink (Dataverse Web API): a task (or note) on the company's account.

1. OAuth2 client-credentials token from ``token_url`` (Microsoft Entra ID:
   ``https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token``, scope
   ``https://<org>.crm.dynamics.com/.default``), cached until shortly before it expires;
2. ``GET {api}/accounts?$select=accountid&$filter=<business_id_field> eq '<business id>'``;
3. ``PATCH {api}/tasks(<id>)`` (or ``annotations(<id>)``) with ``If-None-Match: *``, bound to the
   account (``regardingobjectid_account@odata.bind`` / ``objectid_account@odata.bind``) and
   assigned to the owning rep's Dynamics user (``ownerid@odata.bind: /systemusers(<id>)``, from the
   rules file's ``routing.reps.<rep>.dynamics_systemuser_id``; a rep without one leaves the record
   with the application user, and the description names the rep either way): an upsert that only
   creates. ``<id>`` is a UUIDv5 of the idempotency key, so sending the same delivery again (a
   retry, or after a crash left it in doubt) finds the record there (HTTP 412) and creates
   nothing: Dataverse deduplicates by the key, and this sink is ``keyed``.

Every request carries ``OData-Version: 4.0`` / ``OData-MaxVersion: 4.0``. The subject embeds the
alert id and revision, so a CRM user sees updates as such (each revision is its own record). No
account with that business ID is a permanent failure (dead-lettered, not retried); 401 drops the
cached token and is retried by the dispatcher; 408/429/5xx are transient.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from triggerwatch.core.contracts import AlertV1
from triggerwatch.core.errors import PermanentDeliveryError, TransientError
from triggerwatch.core.http import parse_retry_after
from triggerwatch.notifier.render import render_text

ODATA_HEADERS = {"OData-Version": "4.0", "OData-MaxVersion": "4.0", "Accept": "application/json"}
RETRYABLE = frozenset({408, 429})
RECORD_NAMESPACE = uuid.UUID("9b0c4c3e-6a0e-5d6f-8f4e-2f1d7c1a5b21")  # record ids from idempotency keys


def record_id(idempotency_key: str) -> str:
    """The Dataverse record id of one delivery: the same key, the same record."""
    return str(uuid.uuid5(RECORD_NAMESPACE, idempotency_key))


class DynamicsSink:
    name = "dynamics"
    keyed = True  # the record id is derived from the idempotency key: a re-send creates nothing

    def __init__(
        self,
        *,
        api_url: str,  # https://<org>.api.crm.dynamics.com/api/data/v9.2
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str,
        business_id_field: str = "accountnumber",
        entity: str = "task",  # task | annotation
        users: dict[str, str] | None = None,  # rep (routing owner) -> Dynamics systemuserid
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if entity not in ("task", "annotation"):
            raise ValueError("entity must be 'task' or 'annotation'")
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.business_id_field = business_id_field
        self.entity = entity
        self.users = dict(users or {})
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._now = now
        self._token: tuple[str, float] | None = None

    async def _access_token(self) -> str:
        if self._token is not None and self._token[1] > self._now():
            return self._token[0]
        data = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
            "scope": self.scope,
        }
        resp = await self._request("POST", self.token_url, data=data, auth=False)
        body = resp.json()
        token = str(body["access_token"])
        self._token = (token, self._now() + max(0.0, float(body.get("expires_in", 3600)) - 60))
        return token

    async def _request(
        self,
        method: str,
        url: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> httpx.Response:
        all_headers = dict(ODATA_HEADERS) if auth else {"Accept": "application/json"}
        all_headers.update(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {await self._access_token()}"
        try:
            resp = await self._client.request(method, url, headers=all_headers, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(f"dynamics: {type(exc).__name__}: {exc}") from exc
        status = resp.status_code
        if 200 <= status < 300 or status in accept:
            return resp
        detail = f"dynamics: {method} {url.split('?')[0]} HTTP {status} {resp.text.strip()[:200]}"
        if status == 401 and auth:
            self._token = None
            raise TransientError(detail)
        if status in RETRYABLE or status >= 500:
            raise TransientError(detail, retry_after=parse_retry_after(resp.headers.get("Retry-After")))
        raise PermanentDeliveryError(detail)

    async def account_id(self, business_id: str) -> str:
        value = business_id.replace("'", "''")
        params = {"$select": "accountid", "$filter": f"{self.business_id_field} eq '{value}'", "$top": "2"}
        resp = await self._request("GET", f"{self.api_url}/accounts", params=params)
        rows = resp.json().get("value", [])
        if not rows:
            raise PermanentDeliveryError(
                f"dynamics: no account with {self.business_id_field} = {business_id}"
            )
        return str(rows[0]["accountid"])

    def record(self, alert: AlertV1, account_id: str, idempotency_key: str) -> tuple[str, dict[str, Any]]:
        update = f" (update r{alert.revision})" if alert.revision > 1 else ""
        subject = f"{alert.explanation.what_happened}{update}"[:190]
        owner = alert.routing.owner
        text = f"{render_text(alert)}\ntriggerwatch alert {alert.alert_id} · {idempotency_key}"
        if owner:
            text += f"\nowner in triggerwatch: {owner}"
        user = self.users.get(owner or "")
        assigned = {"ownerid@odata.bind": f"/systemusers({user})"} if user else {}
        if self.entity == "task":
            return "tasks", {
                "subject": subject,
                "description": text,
                "regardingobjectid_account@odata.bind": f"/accounts({account_id})",
                **assigned,
            }
        return "annotations", {
            "subject": subject,
            "notetext": text,
            "objectid_account@odata.bind": f"/accounts({account_id})",
            **assigned,
        }

    async def send(self, alert: AlertV1, idempotency_key: str) -> None:
        if not alert.company.business_id:
            raise PermanentDeliveryError("dynamics: the alert has no business ID")
        account = await self.account_id(alert.company.business_id)
        entity_set, body = self.record(alert, account, idempotency_key)
        # create-only upsert: 204 created now, 412 created by an earlier attempt of the same delivery
        await self._request(
            "PATCH",
            f"{self.api_url}/{entity_set}({record_id(idempotency_key)})",
            json=body,
            headers={"If-None-Match": "*"},
            accept=frozenset({412}),
        )

    async def aclose(self) -> None:
        await self._client.aclose()
