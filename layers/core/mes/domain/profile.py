"""The medical profile (BR-19) and who may see which section (BR-20).

One pydantic model per section: unknown fields are refused, code lists where they exist (ABO
group and Rh factor, allergy severity — "unknown" by default —, lifestyle levels), dates never in
the future (a vaccination's to the year, month or day; checked against the use case's clock,
passed as validation context), bounded lengths and counts so that
one section always fits in one DynamoDB item. Every section is a JSON object: list sections hold
their entries under `items`; `{"items": []}` empties a list section and `{}` empties a section
made of one object (trusted person, blood group…).

Stdlib + pydantic only."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic import ValidationError as PydanticError

from .errors import NotFound, ValidationError

MAX_SECTION_BYTES = 64_000  # a section is one DynamoDB item (400 KB max): keep a wide margin


def _not_future(value: date | None, info: ValidationInfo) -> date | None:
    """Dates may not be in the future. `today` comes from the use case's clock; without it (reading
    back stored data) the check is skipped: it was made when the section was written."""
    today = (info.context or {}).get("today") if info is not None else None
    if value is not None and today is not None and value > today:
        raise ValueError("la date ne peut pas être dans le futur")
    if value is not None and value.year < 1900:
        raise ValueError("la date doit être postérieure à 1900")
    return value


PastDate = Annotated[date, AfterValidator(_not_future)]


def _partial_date(value: str, info: ValidationInfo) -> str:
    """"YYYY", "YYYY-MM" or "YYYY-MM-DD": a real calendar date to that precision, from 1900, and not
    in the future at that precision (a vaccination "2026" is fine all through 2026)."""
    if not _PARTIAL_DATE.fullmatch(value):
        raise ValueError("date attendue au format AAAA, AAAA-MM ou AAAA-MM-JJ")
    parts = value.split("-")
    try:
        year, month, day = int(parts[0]), (int(parts[1]) if len(parts) > 1 else 1), (
            int(parts[2]) if len(parts) > 2 else 1)
        date(year, month, day)
    except (ValueError, IndexError):
        raise ValueError("cette date n'existe pas") from None
    if year < 1900:
        raise ValueError("la date doit être postérieure à 1900")
    today = (info.context or {}).get("today") if info is not None else None
    if today is not None and (year, month, day)[:len(parts)] > (today.year, today.month, today.day)[:len(parts)]:
        raise ValueError("la date ne peut pas être dans le futur")
    return value


_PARTIAL_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
PartialDate = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_partial_date),
                        Field(description="AAAA, AAAA-MM ou AAAA-MM-JJ (souvent seule l'année est connue)",
                              examples=["2019", "2019-05", "2019-05-14"],
                              json_schema_extra={"pattern": "^" + _PARTIAL_DATE.pattern + "$"})]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 .()-]{5,19}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Rpps = Annotated[str, StringConstraints(pattern=r"^[0-9]{11}$")]
Cim10 = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _ordered(start: date | None, end: date | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{what} : la date de fin précède la date de début")


# --- entries -------------------------------------------------------------------------------------
class Condition(Section):
    name: Text = Field(description="pathologie ou antécédent médical/chirurgical")
    cim10: Cim10 | None = Field(None, description="code CIM-10, s'il est connu")
    since: PastDate | None = None
    until: PastDate | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _dates(self) -> Condition:
        _ordered(self.since, self.until, "antécédent")
        return self


class Hospitalisation(Section):
    reason: Text
    establishment: Text | None = None
    start_date: PastDate
    end_date: PastDate | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _dates(self) -> Hospitalisation:
        _ordered(self.start_date, self.end_date, "hospitalisation")
        return self


class Treatment(Section):
    name: Text = Field(description="médicament ou traitement")
    dosage: Text | None = None
    frequency: Text | None = None
    start_date: PastDate | None = None
    end_date: date | None = Field(None, description="fin prévue : la seule date qui peut être future")
    prescriber: Text | None = None

    @model_validator(mode="after")
    def _dates(self) -> Treatment:
        _ordered(self.start_date, self.end_date, "traitement")
        return self


AllergySeverity = Literal["mild", "moderate", "severe", "life_threatening", "unknown"]
ALLERGY_SEVERITIES = ("mild", "moderate", "severe", "life_threatening", "unknown")


class Allergy(Section):
    substance: Text = Field(description="allergène ou intolérance")
    kind: Literal["medication", "food", "environment", "insect", "other"] = "other"
    severity: AllergySeverity = Field("unknown", description="« unknown » when not known (the default)")
    reaction: Text | None = None
    since: PastDate | None = None


class Vaccination(Section):
    """The disease(s) it protects against, and the vaccine's name when known (BR-19): people remember
    the disease rather than the vaccine's name, and often only the year (the seeds)."""

    vaccine: Text | None = Field(None, description="nom du vaccin, s'il est connu")
    diseases: list[ShortText] = Field(min_length=1, max_length=10, description="maladie(s) contre laquelle/lesquelles il protège")
    date: PartialDate
    dose: ShortText | None = Field(None, description="rang de la dose, rappel…")
    batch_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None = None
    administered_by: Text | None = None


Relative = Literal["mother", "father", "sibling", "child", "grandparent", "aunt_uncle", "cousin", "other"]


class FamilyHistoryEntry(Section):
    relative: Relative
    condition: Text
    age_at_onset: int | None = Field(None, ge=0, le=130)
    notes: LongText | None = None


class Contact(Section):
    first_name: ShortText
    last_name: ShortText
    relationship: ShortText | None = None
    phone: Phone | None = None
    email: Email | None = None


class EmergencyContact(Contact):
    phone: Phone  # required: an emergency contact is called


class CareTeamMember(Section):
    name: Text
    specialty: Text | None = None
    rpps: Rpps | None = None
    structure: Text | None = None
    phone: Phone | None = None


class ReferringDoctor(Section):
    """Le médecin traitant déclaré."""

    name: Text
    rpps: Rpps | None = None
    phone: Phone | None = None
    address: Text | None = None
    declared_on: PastDate | None = None


# --- sections ------------------------------------------------------------------------------------
class Conditions(Section):
    items: list[Condition] = Field(default_factory=list, max_length=100)


class Hospitalisations(Section):
    items: list[Hospitalisation] = Field(default_factory=list, max_length=100)


class Treatments(Section):
    items: list[Treatment] = Field(default_factory=list, max_length=100)


class Allergies(Section):
    items: list[Allergy] = Field(default_factory=list, max_length=100)


class Vaccinations(Section):
    items: list[Vaccination] = Field(default_factory=list, max_length=200)


class FamilyHistory(Section):
    items: list[FamilyHistoryEntry] = Field(default_factory=list, max_length=100)


class Lifestyle(Section):
    tobacco: Literal["never", "former", "current"] | None = None
    tobacco_pack_years: float | None = Field(None, ge=0, le=200, description="paquets-années")
    alcohol: Literal["none", "occasional", "regular", "daily"] | None = None
    physical_activity: Literal["sedentary", "light", "moderate", "intense"] | None = None
    sports: list[ShortText] = Field(default_factory=list, max_length=20)
    diet: Text | None = None
    notes: LongText | None = None


class BloodGroup(Section):
    """ABO group and Rh factor; `{}` when unknown."""

    abo: Literal["A", "B", "AB", "O"] | None = None
    rh: Literal["+", "-"] | None = None

    @model_validator(mode="after")
    def _both(self) -> BloodGroup:
        if (self.abo is None) != (self.rh is None):
            raise ValueError("groupe sanguin : indiquer à la fois le groupe ABO et le facteur rhésus")
        return self


class AdvanceDirectives(Section):
    """Directives anticipées: the text, or where the signed original is kept, or a DIR_ANT document."""

    written: bool = False
    written_on: PastDate | None = None
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)] | None = None
    kept_by: Text | None = Field(None, description="qui détient l'original")
    document_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z-]{1,64}$")] | None = None


class TrustedPerson(Section):
    """Personne de confiance (one); `{}` when none is designated."""

    first_name: ShortText | None = None
    last_name: ShortText | None = None
    relationship: ShortText | None = None
    phone: Phone | None = None
    email: Email | None = None
    designated_on: PastDate | None = None

    @model_validator(mode="after")
    def _named(self) -> TrustedPerson:
        given = self.model_dump(exclude_none=True)
        if given and not (self.first_name and self.last_name):
            raise ValueError("personne de confiance : le prénom et le nom sont obligatoires")
        return self


class EmergencyContacts(Section):
    items: list[EmergencyContact] = Field(default_factory=list, max_length=10)


class CareTeam(Section):
    referring_doctor: ReferringDoctor | None = Field(None, description="médecin traitant")
    members: list[CareTeamMember] = Field(default_factory=list, max_length=50)


SECTIONS: dict[str, type[Section]] = {
    "conditions": Conditions,
    "hospitalisations": Hospitalisations,
    "treatments": Treatments,
    "allergies": Allergies,
    "vaccinations": Vaccinations,
    "family_history": FamilyHistory,
    "lifestyle": Lifestyle,
    "blood_group": BloodGroup,
    "advance_directives": AdvanceDirectives,
    "trusted_person": TrustedPerson,
    "emergency_contacts": EmergencyContacts,
    "care_team": CareTeam,
}

# BR-20: the only sections a professional may see (documents have their own routes); every other
# section is the holder's only. A section that mirrors a document category is shown to the
# professionals whose profession may read that category (BR-29, the same matrix file).
PROFESSIONAL_SECTIONS: tuple[str, ...] = ("vaccinations", "advance_directives", "trusted_person", "emergency_contacts")
SECTION_CATEGORY: dict[str, str] = {"vaccinations": "CAR_VAC", "advance_directives": "DIR_ANT"}
HOLDER_ONLY_SECTIONS: tuple[str, ...] = tuple(s for s in SECTIONS if s not in PROFESSIONAL_SECTIONS)


def section_model(name: str) -> type[Section]:
    model = SECTIONS.get(name)
    if model is None:
        raise NotFound("Section du profil inconnue.")
    return model


def professional_sections(readable_categories: frozenset[str]) -> dict[str, bool]:
    """BR-20 × BR-29: each professional-visible section → whether this profession sees its content."""
    return {name: SECTION_CATEGORY.get(name) is None or SECTION_CATEGORY[name] in readable_categories
            for name in PROFESSIONAL_SECTIONS}


def validate_section(name: str, data: Any, today: date) -> dict[str, Any]:
    """The section as it will be stored (normalised: stripped strings, ISO dates, no nulls)."""
    model = section_model(name)
    if not isinstance(data, dict):
        raise ValidationError("Le corps de la requête doit être un objet JSON.", field="body")
    try:
        section = model.model_validate(data, context={"today": today})
    except PydanticError as exc:
        raise french_error(exc) from None
    stored = section.model_dump(mode="json", exclude_none=True)
    if len(json.dumps(stored, ensure_ascii=False).encode()) > MAX_SECTION_BYTES:
        raise ValidationError("Cette section est trop volumineuse (64 ko au plus).", field="body")
    return stored


def read_section(name: str, stored: dict[str, Any]) -> Section:
    """Stored data back into its model (for responses); no date-in-the-future check on reads."""
    return SECTIONS[name].model_validate(stored)


_MESSAGES = {
    "missing": "Champ obligatoire manquant : « {field} ».",
    "extra_forbidden": "Champ inconnu : « {field} ».",
    "literal_error": "Valeur non autorisée pour « {field} » (valeurs possibles : {expected}).",
    "string_too_long": "« {field} » : {max_length} caractères au plus.",
    "string_too_short": "« {field} » ne peut pas être vide.",
    "too_long": "« {field} » : {max_length} éléments au plus.",
    "too_short": "« {field} » : {min_length} élément(s) au moins.",
    "string_pattern_mismatch": "Format invalide pour « {field} ».",
    "string_type": "« {field} » doit être une chaîne de caractères (entre guillemets).",
    "date_from_datetime_parsing": "« {field} » doit être une date au format AAAA-MM-JJ.",
    "date_parsing": "« {field} » doit être une date au format AAAA-MM-JJ.",
    "date_type": "« {field} » doit être une date au format AAAA-MM-JJ.",
    "less_than_equal": "« {field} » doit être inférieur ou égal à {le}.",
    "greater_than_equal": "« {field} » doit être supérieur ou égal à {ge}.",
}


def french_error(exc: PydanticError) -> ValidationError:
    """The first pydantic error as a French sentence a holder can read, with the field's path."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "body"
    kind = err.get("type", "")
    ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
    if kind == "value_error":
        message = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
        detail = f"Valeur invalide pour « {field} » : {message}." if field != "body" else f"{message[:1].upper()}{message[1:]}."
    elif kind in _MESSAGES:
        try:
            detail = _MESSAGES[kind].format(field=field, **ctx).replace("' or '", "' ou '")
        except (KeyError, IndexError):
            detail = f"Valeur invalide pour le champ « {field} »."
    else:
        detail = f"Valeur invalide pour le champ « {field} »."
    return ValidationError(detail, field=field)


def today_of(now: datetime) -> date:
    return now.astimezone(UTC).date()
