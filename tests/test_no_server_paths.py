"""No user-typed text reaches the file system: a static taint check of every page and UI module.

The sources are the values of Streamlit's free-text widgets (``text_input``, ``text_area``,
``chat_input``) and the session-state entries they are keyed by; taint follows assignments,
expressions built from a tainted value, arguments of the app's own functions (into their
parameters) and what those functions return. The sinks are file-system calls: ``Path``/``open``
and the ``os``/``shutil`` modules, path methods and readers (``read_*``, ``expanduser``,
``iterdir``...), the app's own file readers, a ``/`` join, and any ``*path``/``*file``/``folder``
keyword. The check must find the Import page's old "本地 OSM 文件路径" box (kept below).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"text_input", "text_area", "chat_input"}
SINK_CALLS = {
    "Path", "PurePath", "PosixPath", "open", "expanduser", "iterdir", "glob", "rglob", "is_file",
    "is_dir", "unlink", "rmdir", "mkdir", "touch", "samefile", "symlink_to", "hardlink_to",
    "read_text", "read_bytes", "write_text", "write_bytes", "read_csv", "read_excel", "read_file",
    "read_parquet", "read_json", "read_table", "read_fwf", "load_workbook", "venues_from_osm_file",
    "load_graphml", "FileProcessor", "SimpleReader", "listdir", "scandir", "walk", "connect",
    "load_network_file", "extract_path",
}
SINK_MODULES = {"os", "shutil", "pathlib", "tempfile", "glob", "sqlite3", "fiona", "pyogrio"}
#: Keywords that name a file or folder (``osm_file=``, ``path=``, ``folder=``...); a download's
#: ``file_name=`` is what the browser saves, not a server path.
SINK_KEYWORDS = ("path", "_file", "folder", "dir", "directory", "graphml")
#: The other side of a ``/`` that makes it a path join.
PATHISH = re.compile(r"Path\(|dir|folder|path|root|tmp", re.IGNORECASE)


def _name(func: ast.expr) -> str:
    """The called name: ``f`` of ``f(...)``, ``m`` of ``x.m(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _root(expr: ast.expr) -> str:
    while isinstance(expr, ast.Attribute | ast.Call | ast.Subscript):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else ""


@dataclass
class Taint:
    """What is tainted across the analysed modules, grown to a fixed point."""

    funcs: dict[str, list[ast.FunctionDef]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)  # session-state keys of free-text widgets
    params: set[tuple[int, str]] = field(default_factory=set)  # (id(function), parameter)
    returns: set[str] = field(default_factory=set)  # functions that return tainted values
    names: dict[int, set[str]] = field(default_factory=dict)  # scope id -> tainted names
    through_params: bool = False

    def is_source(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and _name(node.func) in SOURCES:
            return True
        if isinstance(node, ast.Call) and _name(node.func) in self.returns:
            return True
        if isinstance(node, ast.Subscript | ast.Call) and "session_state" in ast.unparse(node):
            text = ast.unparse(node)
            return any(repr(k) in text or f'"{k}"' in text for k in self.keys)
        return False

    def tainted(self, node: ast.AST, scope: set[str]) -> bool:
        """Whether ``node`` is built from a tainted value (a function made by ``lambda`` is not)."""
        todo = [node]
        while todo:
            sub = todo.pop()
            if isinstance(sub, ast.Lambda):
                continue
            if self.is_source(sub) or (isinstance(sub, ast.Name) and sub.id in scope):
                return True
            todo.extend(ast.iter_child_nodes(sub))
        return False


def _scopes(tree: ast.Module) -> list[ast.AST]:
    """The module and each function: the scopes whose names are tracked apart."""
    return [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]


def _walk(scope_node: ast.AST) -> list[ast.AST]:
    """The nodes of one scope, not those of the functions defined in it (lambdas included)."""
    out: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(scope_node))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _targets(stmt: ast.AST) -> list[ast.expr]:
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        return [stmt.target]
    if isinstance(stmt, ast.For | ast.comprehension):
        return [stmt.target]
    if isinstance(stmt, ast.withitem) and stmt.optional_vars is not None:
        return [stmt.optional_vars]
    return []


def _value(stmt: ast.AST) -> ast.AST | None:
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        return stmt.value
    if isinstance(stmt, ast.For | ast.comprehension):
        return stmt.iter
    if isinstance(stmt, ast.withitem):
        return stmt.context_expr
    return None


def _propagate(taint: Taint, trees: dict[str, ast.Module], *, through_params: bool) -> None:
    """Grow the taint until nothing changes.

    Without ``through_params`` only what a function returns from a source of its own marks it
    (its calls are then sources); with it, tainted arguments taint the parameters they are passed
    to (a call whose arguments are tainted is tainted anyway).
    """
    taint.through_params = through_params
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for scope_node in _scopes(tree):
                scope = taint.names.setdefault(id(scope_node), set())
                if isinstance(scope_node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for a in scope_node.args.args + scope_node.args.kwonlyargs:
                        if (id(scope_node), a.arg) in taint.params and a.arg not in scope:
                            scope.add(a.arg)
                            changed = True
                for node in _walk(scope_node):
                    changed |= _step(taint, node, scope, scope_node)


def _step(taint: Taint, node: ast.AST, scope: set[str], scope_node: ast.AST) -> bool:
    changed = False
    value = _value(node)
    if value is not None and taint.tainted(value, scope):
        for target in _targets(node):
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and n.id not in scope:
                    scope.add(n.id)
                    changed = True
    if isinstance(node, ast.Call):
        if _name(node.func) in SOURCES:
            for kw in node.keywords:
                key = kw.value.value if kw.arg == "key" and isinstance(kw.value, ast.Constant) else None
                if key is not None and str(key) not in taint.keys:
                    taint.keys.add(str(key))
                    changed = True
        for fn in taint.funcs.get(_name(node.func), []) if taint.through_params else []:
            names = [a.arg for a in fn.args.args]
            for i, arg in enumerate(node.args):
                if i < len(names) and taint.tainted(arg, scope) and (id(fn), names[i]) not in taint.params:
                    taint.params.add((id(fn), names[i]))
                    changed = True
            for kw in node.keywords:
                if kw.arg and taint.tainted(kw.value, scope) and (id(fn), kw.arg) not in taint.params:
                    taint.params.add((id(fn), kw.arg))
                    changed = True
    if (not taint.through_params and isinstance(node, ast.Return) and node.value is not None
            and isinstance(scope_node, ast.FunctionDef) and taint.tainted(node.value, scope)
            and scope_node.name not in taint.returns):
        taint.returns.add(scope_node.name)
        changed = True
    return changed


def _sink(node: ast.AST) -> str | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        pathish = PATHISH.search(ast.unparse(node.left)) or PATHISH.search(ast.unparse(node.right))
        return "a '/' path join" if pathish else None
    if not isinstance(node, ast.Call):
        return None
    name = _name(node.func)
    if name in SINK_CALLS or _root(node.func) in SINK_MODULES:
        return name
    return None


def findings(trees: dict[str, ast.Module]) -> list[str]:
    """Every place a free-text widget's value reaches a file-system call, as ``file:line: call``."""
    taint = Taint()
    for tree in trees.values():
        for n in ast.walk(tree):
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
                taint.funcs.setdefault(n.name, []).append(n)  # type: ignore[arg-type]
    _propagate(taint, trees, through_params=False)
    taint.names.clear()
    _propagate(taint, trees, through_params=True)
    out = []
    for fname, tree in trees.items():
        for scope_node in _scopes(tree):
            scope = taint.names.get(id(scope_node), set())
            for node in _walk(scope_node):
                what = _sink(node)
                if what is None:
                    continue
                assert isinstance(node, ast.Call | ast.BinOp)
                parts: list[ast.AST] = [node.left, node.right] if isinstance(node, ast.BinOp) else [
                    *node.args, *(kw.value for kw in node.keywords)]
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    parts.append(node.func.value)  # Path(x).read_text(): the receiver
                if any(taint.tainted(p, scope) for p in parts):
                    out.append(f"{fname}:{node.lineno}: {what}")
            for node in _walk(scope_node):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        named = kw.arg and kw.arg.lower().endswith(SINK_KEYWORDS)
                        if named and taint.tainted(kw.value, scope):
                            out.append(f"{fname}:{node.lineno}: {kw.arg}=")
    return sorted(set(out))


def app_sources() -> dict[str, ast.Module]:
    files = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py")),
             ROOT / "streamlit_app.py"]
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text(encoding="utf-8")) for p in files if p.exists()}


def test_no_text_input_reaches_the_file_system():
    trees = app_sources()
    assert len(trees) > 10 and any(k.startswith("pages/") for k in trees)
    assert findings(trees) == []


OLD_IMPORT_PAGE = '''
import streamlit as st
from pathlib import Path
def osm_venues(lang):
    osm_path = st.text_input(t("imp_osm_path", lang), key="imp_osm_path")
    if osm_path and st.button("find"):
        st.session_state["imp_venues"] = venues_from_osm_file(Path(osm_path).expanduser())
'''

VARIANTS = {
    "old": OLD_IMPORT_PAGE,
    "helper": '''
def ask(lang):
    return st.text_area("path").strip()
def load(p):
    return pd.read_csv(p)
def page(lang):
    where = ask(lang)
    load(f"{where}")
''',
    "session_state": '''
st.text_input("folder", key="dir_box")
folder = st.session_state.get("dir_box", "")
files = settings.OSM_DIR / folder
''',
    "keyword": '''
def page():
    name = st.text_input("file")
    build_network("鄞州区", osm_file=name)
''',
    "open": '''
with open(st.text_input("f")) as fh:
    fh.read()
''',
    "os": '''
x = st.text_input("f")
for entry in os.listdir(x.strip()):
    pass
''',
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_check_finds_a_typed_path(name):
    assert findings({name: ast.parse(VARIANTS[name])}), name


def test_the_check_ignores_text_that_stays_text():
    src = '''
def page(lang):
    name = st.text_input("layer name")
    save_user_layer(name, frame, note=f"from {name}")
    choice = st.selectbox("file", osm_files(settings.OSM_DIR))
    build_network("x", osm_file=settings.OSM_DIR / choice)
'''
    assert findings({"ok": ast.parse(src)}) == []


# --- the Import page's venue finder: the folder's extracts by name, or an upload -------------

VENUE_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="29.87" lon="121.55"><tag k="tourism" v="museum"/><tag k="name" v="宁波博物馆"/></node>
  <node id="2" lat="29.88" lon="121.56"><tag k="amenity" v="library"/><tag k="name" v="图书馆"/></node>
  <node id="3" lat="29.89" lon="121.57"><tag k="amenity" v="bench"/></node>
</osm>
"""


@pytest.fixture
def osm_folder(tmp_path, monkeypatch):
    from atlas import settings

    folder = tmp_path / "osm"
    folder.mkdir()
    (folder / "ningbo.osm").write_text(VENUE_OSM, encoding="utf-8")
    secret = tmp_path / "secret.osm"
    secret.write_text(VENUE_OSM, encoding="utf-8")
    (folder / "elsewhere.osm").symlink_to(secret)  # a link out of the folder is not offered
    (folder / "net.graphml").write_text("<graphml/>", encoding="utf-8")  # holds no venues
    monkeypatch.setattr(settings, "OSM_DIR", folder)
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path / "user"))
    return folder


def test_extract_path_takes_only_offered_names(osm_folder):
    from ui.osm_extracts import extract_path

    assert extract_path("ningbo.osm") == osm_folder / "ningbo.osm"
    for name in ("elsewhere.osm", "../secret.osm", str(osm_folder.parent / "secret.osm"), "/etc/passwd", ""):
        with pytest.raises(KeyError):
            extract_path(name)


def _import_page():
    from streamlit.testing.v1 import AppTest

    page = ROOT / "pages" / "5_导入_Import.py"
    return AppTest.from_file(str(page), default_timeout=120).run()


def test_the_venue_finder_offers_the_folder_and_finds_venues(osm_folder):
    at = _import_page()
    assert not at.exception
    assert not [w for w in at.text_input if "osm" in str(w.key)]  # no path box
    picker = at.selectbox(key="imp_osm_file")
    assert picker.options == ["ningbo.osm"]
    at.button(key="imp_osm_find").click().run()
    assert not at.exception and not at.error
    venues = at.session_state["imp_venues"]
    assert sorted(venues.name) == ["图书馆", "宁波博物馆"]
    assert at.session_state["imp_venues_src"] == "ningbo.osm"


def test_the_venue_finder_says_where_extracts_go_when_the_folder_is_empty(osm_folder, monkeypatch):
    from atlas import settings

    monkeypatch.setattr(settings, "OSM_DIR", osm_folder / "missing")
    at = _import_page()
    assert not at.exception
    assert not [w for w in at.selectbox if w.key == "imp_osm_file"]
    assert any("ATLAS_OSM_DIR" in i.value for i in at.info)


def test_the_venue_finder_takes_an_upload_and_leaves_no_copy(osm_folder):
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("*.osm"))
    at = _import_page()
    at.file_uploader(key="imp_osm_upload").set_value(("mine.osm", VENUE_OSM.encode(), "text/xml")).run()
    at.button(key="imp_osm_find_upload").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["imp_venues"]) == 2 and at.session_state["imp_venues_src"] == "mine.osm"
    assert set(Path(tempfile.gettempdir()).glob("*.osm")) == before
