"""Request and response models (pydantic), one module per area mirroring routes/<area>.py; `common`
holds what they share. Unknown fields are refused (400 validation_error); openapi.json is generated
from these. Each output model built from a domain object has a `from_domain()`."""

from .common import NIR_PATTERN, Problem

__all__ = ["NIR_PATTERN", "Problem"]
