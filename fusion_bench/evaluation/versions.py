"""The code version of a result: the last commit that changed the code which computes it.

A row fused by method M and scored by our metrics depends on M's module and the package modules it imports
(transitively), on the metrics package, on image reading and on the evaluation worker and the evaluation
loop's item loader with what they import (the storage protocol, `fusion_bench.data.sample`'s
`FusionDataset`); a published output scored here depends on all of that but M. Keying each row on the last
commit touching exactly those files means that a commit to one method, to the runner and the rest of the
Lightning loop, the results store and schema (`fusion_bench.results`, which holds what rows say, not how
they are computed), the leaderboard or the docs does not invalidate the results of everything else, while
any change to the code that produced a row does.

The import graph is read from the source (`ast`), following `import fusion_bench...` and
`from fusion_bench... import ...` statements anywhere in a module (including imports inside functions),
but not parent packages' `__init__` modules, which only register and re-export. Packages that import their
members by name at run time (`fusion_bench.metrics` loads its families with `importlib`) are included as
whole directories. Uncommitted changes are not seen: commit before a run whose results you keep. Outside a
git checkout the version is the package version alone.
"""

from __future__ import annotations

import ast
import functools
import subprocess
from pathlib import Path

from fusion_bench import __version__

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_PACKAGE = "fusion_bench"

# Code every scored row depends on, beside the method: directories whole, modules with their imports.
SCORING_DIRECTORIES: tuple[str, ...] = ("metrics", "io")
# The loop's item loader is here because it reads the sources that are fused and scored (`FusionDataset`).
SCORING_MODULES: tuple[str, ...] = ("fusion_bench.evaluation.worker", "fusion_bench.evaluation.items")


def module_file(name: str) -> Path | None:
    """The source file of a `fusion_bench` module or package (its `__init__.py`), or None."""
    parts = name.split(".")
    if parts[0] != _PACKAGE:
        return None
    path = _PACKAGE_DIR.joinpath(*parts[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _package_of(name: str, file: Path) -> str:
    return name if file.name == "__init__.py" else name.rpartition(".")[0]


def imported_modules(name: str) -> set[str]:
    """`fusion_bench` modules that module `name` imports directly (absolute and relative imports)."""
    file = module_file(name)
    if file is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), filename=str(file))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(name, file).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
    return {module for module in found if module.split(".")[0] == _PACKAGE and module_file(module) is not None}


@functools.cache
def module_closure(names: tuple[str, ...]) -> frozenset[Path]:
    """Source files of the modules `names` and of every `fusion_bench` module they import, transitively
    (read once per process: planning asks for it once per method and dataset)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or module_file(name) is None:
            continue
        seen.add(name)
        todo.extend(imported_modules(name) - seen)
    return frozenset(file for file in (module_file(name) for name in seen) if file is not None)


@functools.cache
def _last_commit(paths: tuple[str, ...]) -> str:
    try:
        return subprocess.run(["git", "log", "-1", "--format=%h", "--", *paths], cwd=_PACKAGE_DIR,
                              capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def code_version(modules: tuple[str, ...] = (), directories: tuple[str, ...] = SCORING_DIRECTORIES) -> str:
    """`<package version>+g<commit>`: the last commit that changed `modules` (with their imports, plus
    `SCORING_MODULES`) or the package `directories` (relative to the package)."""
    files = module_closure(tuple(modules) + SCORING_MODULES)
    paths = sorted({str(file.relative_to(_PACKAGE_DIR)) for file in files} | set(directories))
    commit = _last_commit(tuple(paths))
    return f"{__version__}+g{commit}" if commit else __version__


def method_code_version(method: str) -> str:
    """Code version of rows fused by the registered `method` and scored here."""
    from fusion_bench.models.registry import method_module

    return code_version((method_module(method),))


def scoring_code_version() -> str:
    """Code version of rows that only score existing images (published outputs)."""
    return code_version()
