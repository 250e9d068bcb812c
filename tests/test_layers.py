"""The apps import downwards only, no module imports itself through others, and the
doors that take outside requests reach the models only through service functions.

Every import counts, a function-level one too: a cycle hidden inside a
function is still a cycle a newcomer has to untangle.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each app and the apps it may import (STYLE: apps as rooms, importing downwards).
MAY_IMPORT = {
    "lib": set(),
    "accounts": {"lib"},
    "messaging": {"accounts", "lib"},
    "gateways": {"messaging", "accounts", "lib"},
    "mailbridge": {"messaging", "accounts", "lib"},
    "contacts": {"messaging", "accounts", "lib"},
    "panel": {"contacts", "gateways", "mailbridge", "messaging", "accounts", "lib"},
    # The project package (settings, root URLconf, WSGI): the house; no app imports it.
    "smspanel": {"panel", "contacts", "gateways", "mailbridge", "messaging", "accounts", "lib"},
}
# The single exception, named in the README's Layout: a send's sender may be
# one of the service's own GSM ports, which the gateways app keeps.
UPWARD_EXCEPTIONS = {("messaging.services", "gateways.models")}
# The doors: the modules that take requests from outside (the HTTP API, the
# SMSC-compatible API, the mail bridge's SMTP listener and pages). They parse,
# call service functions and answer; the ORM is the services' (STYLE: thin
# edges), so a door imports no models module, its own app's included. The
# values a door names (a status, a send's source, a service's state) live in
# messaging.choices and accounts.choices.
DOORS = (
    "messaging.api",
    "messaging.smsc",
    "mailbridge.smtp",
    "mailbridge.views",
    "mailbridge.urls",
)
# (door, models module) pairs a door may still import, each with its reason in a
# comment; none today.
DOOR_EXCEPTIONS: set[tuple[str, str]] = set()


def modules():
    found = {}
    for app in MAY_IMPORT:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Dotted names ``name`` imports anywhere in its source (module or ``module.attr``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            targets.add(module)
            targets |= {f"{module}.{alias.name}" for alias in node.names}
    return targets


def graph():
    found = modules()
    return {
        name: {t for t in imports(name, path) if t in found and t != name}
        for name, path in found.items()
    }


def test_apps_import_only_the_apps_below_them():
    wrong = []
    for name, targets in graph().items():
        app = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            allowed = other == app or other in MAY_IMPORT[app]
            if not allowed and (name, target) not in UPWARD_EXCEPTIONS:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_named_upward_import_is_still_needed():
    edges = graph()
    for name, target in UPWARD_EXCEPTIONS:
        assert target in edges[name], f"{name} no longer imports {target}: drop the exception"


def is_door(name: str) -> bool:
    return any(name == door or name.startswith(door + ".") for door in DOORS)


def door_imports_of_models(edges) -> list[str]:
    """A door's imports of a models module (``accounts.models``, ``messaging.models``…)."""
    return sorted(
        f"{name} imports {target}"
        for name, targets in edges.items()
        if is_door(name)
        for target in targets
        if "models" in target.split(".")[1:] and (name, target) not in DOOR_EXCEPTIONS
    )


def test_the_door_check_finds_a_models_import():
    edges = {
        "messaging.smsc.views": {"messaging.services", "accounts.models"},
        "messaging.services": {"messaging.models"},
    }
    assert door_imports_of_models(edges) == ["messaging.smsc.views imports accounts.models"]


def test_every_door_is_a_module():
    found = modules()
    for door in DOORS:
        assert any(name == door or name.startswith(door + ".") for name in found), door


def test_doors_reach_models_only_through_services():
    assert door_imports_of_models(graph()) == [], (
        "call a service function, or name the value in a module of its own"
    )


def test_the_named_door_exceptions_are_still_needed():
    edges = graph()
    for name, target in DOOR_EXCEPTIONS:
        assert target in edges[name], f"{name} no longer imports {target}: drop the exception"


def cycles(edges):
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(graph()) == []
