"""What deploys is what was tested: checks a `sam build` output (`make deploy-check`).

For every package SAM built (each function and layer of ``template.yaml``):

- every distribution (``*.dist-info``) is in ``requirements.lock`` at the locked version;
- every wheel is one Lambda's ``python3.11`` runtime can load: CPython 3.11 (or ``abi3``/pure),
  and for native code ``manylinux`` aarch64 with glibc <= 2.26 (the runtime is Amazon Linux 2);
- the packages built from ``functions/api`` hold the app code (byte for byte the source) and
  Chalice's runtime (``chalice/__init__.py``, ``chalice/app.py`` and its dist-info), nothing else.

With ``--import-with SITE`` (a twin of the layer built for the build machine's architecture from
the same lock), it also imports every function's handler in an isolated interpreter that sees only
the function's package and that twin: a module the code imports but the layer does not ship fails
here, not in Lambda. The twin must hold exactly the layer's distributions and versions.

Then it prints ``deploy.api_package_mb`` (the API function plus the layer, unzipped: what counts
against Lambda's 250 MB) and ``deploy.layer_mb``, in MB (10**6 bytes) with one decimal.
``measure(build_dir)`` returns the same two figures (for the bench). Standard library only, apart
from reading the template.

    python -m mes_local.deploy_check [BUILD_DIR] [--import-with SITE]   # exit 1 on a problem
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from email.parser import HeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = ROOT / ".aws-sam" / "build"
LOCK_PATH = ROOT / "requirements.lock"
API_CODE_URI = "functions/api"
API_FUNCTION = "ApiFunction"
LAYER = "CoreLayer"
MB = 1_000_000  # the unit of the figures; Lambda's 250 MB quota is 250 * 2**20 bytes

# Lambda python3.11 = CPython 3.11 on Amazon Linux 2 (glibc 2.26); the template deploys arm64.
PYTHON = (3, 11)
MAX_GLIBC = (2, 26)
ARCH = "aarch64"
# Chalice's runtime: the two files Chalice's own packager puts in a deployment package.
CHALICE_RUNTIME = {"chalice/__init__.py", "chalice/app.py"}
# Build files of functions/api that are not app code and must not ship.
API_BUILD_FILES = {"Makefile", "requirements.txt"}


def canonical(name: str) -> str:
    """PEP 503 name: ``PyJWT`` -> ``pyjwt``, ``typing_extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK_PATH) -> dict[str, str]:
    """``requirements.lock`` as {canonical name: version}; only ``name==version`` lines."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match is None:
            raise ValueError(f"{path}:{number}: not a 'name==version' pin: {raw!r}")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


# -------------------------------------------------------------------------------------------------
# Distributions and wheel tags
# -------------------------------------------------------------------------------------------------
def distributions(package_dir: Path) -> list[tuple[str, str, list[str], Path]]:
    """(name, version, wheel tags, dist-info dir) of every distribution installed in a package."""
    found = []
    for info in sorted(p for p in package_dir.rglob("*.dist-info") if p.is_dir()):
        metadata = info / "METADATA"
        if not metadata.is_file():
            found.append(("", "", [], info))
            continue
        headers = HeaderParser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
        wheel = info / "WHEEL"
        tags: list[str] = []
        if wheel.is_file():
            wheel_headers = HeaderParser().parsestr(wheel.read_text(encoding="utf-8", errors="replace"))
            tags = wheel_headers.get_all("Tag") or []
        found.append((headers.get("Name", ""), headers.get("Version", ""), tags, info))
    return found


def _platform_ok(platform: str) -> bool:
    if platform == "any":
        return True
    if platform == f"manylinux2014_{ARCH}":
        return True  # = manylinux_2_17
    match = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{ARCH}", platform)
    return match is not None and (int(match.group(1)), int(match.group(2))) <= MAX_GLIBC


def _python_ok(python: str, abi: str) -> bool:
    major, minor = PYTHON
    if python in {"py3", f"py{major}{minor}"} and abi == "none":
        return True
    match = re.fullmatch(r"cp(\d)(\d+)", python)
    if match is None or int(match.group(1)) != major:
        return False
    if abi == "abi3":
        return int(match.group(2)) <= minor
    return int(match.group(2)) == minor and abi in {f"cp{major}{minor}", "none"}


def tag_loads_in_lambda(tag: str) -> bool:
    """Whether a wheel tag (``cp311-abi3-manylinux_2_26_aarch64``, compressed sets included) fits
    Lambda's python3.11 on arm64."""
    parts = tag.split("-")
    if len(parts) != 3:
        return False
    pythons, abis, platforms = (part.split(".") for part in parts)
    return any(
        _python_ok(python, abi) and _platform_ok(platform)
        for python in pythons for abi in abis for platform in platforms
    )


def check_distributions(package: str, package_dir: Path, lock: dict[str, str]) -> list[str]:
    problems = []
    for name, version, tags, info in distributions(package_dir):
        where = f"{package}: {info.relative_to(package_dir)}"
        if not name or not version:
            problems.append(f"{where}: no METADATA name/version")
            continue
        locked = lock.get(canonical(name))
        if locked is None:
            problems.append(f"{where}: {name} {version} is not in requirements.lock")
        elif version != locked:
            problems.append(f"{where}: {name} {version} shipped, {locked} in requirements.lock (tested)")
        if not tags:
            problems.append(f"{where}: no WHEEL tag (not installed from a wheel)")
        elif not any(tag_loads_in_lambda(tag) for tag in tags):
            problems.append(
                f"{where}: wheel {', '.join(tags)} does not load in Lambda python3.11 arm64 "
                f"(CPython {PYTHON[0]}.{PYTHON[1]}, glibc <= {MAX_GLIBC[0]}.{MAX_GLIBC[1]}, {ARCH})")
    return problems


# -------------------------------------------------------------------------------------------------
# The API package
# -------------------------------------------------------------------------------------------------
def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def check_api_package(package: str, package_dir: Path, source_dir: Path) -> list[str]:
    """Only the app code (identical to the source) and Chalice's runtime."""
    source = {
        rel: path for rel, path in _files(source_dir).items()
        if rel not in API_BUILD_FILES and "__pycache__" not in rel.split("/") and not rel.endswith(".pyc")
    }
    shipped = _files(package_dir)
    problems = _changed_or_foreign(package, shipped, source)
    for rel in sorted((set(source) | CHALICE_RUNTIME) - set(shipped)):
        problems.append(f"{package}: {rel} is missing")
    if not any(re.fullmatch(r"chalice-[^/]+\.dist-info", p.name) for p in package_dir.iterdir()):
        problems.append(f"{package}: no chalice-*.dist-info (its version cannot be checked)")
    return problems


def _changed_or_foreign(package: str, shipped: dict[str, Path], source: dict[str, Path]) -> list[str]:
    """Shipped app files that differ from the source, then what is neither app code nor Chalice's
    runtime, by top-level entry (chalice/<entry> inside chalice) with its number of files."""
    problems = []
    foreign: dict[str, int] = {}
    for rel, path in sorted(shipped.items()):
        parts = rel.split("/")
        if rel in CHALICE_RUNTIME or re.fullmatch(r"chalice-[^/]+\.dist-info", parts[0]):
            continue
        if rel not in source:
            entry = "/".join(parts[:2] if parts[0] == "chalice" else parts[:1])
            foreign[entry] = foreign.get(entry, 0) + 1
        elif path.is_symlink() or path.read_bytes() != source[rel].read_bytes():
            problems.append(f"{package}: {rel} differs from {API_CODE_URI}/{rel}")
    return problems + [f"{package}: {_entry(entry, count, shipped)} is neither app code nor Chalice's runtime"
                       for entry, count in sorted(foreign.items())]


def _entry(entry: str, count: int, shipped: dict[str, Path]) -> str:
    return entry if entry in shipped else f"{entry}/ ({count} file{'s' if count > 1 else ''})"


# -------------------------------------------------------------------------------------------------
# Sizes
# -------------------------------------------------------------------------------------------------
def package_bytes(package_dir: Path) -> int:
    """Unzipped size: the sum of the file sizes (what Lambda's 250 MB quota counts)."""
    return sum(p.lstat().st_size for p in package_dir.rglob("*") if p.is_file() and not p.is_symlink())


def measure(build_dir: str | Path = DEFAULT_BUILD_DIR) -> dict[str, float]:
    """The two figures of a `sam build` output, in MB (10**6 bytes), one decimal."""
    build_dir = Path(build_dir)
    for package in (LAYER, API_FUNCTION):
        if not (build_dir / package).is_dir():
            raise FileNotFoundError(f"{build_dir / package} missing: run `make deploy-check` first")
    layer = package_bytes(build_dir / LAYER)
    api = package_bytes(build_dir / API_FUNCTION)
    return {"deploy.api_package_mb": round((api + layer) / MB, 1), "deploy.layer_mb": round(layer / MB, 1)}


# -------------------------------------------------------------------------------------------------
# The whole build
# -------------------------------------------------------------------------------------------------
def built_packages(template: dict) -> dict[str, str]:
    """{logical id: source code URI} of every function and layer SAM builds from this template."""
    packages = {}
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            packages[logical_id] = properties["CodeUri"].rstrip("/")
        elif resource.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(
                properties.get("ContentUri"), str):
            packages[logical_id] = properties["ContentUri"].rstrip("/")
    return packages


def handlers(template: dict) -> dict[str, str]:
    """{logical id: handler} of every zip function (``app.app``, ``handler.handler``)."""
    handler = (template.get("Globals", {}).get("Function") or {}).get("Handler")
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            value = (resource.get("Properties") or {}).get("Handler", handler)
            if isinstance(value, str):
                found[logical_id] = value
    return found


_IMPORT = """
import importlib, importlib.util, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
module, _, attribute = sys.argv[3].rpartition(".")
if not callable(getattr(importlib.import_module(module), attribute)):
    raise SystemExit(sys.argv[3] + " is not callable")
for name in json.loads(sys.argv[4]):  # imported inside functions too: found, not run
    try:
        found = importlib.util.find_spec(name) is not None
    except ImportError:
        found = False
    if not found:
        raise SystemExit("No module named " + repr(name) + " (imported by the code, not shipped)")
"""


def imported_modules(directory: Path, skip: Iterable[str] = ()) -> set[str]:
    """Absolute module names imported anywhere (top level or inside a function) by the .py files
    of ``directory``, except under the top-level entries ``skip``."""
    names = set()
    for path in directory.rglob("*.py"):
        if path.relative_to(directory).parts[0] in set(skip):
            continue
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names - {"__future__"}


def check_imports(build_dir: Path, handlers_by_id: dict[str, str], site: Path, layer: Path) -> list[str]:
    """Import each handler with only its package and ``site`` (the layer's twin) on the path, then
    find (without running) every module that the package's code or the layer's ``mes`` imports,
    including imports inside functions. ``python -I -S`` sees no site-packages, no user site and
    no PYTHON* variable; ``-B`` leaves no ``__pycache__`` in the packages."""
    problems = []
    twin = {(canonical(n), v) for n, v, _, _ in distributions(site)}
    shipped = {(canonical(n), v) for n, v, _, _ in distributions(layer)}
    if twin != shipped:
        return [f"--import-with {site}: not a twin of {LAYER}: "
                f"{sorted(twin ^ shipped)} differ"]
    if not (layer / "mes").is_dir():
        return [f"{layer}: no mes package (the layer's site directory is expected)"]
    layer_names = imported_modules(layer / "mes")  # the layer's own code, not its libraries
    for logical_id, handler in sorted(handlers_by_id.items()):
        # the function's own code; Chalice's runtime imports only the standard library
        names = sorted(imported_modules(build_dir / logical_id, skip={"chalice"}) | layer_names)
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", _IMPORT, str(build_dir / logical_id), str(site), handler,
             json.dumps(names)],
            capture_output=True, text=True, timeout=120, env={"AWS_DEFAULT_REGION": "eu-west-3"})
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["exit status " + str(result.returncode)])[-1]
            problems.append(f"{logical_id}: {handler} does not import with its package and the layer: {last}")
    return problems


def check(build_dir: Path, packages: dict[str, str], lock: dict[str, str], root: Path | None = None) -> list[str]:
    """Every problem of a build; ``packages`` is ``built_packages(template)``, ``root`` the repository."""
    root = ROOT if root is None else root
    problems = []
    for package, code_uri in sorted(packages.items()):
        package_dir = build_dir / package
        if not package_dir.is_dir():
            problems.append(f"{package}: not built ({package_dir} missing)")
            continue
        problems += check_distributions(package, package_dir, lock)
        if code_uri == API_CODE_URI:
            problems += check_api_package(package, package_dir, root / API_CODE_URI)
    for required in (API_FUNCTION, LAYER):
        if required not in packages:
            problems.append(f"{required}: not in the template")
    return problems


def main(argv: Iterable[str] | None = None) -> int:
    from mes_local.provision import load_template  # cfn-lint; the checks above need only the stdlib

    args = list(sys.argv[1:] if argv is None else argv)
    site = None
    if "--import-with" in args:
        index = args.index("--import-with")
        site = Path(args[index + 1])
        del args[index:index + 2]
    build_dir = Path(args[0]) if args else DEFAULT_BUILD_DIR
    template = load_template(ROOT / "template.yaml")
    problems = check(build_dir, built_packages(template), read_lock())
    if not problems:
        layer = distributions(build_dir / LAYER)
        print(f"deploy-check: {len(layer)} distributions in {LAYER}, all at the versions of requirements.lock")
        if site is not None:
            problems += check_imports(build_dir, handlers(template), site, build_dir / LAYER / "python")
            if not problems:
                print(f"deploy-check: {len(handlers(template))} handlers import with their package and the layer only")
    for problem in problems:
        print(f"deploy-check: {problem}", file=sys.stderr)
    for name, value in measure(build_dir).items():
        print(f"{name}: {value}")
    if problems:
        print(f"deploy-check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
