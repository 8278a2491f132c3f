"""The shape of the code, checked: imports point one way, and jobs are named, not imported.

    tasks → services → counts / queries → models → core

Every import counts, also one inside a function (that is how the old services reached their tasks and made six
import cycles). `tasks.py` is imported by the scheduler (participation/schedule.py) alone; the worker reaches the
job functions by the dotted paths of the job registry (core/jobs.py)."""

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import participation
from participation.core import jobs

ROOT = Path(participation.__file__).resolve().parent
CHANNELS = {"accounts", "petitions", "proposals", "polls", "forums", "surveys", "budgets", "indicators"}
# What core may import of the parts above it: the user model (who acted, who is told).
CORE_MAY_IMPORT = {"participation.accounts.models"}
# Who may import a channel's tasks module: the scheduler, which gathers PERIODIC and RECOUNTS.
TASK_IMPORTERS = {"participation.schedule"}
# What each kind of module of a channel must not import, of any channel (its own or another's).
FORBIDDEN = {
    "models": {"counts", "queries", "services", "forms", "views", "api", "tasks", "demo"},
    "counts": {"services", "forms", "views", "api", "tasks", "demo"},
    "queries": {"services", "forms", "views", "api", "tasks", "demo"},
    "services": {"forms", "views", "api", "tasks", "demo"},
}
# A channel's services may be more than one module (proposals: discussion, moderation; surveys: the builder,
# answering, population frames); each follows the services' rule.
for _services in ("discussion", "moderation", "building", "answering", "frames"):
    FORBIDDEN[_services] = FORBIDDEN["services"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def imports(path: Path, known: set[str]) -> set[str]:
    """The participation modules a file imports, anywhere in it (`from a.b import c` imports a.b.c if that is
    a module, else a.b)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            candidates = [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {name for name in candidates if name in known} or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, set(known)) - {name} for name, path in known.items()}


def kind(name: str) -> tuple[str | None, str | None]:
    """(channel, kind) of a module: ("polls", "services") for participation.polls.services."""
    parts = name.split(".")
    if len(parts) == 3 and parts[1] in CHANNELS:
        return parts[1], parts[2]
    return None, None


def test_no_import_cycle():
    edges = graph()
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_only_the_scheduler_imports_tasks():
    importers = {(source, target) for source, targets in graph().items() for target in targets
                 if kind(target)[1] == "tasks"}
    allowed = {(source, target) for source, target in importers if source in TASK_IMPORTERS}
    assert importers - allowed == set()


def test_imports_point_one_way():
    wrong = []
    for source, targets in graph().items():
        _, source_kind = kind(source)
        for target in targets:
            _, target_kind = kind(target)
            if target_kind in FORBIDDEN.get(source_kind, ()):
                wrong.append(f"{source} imports {target}")
            if source.startswith("participation.core.") and kind(target)[0] is not None \
                    and target not in CORE_MAY_IMPORT:
                wrong.append(f"{source} (core) imports a channel: {target}")
    assert sorted(wrong) == []


def test_every_job_is_named_and_every_name_is_a_job():
    for name in sorted(modules()):
        importlib.import_module(name)
    for job in jobs.JOBS.values():
        module, _, function = job.function.rpartition(".")
        assert module.endswith(".tasks") or module == "participation.core.mail", job
        assert callable(getattr(importlib.import_module(module), function)), job
    scheduled = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("schedule", "is_pending") \
                    and getattr(node.func.value, "id", None) == "jobs":
                assert isinstance(node.args[0], ast.Constant), f"{path}: a job is scheduled by a literal name"
                scheduled.add(node.args[0].value)
    assert scheduled - set(jobs.JOBS) == set()
    assert set(jobs.JOBS) - scheduled == set(), "a registered job that nothing schedules"


def test_no_module_types_a_job_key():
    """Keys belong to the registry: nothing else writes "recount:poll:{…}" or calls the enqueue functions."""
    for name in sorted(modules()):
        importlib.import_module(name)
    typed = re.compile("|".join(rf"""f["']{re.escape(name)}:""" for name in jobs.JOBS))
    offenders = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if name != "participation.core.jobs" and (typed.search(text) or "enqueue_debounced(" in text
                                                  or "enqueue_after_commit(" in text):
            offenders.append(name)
    assert offenders == []


def test_every_channel_module_is_importable_alone():
    for info in pkgutil.walk_packages(participation.__path__, "participation."):
        importlib.import_module(info.name)
