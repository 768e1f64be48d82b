"""Kept for existing imports: the local stack's provisioner is the ``mes_local.provision`` package
(template reader, intrinsics, one provisioner per service, the functions' environment)."""

from mes_local.provision import (
    DEFAULT_TEMPLATE_PATH,
    LOCAL_PARAMETER_DEFAULTS,
    SUPPORTED_TYPES,
    TemplateError,
    generate_password,
    load_template,
    provision,
    resolved_env,
)

__all__ = [
    "DEFAULT_TEMPLATE_PATH",
    "LOCAL_PARAMETER_DEFAULTS",
    "SUPPORTED_TYPES",
    "TemplateError",
    "generate_password",
    "load_template",
    "provision",
    "resolved_env",
]
