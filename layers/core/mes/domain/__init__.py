"""The domain core: entities, state machines and rules (BR-nn). Standard library and pydantic only."""
