"""The answer of every CSV import page (duties, volunteers, milestones): the upload checked for
a file, the import run, and the page shown again with the result or with every bad line listed.

One home, so every import page treats a missing file and a rejected file the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from litestar.datastructures import UploadFile
from litestar.response import Template

from portal.auth.requests import AppRequest
from portal.csvimport import ImportRejected
from portal.web.pages import FormErrors, render

log = structlog.get_logger(__name__)


async def import_answer(
    request: AppRequest,
    template: str,
    missing: str,
    work: Callable[[UploadFile], Awaitable[Any]],
) -> Template:
    """An import form's answer: the result, or the page again with every bad line listed.

    ``template`` gets ``result`` (what the import returned) or ``rejected`` (the
    :class:`ImportRejected`); ``missing`` is the message when no file was chosen.
    """
    form = await request.form()
    upload = form.get("file")
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", missing)
        return await render(
            request, template, status=400, errors=errors, result=None, rejected=None
        )
    try:
        result = await work(upload)
    except ImportRejected as exc:
        # The detail already says the file was rejected and nothing was imported.
        errors.add("file", exc.detail)
        log.info("web.import_rejected", problems=exc.total_errors)
        return await render(request, template, status=422, errors=errors, result=None, rejected=exc)
    return await render(request, template, result=result, rejected=None)
