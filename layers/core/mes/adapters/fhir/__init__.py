"""The FHIR R4 facade's mapping (FHIR.md): code tables (`codes`), resources as JSON (`resources`),
ITI-67 search parameters (`search`), the CapabilityStatement (`capability`). Pure functions over
domain values; no FHIR library at run time."""
