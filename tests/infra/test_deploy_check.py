"""infra/mes_local/deploy_check.py on fake `sam build` outputs, and the build inputs it relies on.

The real build (`make deploy-check`) needs the SAM CLI; these tests need nothing but the repository.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mes_local import deploy_check
from mes_local.provision import load_template

ROOT = Path(__file__).resolve().parents[2]
LOCK = {"chalice": "1.34.0", "botocore": "1.44.5", "pydantic-core": "2.46.5", "six": "1.17.0"}
PACKAGES = {"ApiFunction": "functions/api", "CoreLayer": "layers/core", "WaveFunction": "functions/wave"}


def _dist(site: Path, name: str, version: str, tags: tuple[str, ...] = ("py3-none-any",)) -> Path:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nText\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n" + "".join(f"Tag: {t}\n" for t in tags))
    return info


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A fake repository: functions/api with its app code and build files."""
    api = tmp_path / "repo" / "functions" / "api"
    (api / "chalicelib" / "routes").mkdir(parents=True)
    (api / "app.py").write_text("from chalice import Chalice\napp = Chalice('mes')\n")
    (api / "chalicelib" / "__init__.py").write_text("")
    (api / "chalicelib" / "routes" / "auth.py").write_text("ROUTES = []\n")
    (api / "Makefile").write_text("build-ApiFunction:\n")
    (api / "requirements.txt").write_text("chalice==1.34.0\n")
    return tmp_path / "repo"


@pytest.fixture
def build(tmp_path: Path, source: Path) -> Path:
    """A fake build that passes: the API package as functions/api/Makefile makes it, a layer."""
    build = tmp_path / "build"
    api = build / "ApiFunction"
    shutil.copytree(source / "functions" / "api", api, ignore=shutil.ignore_patterns("Makefile", "requirements.txt"))
    (api / "chalice").mkdir()
    (api / "chalice" / "__init__.py").write_text("from chalice.app import Chalice\n")
    (api / "chalice" / "app.py").write_text("class Chalice: ...\n" + "#" * 1000)
    _dist(api, "chalice", "1.34.0")
    site = build / "CoreLayer" / "python"
    _dist(site, "botocore", "1.44.5")
    _dist(site, "six", "1.17.0", ("py2-none-any", "py3-none-any"))
    _dist(site, "pydantic_core", "2.46.5", ("cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",))
    (site / "mes").mkdir()
    (site / "mes" / "__init__.py").write_text("")
    (site / "botocore" / "data").mkdir(parents=True)
    (site / "botocore" / "data" / "endpoints.json").write_bytes(b"x" * (3 * deploy_check.MB))
    (build / "WaveFunction").mkdir()
    (build / "WaveFunction" / "handler.py").write_text("def handler(event, context): ...\n")
    return build


def _check(build: Path, source: Path, lock: dict[str, str] | None = None) -> list[str]:
    return deploy_check.check(build, PACKAGES, LOCK if lock is None else lock, root=source)


def test_a_build_as_the_makefiles_make_it_passes(build: Path, source: Path) -> None:
    assert _check(build, source) == []


def test_a_version_other_than_the_lock_fails(build: Path, source: Path) -> None:
    """The original defect: the layer resolved botocore freshly (1.44.8) while the tests ran 1.44.5."""
    info = build / "CoreLayer" / "python" / "botocore-1.44.5.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: botocore\nVersion: 1.44.8\n")
    problems = _check(build, source)
    assert len(problems) == 1
    assert "botocore 1.44.8 shipped, 1.44.5 in requirements.lock" in problems[0]


def test_a_distribution_missing_from_the_lock_fails(build: Path, source: Path) -> None:
    _dist(build / "CoreLayer" / "python", "aws-xray-sdk", "2.15.0")
    problems = _check(build, source)
    assert problems == [
        "CoreLayer: python/aws_xray_sdk-2.15.0.dist-info: aws-xray-sdk 2.15.0 is not in requirements.lock"]


def test_names_are_compared_in_canonical_form(build: Path, source: Path) -> None:
    """pydantic_core's dist-info says pydantic_core; the lock says pydantic_core or pydantic-core."""
    assert _check(build, source, {**LOCK, "pydantic-core": "2.46.4"})[0].endswith(
        "pydantic_core 2.46.5 shipped, 2.46.4 in requirements.lock (tested)")


def test_chalice_command_line_dependencies_in_the_api_package_fail(build: Path, source: Path) -> None:
    api = build / "ApiFunction"
    (api / "click").mkdir()
    (api / "click" / "__init__.py").write_text("")
    (api / "chalice" / "cli").mkdir()
    (api / "chalice" / "cli" / "__init__.py").write_text("import click\n")
    (api / "click" / "core.py").write_text("")
    (api / "six.py").write_text("")
    assert _check(build, source) == [
        "ApiFunction: chalice/cli/ (1 file) is neither app code nor Chalice's runtime",
        "ApiFunction: click/ (2 files) is neither app code nor Chalice's runtime",
        "ApiFunction: six.py is neither app code nor Chalice's runtime",
    ]
    _dist(api, "click", "8.5.1")
    assert "ApiFunction: click-8.5.1.dist-info: click 8.5.1 is not in requirements.lock" in _check(build, source)


def test_api_code_must_be_the_source_byte_for_byte(build: Path, source: Path) -> None:
    (build / "ApiFunction" / "chalicelib" / "routes" / "auth.py").write_text("ROUTES = ['stale']\n")
    (build / "ApiFunction" / "chalicelib" / "__init__.py").unlink()
    assert _check(build, source) == [
        "ApiFunction: chalicelib/routes/auth.py differs from functions/api/chalicelib/routes/auth.py",
        "ApiFunction: chalicelib/__init__.py is missing",
    ]


def test_build_files_and_bytecode_of_the_source_are_not_app_code(build: Path, source: Path) -> None:
    shutil.copy(source / "functions" / "api" / "Makefile", build / "ApiFunction" / "Makefile")
    assert _check(build, source) == ["ApiFunction: Makefile is neither app code nor Chalice's runtime"]


def test_a_function_that_was_not_built_fails(build: Path, source: Path) -> None:
    shutil.rmtree(build / "WaveFunction")
    assert _check(build, source) == [f"WaveFunction: not built ({build / 'WaveFunction'} missing)"]


@pytest.mark.parametrize("tag, loads", [
    ("py3-none-any", True),
    ("py2.py3-none-any", True),
    ("cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64", True),
    ("cp310-abi3-manylinux_2_26_aarch64.manylinux_2_28_aarch64", True),   # argon2-cffi-bindings 26.2.0
    ("cp311-abi3-manylinux2014_aarch64", True),
    ("cp311-abi3-manylinux_2_28_aarch64", False),   # needs glibc 2.28; Amazon Linux 2 has 2.26
    ("cp311-abi3-manylinux_2_34_aarch64", False),
    ("cp311-cp311-manylinux_2_17_x86_64", False),   # the functions are arm64
    ("cp312-cp312-manylinux_2_17_aarch64", False),
    ("cp312-abi3-manylinux_2_17_aarch64", False),   # abi3 built for a newer Python
    ("cp311-cp311-musllinux_1_2_aarch64", False),
    ("cp311-cp311-macosx_11_0_arm64", False),
])
def test_wheel_tags_that_load_in_lambda_python311_arm64(tag: str, loads: bool) -> None:
    assert deploy_check.tag_loads_in_lambda(tag) is loads


def test_a_wheel_for_a_newer_glibc_fails(build: Path, source: Path) -> None:
    _dist(build / "CoreLayer" / "python", "cryptography", "50.0.2", ("cp311-abi3-manylinux_2_28_aarch64",))
    problems = _check(build, source, {**LOCK, "cryptography": "50.0.2"})
    assert len(problems) == 1 and "does not load in Lambda python3.11 arm64" in problems[0]


def test_measure_gives_unzipped_megabytes(build: Path) -> None:
    api = deploy_check.package_bytes(build / "ApiFunction")
    layer = deploy_check.package_bytes(build / "CoreLayer")
    assert 3 * deploy_check.MB < layer < 3.1 * deploy_check.MB and 1000 < api < 3000
    assert deploy_check.measure(build) == {"deploy.api_package_mb": 3.0, "deploy.layer_mb": 3.0}
    shutil.rmtree(build / "CoreLayer")
    with pytest.raises(FileNotFoundError, match="make deploy-check"):
        deploy_check.measure(build)  # never a 0.0 figure for a build that is not there


def test_main_prints_the_figures_and_fails_on_a_problem(
        build: Path, source: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (source / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.setattr(deploy_check, "ROOT", source)
    monkeypatch.setattr(deploy_check, "built_packages", lambda template: PACKAGES)
    monkeypatch.setattr(deploy_check, "read_lock", lambda: LOCK)
    assert deploy_check.main([str(build)]) == 0
    assert "deploy.api_package_mb: 3.0\ndeploy.layer_mb: 3.0\n" in capsys.readouterr().out
    monkeypatch.setattr(deploy_check, "read_lock", lambda: {**LOCK, "six": "1.16.0"})
    assert deploy_check.main([str(build)]) == 1
    assert "six 1.17.0 shipped, 1.16.0 in requirements.lock" in capsys.readouterr().err


@pytest.fixture
def twin(build: Path, tmp_path: Path) -> Path:
    """The layer built for this machine: same distributions; here six.py is its only module."""
    site = tmp_path / "host-layer" / "python"
    shutil.copytree(build / "CoreLayer" / "python", site)
    (site / "six.py").write_text("PY3 = True\n")
    return site


def test_every_handler_imports_with_its_package_and_the_layer_only(build: Path, twin: Path) -> None:
    (build / "WaveFunction" / "handler.py").write_text("import six\n\ndef handler(event, context): ...\n")
    (build / "ApiFunction" / "app.py").write_text("import json\napp = json.dumps\n")
    handlers = {"WaveFunction": "handler.handler", "ApiFunction": "app.app"}
    assert deploy_check.check_imports(build, handlers, twin, build / "CoreLayer" / "python") == []


def test_a_module_the_layer_does_not_ship_fails_although_the_test_venv_has_it(build: Path, twin: Path) -> None:
    """PyYAML is in the project venv (the tests pass) but not in the layer: Lambda would fail."""
    import yaml  # noqa: F401 - present here, which is the point

    (build / "WaveFunction" / "handler.py").write_text("import yaml\n\ndef handler(event, context): ...\n")
    problems = deploy_check.check_imports(
        build, {"WaveFunction": "handler.handler"}, twin, build / "CoreLayer" / "python")
    assert problems == ["WaveFunction: handler.handler does not import with its package and the layer: "
                        "ModuleNotFoundError: No module named 'yaml'"]
    (build / "WaveFunction" / "handler.py").write_text("HANDLER = 1\n")
    assert deploy_check.check_imports(
        build, {"WaveFunction": "handler.handler"}, twin, build / "CoreLayer" / "python")[0].endswith(
        "AttributeError: module 'handler' has no attribute 'handler'")
    assert not list(build.rglob("__pycache__"))  # the check leaves no bytecode in the packages


def test_a_module_imported_inside_a_function_must_ship_too(build: Path, twin: Path) -> None:
    """The app imports boto3 lazily (inside functions): importing the handler alone would not see
    a layer without it. Every import statement of the code is looked up, without running it."""
    (build / "WaveFunction" / "handler.py").write_text(
        "def handler(event, context):\n    import six\n    from yaml import safe_load\n")
    layer = build / "CoreLayer" / "python"
    (layer / "mes" / "clients.py").write_text("def s3():\n    import boto3.session\n")
    problems = deploy_check.check_imports(build, {"WaveFunction": "handler.handler"}, twin, layer)
    assert problems == ["WaveFunction: handler.handler does not import with its package and the layer: "
                        "No module named 'boto3.session' (imported by the code, not shipped)"]
    (layer / "mes" / "clients.py").write_text("def s3():\n    import six\n")
    assert deploy_check.check_imports(build, {"WaveFunction": "handler.handler"}, twin, layer)[0].endswith(
        "No module named 'yaml' (imported by the code, not shipped)")


def test_main_imports_the_handlers_with_the_layer_code(
        build: Path, source: Path, twin: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (source / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.setattr(deploy_check, "ROOT", source)
    monkeypatch.setattr(deploy_check, "built_packages", lambda template: PACKAGES)
    monkeypatch.setattr(deploy_check, "handlers", lambda template: {"WaveFunction": "handler.handler"})
    monkeypatch.setattr(deploy_check, "read_lock", lambda: LOCK)
    assert deploy_check.main([str(build), "--import-with", str(twin)]) == 0
    assert "1 handlers import with their package and the layer only" in capsys.readouterr().out
    (build / "CoreLayer" / "python" / "mes" / "bootstrap.py").write_text("def session():\n    import boto3\n")
    assert deploy_check.main([str(build), "--import-with", str(twin)]) == 1
    assert "No module named 'boto3' (imported by the code, not shipped)" in capsys.readouterr().err


def test_the_layer_code_must_be_found(build: Path, twin: Path) -> None:
    """Given the layer's root instead of its site directory, nothing of mes would be looked up."""
    problems = deploy_check.check_imports(build, {}, twin, build / "CoreLayer")
    assert problems == [f"{build / 'CoreLayer'}: no mes package (the layer's site directory is expected)"]


def test_the_import_layer_must_be_a_twin_of_the_built_layer(build: Path, twin: Path) -> None:
    (twin / "six-1.17.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")
    problems = deploy_check.check_imports(build, {}, twin, build / "CoreLayer" / "python")
    assert len(problems) == 1 and "not a twin of CoreLayer" in problems[0] and "1.16.0" in problems[0]


def test_handlers_come_from_the_template_with_the_globals_default() -> None:
    template = {"Globals": {"Function": {"Handler": "handler.handler"}}, "Resources": {
        "A": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "B": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "L": {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
    }}
    assert deploy_check.handlers(template) == {"A": "app.app", "B": "handler.handler"}
    real = deploy_check.handlers(load_template(ROOT / "template.yaml"))
    assert real["ApiFunction"] == "app.app" and set(real) == {
        k for k, v in deploy_check.built_packages(load_template(ROOT / "template.yaml")).items() if k != "CoreLayer"}


# -------------------------------------------------------------------------------------------------
# The build inputs
# -------------------------------------------------------------------------------------------------
def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([^\[=]+)(?:\[[^\]]*\])?==(\S+)", line).groups()
            pins[deploy_check.canonical(name)] = version
    return pins


def test_the_lock_parses_and_the_lambda_requirements_match_it() -> None:
    lock = deploy_check.read_lock()
    for requirements in ("layers/core/requirements.txt", "functions/api/requirements.txt"):
        pins = _pins(ROOT / requirements)
        assert pins and all(lock.get(name) == version for name, version in pins.items()), requirements
    # Both SDK halves ship from the lock, never Lambda's boto3 beside a bundled botocore.
    assert "boto3" in _pins(ROOT / "layers/core/requirements.txt")


def test_no_tracer_extra_while_no_tracer_is_created() -> None:
    code = "\n".join(p.read_text() for d in ("layers", "functions") for p in (ROOT / d).rglob("*.py"))
    if re.search(r"\bTracer\(", code) is None:
        for path in ("pyproject.toml", "layers/core/requirements.txt"):
            assert "[tracer]" not in (ROOT / path).read_text(), path


def test_every_package_built_from_functions_api_has_its_make_target() -> None:
    template = load_template(ROOT / "template.yaml")
    makefile = (ROOT / "functions/api/Makefile").read_text()
    packages = deploy_check.built_packages(template)
    api = [logical_id for logical_id, uri in packages.items() if uri == deploy_check.API_CODE_URI]
    assert deploy_check.API_FUNCTION in api and len(api) >= 2
    for logical_id in api:
        assert template["Resources"][logical_id]["Metadata"]["BuildMethod"] == "makefile", logical_id
        assert re.search(rf"^build-[^\n]*\bbuild-{logical_id}\b|^build-{logical_id}\b", makefile, re.M), logical_id
    layer = template["Resources"][deploy_check.LAYER]
    assert packages[deploy_check.LAYER] == "layers/core"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-CoreLayer:" in (ROOT / "layers/core/Makefile").read_text()
