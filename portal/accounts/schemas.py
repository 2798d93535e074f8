"""What account administration answers (the API and the pages show the same records)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

ActionName = Literal["disable", "enable", "reset_password", "reset_totp"]


class AccountActionOut(BaseModel):
    """One recorded account administration action (append-only history)."""

    id: str
    user_id: str
    user_email: str
    action: ActionName
    acted_by: str = Field(description="The acting account's id, or 'cli' for an operator")
    acted_by_email: str | None = Field(description="None for an operator on the server")
    channel: str = Field(description="web, api or cli")
    acted_at: dt.datetime
