"""PynamoDB models live at module level (type checkers see their attributes) and are bound to the
deployed table names by `mes.adapters.dynamo_kit.bind` (issue 10). Tests build several stacks per
session with other table names: each binding must talk to its own table, indexes included."""

from __future__ import annotations

import pytest
from moto import mock_aws

from mes.adapters.access_dynamo import AccessModels, LogItem, access_models
from mes.adapters.documents_dynamo import DocumentModel, document_model
from mes.adapters.dynamo_kit import bind
from mes.adapters.espace_models import CoreModels, EphemeralModel, EspaceModel, core_models

REGION = "eu-west-3"


def test_binding_is_a_subclass_per_table_and_reused_for_the_same_table():
    first = bind(EspaceModel, "espaces-a", REGION)
    assert issubclass(first, EspaceModel) and first is not EspaceModel
    assert (first.Meta.table_name, first.Meta.region) == ("espaces-a", REGION)
    assert bind(EspaceModel, "espaces-a", REGION) is first  # one class per container's tables
    other = bind(EspaceModel, "espaces-b", REGION)
    assert other is not first and other.Meta.table_name == "espaces-b"
    # each bound class has its own index objects, pointing at itself (so at its own table)
    assert first.by_nir._model is first and other.by_nir._model is other
    assert first.DoesNotExist is not other.DoesNotExist


def test_typed_groups_of_bound_models():
    models = core_models("e", "c", "x", "j", REGION)
    assert isinstance(models, CoreModels)
    assert [models.espace.Meta.table_name, models.credential.Meta.table_name,
            models.ephemeral.Meta.table_name, models.job.Meta.table_name] == ["e", "c", "x", "j"]
    assert issubclass(models.ephemeral, EphemeralModel)
    access = access_models("acc", "log", REGION)
    assert isinstance(access, AccessModels) and issubclass(access.log, LogItem)
    assert access.item.Meta.table_name == "acc" and access.log.Meta.table_name == "log"
    assert issubclass(document_model("docs", REGION), DocumentModel)


def test_an_unbound_module_level_model_refuses_to_reach_aws():
    with pytest.raises(AttributeError):
        EspaceModel.get("anything")


@mock_aws
def test_two_bindings_read_and_write_their_own_tables_and_indexes():
    stacks = [bind(EspaceModel, name, REGION) for name in ("espaces-one", "espaces-two")]
    for model in stacks:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    one, two = stacks
    one(espace_id="e1", nir_hmac="n1", birth_date="2000-01-01", vitale_hmac="v", department="2A",
        status="pending").save()
    assert one.get("e1").nir_hmac == "n1"
    with pytest.raises(two.DoesNotExist):
        two.get("e1")
    assert [i.espace_id for i in one.by_nir.query("n1")] == ["e1"]
    assert list(two.by_nir.query("n1")) == []
