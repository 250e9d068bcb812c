"""The README's environment table names exactly the variables ``smspanel/settings.py`` reads."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _is_env(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "env"


def _is_os(node: ast.AST, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _reads(node: ast.AST) -> bool:
    """``env`` or ``os.environ``: what a variable's name is looked up in."""
    return _is_env(node) or _is_os(node, "environ")


def _name(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def variables_read(source: str) -> set[str]:
    """Names read by ``env(…)``, ``env.<cast>(…)``, ``"X" in env``, ``os.environ``, ``getenv``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            method = isinstance(func, ast.Attribute) and _reads(func.value)
            if _is_env(func) or method or _is_os(func, "getenv"):
                name = _name(node.args[0])
        elif isinstance(node, ast.Subscript) and _reads(node.value):
            name = _name(node.slice)
        elif isinstance(node, ast.Compare) and any(_reads(c) for c in node.comparators):
            name = _name(node.left)
        if name:
            found.add(name)
    return found


def variables_documented(readme: str) -> set[str]:
    """Backticked names in the first column of the table under "## Configuration"."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    first_cells = [row.split("|")[1] for row in rows[2:]]  # past the header and its rule
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def test_the_parser_sees_each_way_of_reading_the_environment():
    source = (
        "import os\n"
        'A = env("A")\nB = env.int("B", default=1)\nC = env.db("C")\n'
        'if "D" in env:\n    pass\nE = os.environ["E"]\nF = os.environ.get("F")\n'
        'G = os.getenv("G")\nH = env.str("H") if "I" in os.environ else None\n'
        'environ.Env.read_env(BASE_DIR / ".env")\nx = {"J": 1}.get("J")\n'
    )
    assert variables_read(source) == set("ABCDEFGHI")


def test_the_readme_table_lists_exactly_the_variables_settings_read():
    read = variables_read((ROOT / "smspanel" / "settings.py").read_text())
    documented = variables_documented((ROOT / "README.md").read_text())
    assert read, "no environment variables found in smspanel/settings.py"
    assert sorted(read - documented) == [], "read by settings, missing from the README table"
    assert sorted(documented - read) == [], "in the README table, not read by settings"
