"""The dependency rules between the apps (docs/architecture.md), checked on the source itself.

Reads every module of the apps with `ast` (nothing is imported), so the rules hold for code
that no test happens to run.
"""

import ast
import pathlib
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ("core", "campaign", "donations", "supporters")

# What each app may import from the others. A module listed for an app may be imported whole
# or by name; `None` means any name of it. Anything else of another app is off limits.
ALLOWED = {
    "core": {},
    "campaign": {"core": None},
    "donations": {
        "core": None,
        # Donations knows one thing of supporters: who a supporter is, found by address.
        "supporters.models": {"Supporter"},
        "supporters.services": {"supporter_get_or_create"},
    },
    "supporters": {
        "core": None,
        # The donations app's public face: its models (for the admin and type hints), its
        # reads and writes, its events, its answer when Mollie is down, its session note.
        "donations.models": None,
        "donations.selectors": None,
        "donations.services": None,
        "donations.events": None,
        "donations.exceptions": None,
        "donations.http": None,
        "donations.session": None,
    },
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (or the module a name is imported from)
    names: tuple[str, ...]  # the names imported from `target`; () for `import target`
    line: int
    local: bool  # inside a function
    in_ready: bool  # inside an AppConfig.ready method


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, pathlib.Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


MODULES = app_modules()


def imports_of(name: str, path: pathlib.Path) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, local: bool, in_ready: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, True, in_ready or child.name == "ready")
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(name, alias.name, (), child.lineno, local, in_ready))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module
                names = tuple(alias.name for alias in child.names)
                found.append(Import(name, target, names, child.lineno, local, in_ready))
            visit(child, local, in_ready)

    visit(tree, False, False)
    return found


def split_modules(imp: Import) -> list[Import]:
    """`from donations import selectors` imports the module donations.selectors: say so."""
    if not imp.names:
        return [imp]
    modules = [n for n in imp.names if f"{imp.target}.{n}" in MODULES]
    rest = tuple(n for n in imp.names if n not in modules)
    parts = [Import(**{**vars(imp), "target": f"{imp.target}.{n}", "names": ()}) for n in modules]
    return parts + ([Import(**{**vars(imp), "names": rest})] if rest else [])


IMPORTS = [
    part
    for name, path in MODULES.items()
    for imp in imports_of(name, path)
    for part in split_modules(imp)
]


def app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def edges() -> dict[str, set[str]]:
    """Module → the app modules it imports at import time (not inside functions)."""
    graph = {name: set() for name in MODULES}
    for imp in IMPORTS:
        if imp.local or app_of(imp.target) is None:
            continue
        if imp.target in MODULES and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    return graph


def test_the_rules_see_the_code():
    """A walker that found nothing would pass every rule below."""
    assert {"core.outbox", "donations.events", "supporters.receivers"} <= set(MODULES)
    assert any(
        i.module == "supporters.receivers" and i.target == "donations.events" for i in IMPORTS
    )
    assert len(IMPORTS) > 200


@pytest.mark.parametrize("app", APPS)
def test_each_app_imports_only_what_it_may_of_the_others(app):
    broken = []
    for imp in IMPORTS:
        target_app = app_of(imp.target)
        if app_of(imp.module) != app or target_app in (None, app):
            continue
        allowed = ALLOWED[app]
        rule = next(
            (allowed[m] for m in allowed if imp.target == m or imp.target.startswith(m + ".")),
            False,
        )
        if rule is False or (rule is not None and not set(imp.names) <= rule):
            broken.append(f"{imp.module}:{imp.line} imports {imp.target} {imp.names or ''}")
    assert broken == []


def test_no_import_cycle_between_modules():
    graph = edges()
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert cycles == []


def test_no_import_of_an_app_module_inside_a_function():
    """Except AppConfig.ready, where Django wants signal receivers connected."""
    hidden = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if imp.local and app_of(imp.target) and not imp.in_ready
    ]
    assert hidden == []


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{imp.module}:{imp.line} imports {name} from {imp.target}"
        for imp in IMPORTS
        if app_of(imp.target)
        for name in imp.names
        if name.startswith("_")
    ]
    assert private == []


def test_one_writer_for_the_fields_two_paths_could_write():
    """`next_payment_date` is written where Mollie's view is applied and in
    donations/services/subscriptions.py only, and a gift's Mollie customer id only by the
    donations services that make and erase it (see the comments there)."""
    writers = {
        "next_payment_date": {
            "donations/services/subscriptions.py",
            "donations/services/changes.py",
        },
        "mollie_customer_id": {"donations/services/start.py", "donations/services/privacy.py"},
        "first_gift_at": {"donations/services/sync.py"},
    }
    for field, allowed in writers.items():
        found = {
            str(path.relative_to(ROOT))
            for path in MODULES.values()
            if any(writes(node, field) for node in ast.walk(ast.parse(path.read_text())))
        }
        assert found == allowed, field


WRITERS = {"create", "update", "update_or_create", "get_or_create", "bulk_create"}


def writes(node: ast.AST, field: str) -> bool:
    """`x.field = ...`, or `field=...` given to a create or update, or to a model's constructor."""
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Attribute) and t.attr == field for t in targets)
    if isinstance(node, ast.Call) and any(k.arg == field for k in node.keywords):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return called in WRITERS or (called[:1].isupper() and called != "Q")
    return False


def test_the_sandbox_stands_alone():
    """The Mollie sandbox runs with the standard library only: no Django, no app of ours."""
    foreign = []
    for path in (ROOT / "mollie_sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            foreign += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] in (*APPS, "django", "mollie", "requests", "config")
            ]
    assert foreign == []
