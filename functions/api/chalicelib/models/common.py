"""What every area's models share: the base classes (unknown fields refused), the constrained
strings of openapi.json, paging parameters, the problem+json body and a presigned download."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr


def iso(value: datetime) -> str:
    """A time as the API writes it: UTC, to the second, with a Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(value: datetime | None) -> str | None:
    return iso(value) if value else None


def body_config(example: dict[str, Any]) -> ConfigDict:
    """Unknown fields refused; one valid example, shown in openapi.json (and checked by a test)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _whole(value: Any) -> Any:
    """JSON Schema's `integer` includes 355.0: a float without a fraction counts as that integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole), Field(strict=True)]


# --- constrained strings: the models enforce what openapi.json declares (issue 9) ------------------
# BR-01: 15 characters, sex 1/2, month 01-12, 20-42 or 50-99, department digits or 2A/2B; the key
# (97 - number mod 97) is checked by the domain (400 `validation_error`, field `nir`).


NIR_PATTERN = r"^[12][0-9]{2}(?:0[1-9]|1[0-2]|[23][0-9]|4[0-2]|[5-9][0-9])(?:[0-9]{2}|2[AB])[0-9]{8}$"


Nir = Annotated[StrictStr, Field(pattern=NIR_PATTERN, min_length=15, max_length=15,
                                 description="NIR, 15 caractères clé incluse (département 2A/2B en Corse)",
                                 examples=["288052A00412353"])]


BirthDate = Annotated[StrictStr, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", max_length=10,
                                       json_schema_extra={"format": "date"}, examples=["1988-05-14"])]
# BR-03: 8 to 13 digits (card without photo), or the serial of a photo card (its last 11 digits count);
# spaces between digits are allowed.


VitaleSerial = Annotated[StrictStr, Field(pattern=r"^ *(?:[0-9] *){8,22}$", max_length=40,
                                          examples=["20260000001"])]


ProvisionalCode = Annotated[StrictStr, Field(pattern=r"^[0-9A-Za-z]{12}$", min_length=12, max_length=12,
                                             description="code provisoire, 12 caractères [0-9A-Za-z] (BR-06)",
                                             examples=["aB3dE5gH7jK9"])]


Otp = Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$", min_length=6, max_length=6,
                                 description="code à usage unique, 6 chiffres (BR-11)", examples=["123456"])]


ChallengeId = Annotated[StrictStr, Field(min_length=1, max_length=64, examples=["Zk3q9xY1AbCdEfGhIjKlMnOp"])]


Rpps = Annotated[StrictStr, Field(pattern=r"^[0-9]{11}$", min_length=11, max_length=11,
                                  description="numéro RPPS, 11 chiffres", examples=["10003456789"])]


Login = Annotated[StrictStr, Field(min_length=1, max_length=100, examples=["demo.camille"])]


Password = Annotated[StrictStr, Field(min_length=1, max_length=128, examples=["camille-demo-2026"])]


DocumentId = Annotated[StrictStr, Field(min_length=1, max_length=64, examples=["0f8e4c2a9b7d4e1f8a6b5c4d3e2f1a0b"])]


class Out(BaseModel):
    pass


class Problem(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


Cursor = Annotated[str, Field(max_length=2048, description="`next_cursor` of the previous page")]
# 1 to 100, checked by services.paging (400 `validation_error`, field `limit`, with its French detail)


Limit = Annotated[int, Field(description="page size, 50 by default", json_schema_extra={"minimum": 1, "maximum": 100})]


class ListQuery(Body):
    cursor: Cursor | None = None
    limit: Limit | None = None


class Download(Out):
    url: str
    expires_in: int
