"""The rules of docs/architecture.md that the import contracts (pyproject.toml, `make lint`)
cannot express, checked on the source itself (read with `ast`, nothing imported, so they hold
for code no test runs) and on Django's registry of models.
"""

import ast
import pathlib
import tomllib
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ("core", "campaign", "supporters", "donations", "supporter_area")
# The layers, lowest first: an app may refer to its own layer and the ones below.
LAYERS = {"core": 0, "campaign": 1, "supporters": 1, "donations": 2, "supporter_area": 3}


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


def test_the_rules_see_the_code():
    """A walker that found nothing would pass every rule below."""
    assert {"core.outbox", "donations.events", "supporter_area.receivers"} <= set(MODULES)
    assert any(
        i.module == "supporter_area.receivers" and i.target == "donations.events" for i in IMPORTS
    )
    assert len(IMPORTS) > 200


@pytest.mark.django_db
def test_model_references_go_down_the_layers_only():
    """A foreign key, one-to-one, many-to-many or generic relation of an app's model points at
    its own app or one below: no model makes the apps a cycle (imports are the contracts')."""
    from django.apps import apps

    upward = [
        f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}"
        for model in apps.get_models()
        if model._meta.app_label in LAYERS
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and field.related_model is not None
        and field.related_model._meta.app_label in LAYERS
        and LAYERS[field.related_model._meta.app_label] > LAYERS[model._meta.app_label]
    ]
    assert upward == []


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
    """`next_payment_date` is written where Mollie's view is applied, where the subscription is
    made and where a charge moves it on; a gift's Mollie customer id only by the donations
    services that make and erase it; a donor's first gift in one helper, which payments synced
    from Mollie and gifts recorded outside it both call (see the comments there)."""
    writers = {
        "next_payment_date": {
            "donations/services/subscriptions.py",
            "donations/services/changes.py",
            "donations/services/charges.py",
        },
        "mollie_customer_id": {"donations/services/start.py", "donations/services/privacy.py"},
        "first_gift_at": {"donations/services/common.py"},
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
    """`x.field = ...`, `changes["field"] = ...`, `update_where(..., {"field": ...})`, or
    `field=...` given to a create or update, or to a model's constructor."""
    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            (isinstance(t, ast.Attribute) and t.attr == field)
            or (isinstance(t, ast.Subscript) and _is_name(t.slice, field))
            for t in targets
        )
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "update_where":
        return any(
            isinstance(arg, ast.Dict) and any(_is_name(key, field) for key in arg.keys if key)
            for arg in node.args[3:]  # the new values (the third is what is expected)
        )
    if isinstance(node, ast.Call) and any(k.arg == field for k in node.keywords):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return called in WRITERS or (called[:1].isupper() and called != "Q")
    return False


def _is_name(node: ast.AST, field: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == field


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


def contract(name_start: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(name_start))


def test_the_area_contract_lists_every_service_module():
    """The supporter area calls the donations services through `donations.services` only: a
    service module added later is barred from it too, not forgotten by the contract."""
    barred = set(contract("The supporter area uses")["forbidden_modules"])
    modules = {name for name in MODULES if name.startswith("donations.services.")} | {
        name for name in MODULES if name.startswith("donations.gateway")
    }
    assert modules - {"donations.gateway.objects"} <= barred


def test_audit_rows_are_written_in_one_place():
    """Every audit row goes through core.audit.audit_record (the services' helpers call it):
    nothing else creates an AuditEvent."""
    elsewhere = []
    for name, path in MODULES.items():
        if name == "core.audit":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            text = ast.unparse(node.func)
            if text == "AuditEvent" or (
                text.startswith("AuditEvent.objects.") and text.rpartition(".")[2] in WRITERS
            ):
                elsewhere.append(f"{name}:{node.lineno} {text}")
    assert elsewhere == []
