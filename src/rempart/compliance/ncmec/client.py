"""HTTP client for the CyberTipline Reporting API (ISP Web Services), requirements.md §5.2.

HTTP Basic auth, XML bodies, every answer an XML document with a ``responseCode`` (0 is
success). Network errors, HTTP 5xx and the server-side codes 1000/1100/1110 are retried with
exponential backoff; the validation and authorisation codes (2xxx, 3xxx, 4xxx, 5xxx) are not
retried: they are raised as ``NcmecRejected`` with NCMEC's code and description.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from rempart.compliance.ncmec.schemas import NcmecSettings
from rempart.compliance.ncmec.xml import parse_response
from rempart.errors import RempartError

RETRIED_CODES = frozenset({1000, 1100, 1110})


class NcmecError(RempartError):
    """The CyberTipline could not be reached, or answered in a way we could not use."""

    status = 502
    code = "ncmec_error"


class NcmecRejected(NcmecError):
    """NCMEC refused the call with a response code; retrying the same call will not help."""

    code = "ncmec_rejected"

    def __init__(self, response_code: int, description: str) -> None:
        super().__init__(f"CyberTipline refused the call: {response_code} {description}".strip())
        self.response_code = response_code
        self.description = description


class NcmecUnavailable(NcmecError):
    """Retries ran out on network errors or server-side codes; the step can be run again."""

    code = "ncmec_unavailable"

    def __init__(self, detail: str, response_code: int | None = None) -> None:
        super().__init__(detail)
        self.response_code = response_code


class NcmecClient:
    """Calls ``/status``, ``/submit``, ``/upload``, ``/fileinfo``, ``/finish`` and ``/retract``."""

    def __init__(
        self,
        settings: NcmecSettings,
        *,
        http: httpx.Client | None = None,
        retries: int = 4,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.http = http or httpx.Client(timeout=settings.timeout_s)
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.calls = 0  # HTTP requests made, retries included

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _request(self, path: str, **kw: Any) -> dict[str, Any]:
        url = self.settings.base_url.rstrip("/") + path
        auth = (self.settings.username, self.settings.password.get_secret_value())
        last = "no attempt made"
        code: int | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.calls += 1
            try:
                resp = self.http.request(
                    "GET" if path == "/status" else "POST", url, auth=auth, **kw
                )
            except httpx.HTTPError as exc:
                last, code = f"{path}: {type(exc).__name__}: {exc}", None
                continue
            if resp.status_code >= 500:
                last, code = f"{path}: HTTP {resp.status_code}", None
                continue
            try:
                data = parse_response(resp.content)
            except ValueError as exc:
                if resp.status_code in (401, 403):
                    raise NcmecRejected(
                        2000 if resp.status_code == 401 else 3000, str(exc)
                    ) from None
                raise NcmecError(f"{path}: HTTP {resp.status_code}: {exc}") from None
            code = int(data["responseCode"])
            if code == 0:
                return data
            description = str(data.get("responseDescription", ""))
            if code in RETRIED_CODES:
                last = f"{path}: {code} {description}"
                continue
            raise NcmecRejected(code, description)
        raise NcmecUnavailable(f"CyberTipline unavailable after retries ({last})", code)

    def status(self) -> dict[str, Any]:
        """``GET /status``: whether the credentials work (responseCode 0)."""
        return self._request("/status")

    def submit(self, report_xml: bytes) -> str:
        """``POST /submit`` the ``<report>``: NCMEC's report id."""
        data = self._request(
            "/submit", content=report_xml, headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        report_id = data.get("reportId")
        if not report_id:
            raise NcmecError("/submit answered without a reportId")
        return str(report_id)

    def upload(self, report_id: str, file_name: str, content: bytes) -> tuple[str, str]:
        """``POST /upload`` one file (multipart ``id``, ``file``): its file id and MD5."""
        data = self._request(
            "/upload",
            data={"id": report_id},
            files={"file": (file_name, content, "application/octet-stream")},
        )
        if not data.get("fileId"):
            raise NcmecError("/upload answered without a fileId")
        return str(data["fileId"]), str(data.get("hash", "")).lower()

    def fileinfo(self, file_details_xml: bytes) -> None:
        """``POST /fileinfo`` the ``<fileDetails>`` of an uploaded file."""
        self._request(
            "/fileinfo",
            content=file_details_xml,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )

    def finish(self, report_id: str) -> list[str]:
        """``POST /finish``: the report is complete; the file ids NCMEC holds for it."""
        data = self._request("/finish", data={"id": report_id})
        return list(data["fileIds"])

    def retract(self, report_id: str) -> None:
        """``POST /retract``: cancel an unfinished report."""
        self._request("/retract", data={"id": report_id})
