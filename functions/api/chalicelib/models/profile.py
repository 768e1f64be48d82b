"""Request and response models of the medical profile and the measurements (BR-19, BR-20).
The section models themselves live in the domain (mes.domain.profile): one per section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, RootModel, StrictFloat, StrictInt, StrictStr, create_model

from mes.domain.profile import (
    AdvanceDirectives,
    Allergies,
    BloodGroup,
    CareTeam,
    Conditions,
    EmergencyContacts,
    FamilyHistory,
    Hospitalisations,
    Lifestyle,
    Treatments,
    TrustedPerson,
    Vaccinations,
)

from .common import Body, Cursor, Limit, Out, body_config

if TYPE_CHECKING:
    from mes.domain.measurements import Measurement
    from mes.ports import Page


class ProfileOut(Out):
    """Every section of BR-19 (null when never filled). Measurements: GET …/measurements."""

    conditions: Conditions | None = None
    hospitalisations: Hospitalisations | None = None
    treatments: Treatments | None = None
    allergies: Allergies | None = None
    vaccinations: Vaccinations | None = None
    family_history: FamilyHistory | None = None
    lifestyle: Lifestyle | None = None
    blood_group: BloodGroup | None = None
    advance_directives: AdvanceDirectives | None = None
    trusted_person: TrustedPerson | None = None
    emergency_contacts: EmergencyContacts | None = None
    care_team: CareTeam | None = None


class ProProfileOut(Out):
    """BR-20: the only sections a professional sees (null when empty, or when the profession may
    not read the matching document category: CAR_VAC for vaccinations, DIR_ANT for directives)."""

    vaccinations: Vaccinations | None = None
    advance_directives: AdvanceDirectives | None = None
    trusted_person: TrustedPerson | None = None
    emergency_contacts: EmergencyContacts | None = None


class ProfileSectionBody(RootModel[dict[str, Any]]):
    """The whole section, as in GET …/profile: its schema is the section's (ProfileOut's fields);
    list sections hold their entries under `items`. Strings and nesting are bounded by the body
    parser (chalicelib.bodies) and the section models (mes.domain.profile)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"items": [{"substance": "Pénicilline", "reaction": "urticaire", "severity": "moderate"}]}]})


class MeasurementIn(Body):
    model_config = body_config({"type": "weight", "measured_at": "2026-03-01T08:30:00Z", "value": 68.5, "unit": "kg"})
    type: StrictStr = Field(max_length=32, description="weight (kg), height (cm), blood_pressure (mmHg), glycemia (g/L), "
                                        "temperature (°C), heart_rate (bpm), oxygen_saturation (%), hba1c (%)")
    measured_at: StrictStr = Field(max_length=40, description="ISO 8601 with a time zone; to the second; not in the future",
                                   json_schema_extra={"format": "date-time"})
    value: StrictFloat | StrictInt | None = Field(None, description="every type but blood_pressure")
    systolic: StrictInt | StrictFloat | None = Field(None, description="blood_pressure only, mmHg")
    diastolic: StrictInt | StrictFloat | None = Field(None, description="blood_pressure only, mmHg")
    unit: StrictStr | None = Field(None, max_length=16, description="optional; if given, must be the type's unit")
    note: StrictStr | None = Field(None, max_length=500, description="500 characters at most")


class MeasurementOut(Out):
    id: str
    type: str
    measured_at: str
    unit: str
    recorded_at: str
    value: float | int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    note: str | None = None

    @classmethod
    def from_domain(cls, m: Measurement) -> MeasurementOut:
        return cls(**m.as_dict())


class MeasurementList(Out):
    items: list[MeasurementOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, page: Page) -> MeasurementList:
        return cls(items=[MeasurementOut.from_domain(m) for m in page.items], next_cursor=page.next_key)


# `from` is a Python keyword: the query model is built with create_model.
MeasurementListQuery = create_model(
    "MeasurementListQuery", __base__=Body,
    type=(Annotated[str, Field(max_length=32)] | None, None),
    to=(Annotated[str, Field(max_length=40, description="a date or an ISO time")] | None, None),
    cursor=(Cursor | None, None), limit=(Limit | None, None),
    **{"from": (Annotated[str, Field(max_length=40, description="a date or an ISO time")] | None, None)})
