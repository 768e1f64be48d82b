"""Powertools Logger and Metrics, created once. No health data, NIR, code, OTP, password or token is
ever passed to them: log identifiers (espace id, batch id, counts), never what a person typed."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="mes")
metrics = Metrics(namespace="mes", service="mes")
