"""Every write path checks the role: a static census of the engine's writers and the app's calls.

The engine writes the user store only inside ``store.transaction``. Each public function that
opens one is either a save a planner can ask for (:data:`SAVES`: it takes ``user=``) or named in
:data:`NOT_FROM_THE_APP` (a one-time migration, the administrator's ``atlas store copy``). The app
(``pages/``, ``ui/``, ``streamlit_app.py``) never opens a transaction itself, and every call of a
save passes ``user=`` from ``editor_name()`` (:func:`ui.auth.editor_name`, which refuses a viewer).
A new writer, or a new call that forgets the check, fails here.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Saves a planner can ask for in the app: (module, function).
SAVES = {("atlas.userlayers", "save_user_layer"), ("atlas.analysis.scenarios", "save_scenario"),
         ("atlas.analysis.scenarios", "save_scenarios"), ("atlas.plan.progress", "save_values")}

#: Writers the app never calls on a planner's behalf.
NOT_FROM_THE_APP = {("atlas.userlayers", "_ensure_migrated"),
                    ("atlas.analysis.scenarios", "_ensure_migrated"),
                    ("atlas.store.copying", "copy_store")}


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _callee(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _calls(node: ast.AST, name: str) -> list[ast.Call]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Call) and _callee(c) == name]


def test_every_engine_function_that_writes_the_store_is_known():
    found = set()
    for path in sorted((ROOT / "atlas").rglob("*.py")):
        if path.parent.name == "store" and path.name in ("__init__.py", "gpkg.py", "pg.py", "tables.py"):
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for fn in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if _calls(fn, "transaction"):
                found.add((module, fn.name))
    assert found == SAVES | NOT_FROM_THE_APP


@pytest.mark.parametrize(("module", "name"), sorted(SAVES))
def test_every_save_takes_the_user_it_records(module, name):
    import importlib

    params = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    assert params["user"].kind is inspect.Parameter.KEYWORD_ONLY


def _app_files() -> list[Path]:
    return [*sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py")),
            ROOT / "streamlit_app.py"]


def _checked_names(fn: ast.AST) -> set[str]:
    """Names assigned from ``editor_name()`` in a function (``user = auth.editor_name()``)."""
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and _callee(node.value) == "editor_name":
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_checked(value: ast.expr, checked: set[str]) -> bool:
    if isinstance(value, ast.Call):
        return _callee(value) == "editor_name"
    return isinstance(value, ast.Name) and value.id in checked


def test_the_app_saves_only_through_the_role_check():
    saves = {name for _, name in SAVES}
    seen = []
    for path in _app_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not _calls(tree, "transaction"), f"{path.name} opens a store transaction itself"
        scopes = [tree, *_functions(tree)]
        for scope in scopes:
            checked = _checked_names(scope)
            body_calls = [c for c in ast.walk(scope) if isinstance(c, ast.Call) and _callee(c) in saves]
            for call in body_calls:
                user = next((k.value for k in call.keywords if k.arg == "user"), None)
                where = f"{path.name}:{call.lineno}"
                assert user is not None and _is_checked(user, checked), \
                    f"{where}: a save without user=editor_name()"
                seen.append(where)
    assert len(seen) >= 5  # the Import page (3), the venue finder, scenarios, indicator values
