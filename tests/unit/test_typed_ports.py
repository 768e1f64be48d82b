"""Issue 10: every port a use case takes is a typed Protocol, and the composition root returns those
types — no `Any` in `ports.py`, in the `*Deps` classes or in `bootstrap.py` signatures (mypy, run by
`make test`, then checks that the adapters and the use cases agree with them)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import mes
import mes.services
from mes import ports

CORE = Path(mes.__file__).parent
ANY = re.compile(r"\bAny\b")


def _names_any(node: ast.AST | None) -> bool:
    return node is not None and bool(ANY.search(ast.unparse(node)))


def test_ports_module_has_no_any():
    tree = ast.parse((CORE / "ports.py").read_text())
    used = [node.lineno for node in ast.walk(tree)
            if (isinstance(node, ast.Name) and node.id == "Any")
            or (isinstance(node, ast.Attribute) and node.attr == "Any")
            or (isinstance(node, ast.alias) and node.name == "Any")
            # type aliases written as strings (`PageKey: TypeAlias = "..."`)
            or (isinstance(node, ast.AnnAssign) and _names_any(node.value))]
    assert used == []


def _deps_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(mes.services.__path__):
        module = importlib.import_module(f"mes.services.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("Deps") and inspect.isclass(value) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_deps_class_is_typed_without_any():
    classes = _deps_classes()
    assert {c.__name__ for c in classes} >= {
        "AccessLogDeps", "AccountDeps", "ClosureDeps", "DocumentDeps", "ExportDeps", "MajorityDeps",
        "MessagingDeps", "ProDeps", "ProfileDeps", "WaveDeps"}
    untyped = []
    for cls in classes:
        annotations = {}
        for klass in reversed(cls.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        if dataclasses.is_dataclass(cls):
            annotations.update({f.name: f.type for f in dataclasses.fields(cls)})
        for name, member in vars(cls).items():  # Protocol members and properties
            function = member.fget if isinstance(member, property) else member
            if inspect.isfunction(function) and not name.startswith("__"):
                annotations[name] = inspect.signature(function).return_annotation
        untyped += [f"{cls.__name__}.{name}: {kind}" for name, kind in annotations.items()
                    if ANY.search(str(kind)) or kind is inspect.Signature.empty]
    assert untyped == []


def test_deps_ports_are_protocols_of_the_ports_module():
    """The dependencies that talk to the outside world are typed with the ports' Protocols."""
    from mes.services.documents import DocumentDeps
    from mes.services.exports import ExportDeps
    from mes.services.messaging import MessagingDeps
    from mes.services.professionals import ProDeps

    fields = {f"{c.__name__}.{f.name}": f.type for c in (DocumentDeps, ProDeps, MessagingDeps, ExportDeps)
              for f in dataclasses.fields(c)}
    expected = {
        "DocumentDeps.documents": "DocumentRepository", "DocumentDeps.store": "DocumentStore",
        "DocumentDeps.scanner": "MalwareScanner", "ProDeps.access": "AccessRepository",
        "ProDeps.documents": "DocumentRepository", "ProDeps.store": "DocumentStore",
        "MessagingDeps.messages": "MessageRepository", "MessagingDeps.copier": "AttachmentCopier",
        "ExportDeps.exports": "ExportRepository", "ExportDeps.store": "ExportStore",
        "ExportDeps.queue": "ExportQueue",
    }
    assert {name: fields[name] for name in expected} == expected
    for protocol in expected.values():
        assert getattr(ports, protocol)._is_protocol


def test_composition_root_signatures_have_no_any():
    tree = ast.parse((CORE / "bootstrap.py").read_text())
    container = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Container")
    problems = []
    for function in (n for n in container.body if isinstance(n, ast.FunctionDef)):
        if function.name != "__init__" and function.returns is None:
            problems.append(f"{function.name}: no return type")
        if _names_any(function.returns):
            problems.append(f"{function.name} -> {ast.unparse(function.returns)}")
        for arg in function.args.args + function.args.kwonlyargs:
            if _names_any(arg.annotation):
                problems.append(f"{function.name}({arg.arg}: {ast.unparse(arg.annotation)})")
    for node in ast.walk(tree):  # attribute annotations too (`self._clients: dict[...]`)
        if isinstance(node, ast.AnnAssign) and _names_any(node.annotation):
            problems.append(f"line {node.lineno}: {ast.unparse(node.annotation)}")
    assert problems == []
    assert len([n for n in container.body if isinstance(n, ast.FunctionDef)]) >= 31
