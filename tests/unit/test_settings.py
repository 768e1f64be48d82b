"""Settings per function family (issue 10): each family's required variables are required (no `""`
default that fails at the first AWS call), a missing one stops the function when its container is
built with a message naming it, and every variable a family requires reaches every function
(template.yaml Globals)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mes import bootstrap
from mes.bootstrap import Container
from mes.settings import ApiSettings, CoreSettings, JobSettings, Settings, SettingsError

FAMILIES = (CoreSettings, ApiSettings, JobSettings, Settings)
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def required(family: type[CoreSettings]) -> set[str]:
    return {field.alias for field in family.model_fields.values() if field.is_required()}


def full_env() -> dict[str, str]:
    return {name: f"value-of-{name.lower()}" for name in required(Settings)}


def template_variables() -> set[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    return set(template["Globals"]["Function"]["Environment"]["Variables"])


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_no_field_defaults_to_an_empty_string_but_the_documented_psc_ones(family):
    # PSC_* empty is a deliberate setting: every PS token is refused (tests/unit/test_psc.py).
    empty = {name for name, field in family.model_fields.items() if field.default == ""}
    assert empty <= {"psc_issuer", "psc_audience", "psc_jwks"}


def test_the_dead_shard_settings_are_gone():
    assert not {"wave_shards", "due_shards"} & set(Settings.model_fields)


def test_the_families_require_what_they_read_and_nothing_of_the_others():
    assert {"IDEMPOTENCY_TABLE", "LETTERS_BUCKET"} <= required(JobSettings)
    assert not {"IDEMPOTENCY_TABLE", "LETTERS_BUCKET"} & required(ApiSettings)
    assert "TOKEN_KEY_ID" in required(ApiSettings) and "TOKEN_KEY_ID" not in required(JobSettings)
    local_only = {"POPULATION_BUCKET", "REIMBURSEMENTS_BUCKET", "DOCUMENT_SCAN_QUEUE_URL"}
    assert local_only <= required(Settings) and not local_only & (required(ApiSettings) | required(JobSettings))
    assert required(Settings) == required(ApiSettings) | required(JobSettings) | local_only


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_every_required_variable_reaches_every_function_from_the_template(family):
    assert required(family) - template_variables() == set()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("blank", [False, True], ids=["absent", "empty"])
def test_a_missing_variable_is_named_at_start_up(family, blank):
    for name in sorted(required(family)):
        env = {k: v for k, v in full_env().items() if k != name}
        if blank:
            env[name] = ""
        with pytest.raises(SettingsError) as error:
            family.from_env(env)
        assert name in str(error.value) and family.__name__ in str(error.value)


def test_a_complete_environment_reads_every_family():
    env = {**full_env(), "MES_STAGE": "prod", "AWS_DEFAULT_REGION": "eu-west-1"}
    settings = Settings.from_env(env)
    assert settings.letters_bucket == "value-of-letters_bucket" and settings.token_key_id == "value-of-token_key_id"
    assert (settings.region, settings.malware_scanner, settings.stage) == ("eu-west-1", "guardduty", "prod")
    assert Settings.from_env(full_env()).malware_scanner == "eicar"  # local stage


def test_the_container_is_built_for_the_function_family_and_fails_before_any_aws_call(monkeypatch):
    # Given a job function whose environment lacks the letters bucket
    env = {k: v for k, v in full_env().items() if k != "LETTERS_BUCKET"}
    monkeypatch.setattr("os.environ", env)
    bootstrap.set_container(None)
    try:
        # When the container is built for the jobs family: a clear error, no client created
        with pytest.raises(SettingsError, match="JobSettings.*LETTERS_BUCKET"):
            bootstrap.get_container(JobSettings)
        # The API family does not need it
        api = bootstrap.get_container(ApiSettings)
        assert isinstance(api.settings, ApiSettings) and not isinstance(api.settings, JobSettings)
        assert api._clients == {}
        # and reaching past its family is an error that says so, not an AttributeError
        with pytest.raises(SettingsError, match="JobSettings needed"):
            _ = api.job_settings
    finally:
        bootstrap.set_container(None)


def test_one_process_running_several_families_converges_on_the_whole_settings(monkeypatch):
    monkeypatch.setattr("os.environ", full_env())
    bootstrap.set_container(None)
    try:
        assert type(bootstrap.get_container(ApiSettings).settings) is ApiSettings
        jobs = bootstrap.get_container(JobSettings)
        assert type(jobs.settings) is Settings and bootstrap.get_container(ApiSettings) is jobs
    finally:
        bootstrap.set_container(None)


def test_a_container_with_the_whole_settings_serves_every_family():
    container = Container(Settings.from_env(full_env()))
    assert container.api_settings.token_key_id and container.job_settings.idempotency_table
