"""PS tokens through the container (BR-28): the `aws` fixture's settings pin the `psc` stand-in's
public key (template parameters PscIssuer/PscAudience/PscJwks → PSC_* env), as the local stack does."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from mes.domain.errors import Unauthorized
from mes.domain.professionals import ProIdentity
from mes_local import psc as local_psc
from mes_local.provision import load_template, provision


def test_the_container_verifies_the_stand_in_tokens(aws, psc, clock):
    token = psc.issue("10003456789", "21", structure="750712184", name="Marie Curie", now=clock())
    assert aws.psc.verify(token, clock()) == ProIdentity(
        rpps="10003456789", profession="21", structure="750712184", name="Marie Curie")
    assert aws.psc is aws.psc  # one verifier (and parsed key set) per container
    clock.advance(hours=1)
    with pytest.raises(Unauthorized):
        aws.psc.verify(token, clock())


def test_the_environment_comes_from_the_template_parameters(aws, psc):
    settings = aws.settings
    assert (settings.psc_issuer, settings.psc_audience) == (psc.issuer, psc.audience)
    assert json.loads(settings.psc_jwks) == psc.jwks()


def test_tokens_of_another_provider_are_refused(aws, clock):
    other = local_psc.LocalPsc(issuer=aws.settings.psc_issuer, audience="mes")
    with pytest.raises(Unauthorized):
        aws.psc.verify(other.issue("10003456789", "10", now=clock()), clock())
    with pytest.raises(Unauthorized):
        aws.psc.verify(other.issue("10003456789", "10", now=clock() - timedelta(days=1)), clock())


def test_template_defaults_refuse_every_token(psc, clock):
    """Deployed without pinned keys (the placeholder `{"keys": []}`), no PS gets in."""
    parameters = load_template()["Parameters"]
    assert parameters["PscJwks"]["Default"] == '{"keys": []}'
    with mock_aws():
        env = provision(boto3.session.Session(region_name="eu-west-3"))["env"]
    assert env["PSC_ISSUER"] == "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
    assert env["PSC_AUDIENCE"] == "mes" and json.loads(env["PSC_JWKS"]) == {"keys": []}
    from mes.adapters.psc import PscVerifier
    verifier = PscVerifier(env["PSC_ISSUER"], env["PSC_AUDIENCE"], env["PSC_JWKS"])
    with pytest.raises(Unauthorized):
        verifier.verify(psc.issue("10003456789", "10", now=clock(), iss=env["PSC_ISSUER"]), clock())


def test_the_local_key_pair_is_kept_in_ssm_and_reused(clock):
    with mock_aws():
        ssm = boto3.session.Session(region_name="eu-west-3").client("ssm")
        assert local_psc.load(ssm, "http://127.0.0.1:8000/psc-local") is None
        first = local_psc.ensure(ssm, "http://127.0.0.1:8000/psc-local")
        stored = ssm.get_parameter(Name=local_psc.PRIVATE_KEY_PARAMETER, WithDecryption=True)["Parameter"]
        assert stored["Type"] == "SecureString"
        again = local_psc.ensure(ssm, "http://127.0.0.1:8000/psc-local")
        assert again.kid == first.kid
        # Another process (the CLI) signs; the stack's verifier accepts
        token = local_psc.load(ssm, first.issuer, "mes").issue("10003456789", "60", now=clock())
        assert first.verifier().verify(token, clock()).profession == "60"
