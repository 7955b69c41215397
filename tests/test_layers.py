"""The layers of docs/development.md hold: the import-linter contracts of pyproject.toml pass on the tree, and
break when one upward import is added to the tree's real import graph (so the contracts can fail)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import read_user_options
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
configuration.configure()
OPTIONS = read_user_options(str(ROOT / "pyproject.toml"))
CONTRACTS: dict[str, dict[str, Any]] = {c["id"]: c for c in OPTIONS.contracts_options}
KINDS = {"layers": LayersContract, "forbidden": ForbiddenContract}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*OPTIONS.session_options["root_packages"], include_external_packages=True,
                             cache_dir=None)


def kept(graph: grimp.ImportGraph, contract_id: str) -> bool:
    options = CONTRACTS[contract_id]
    contract = KINDS[options["type"]](name=options["name"], session_options=OPTIONS.session_options,
                                      contract_options=options)
    return bool(contract.check(copy.deepcopy(graph), verbose=False).kept)


def test_the_tree_keeps_every_contract(graph: grimp.ImportGraph) -> None:
    assert sorted(CONTRACTS) == ["layers", "pure-core"]
    assert [cid for cid in CONTRACTS if not kept(graph, cid)] == []


@pytest.mark.parametrize(("importer", "imported", "broken"), [
    # a web area reaching into the Celery runtime (only workers.jobs, the enqueue API, is below the areas)
    ("webapp.schedule.services", "workers.tasks.schedule", {"layers"}),
    ("webapp.exports.services", "workers.celery_app", {"layers"}),
    # the pure core reading the database or a web module
    ("workers.records.build", "webapp.models", {"layers", "pure-core"}),
    ("workers.exports.bundle", "sqlmodel", {"pure-core"}),
    ("workers.records.episodes", "flask", {"pure-core"}),
    # instruments is the lowest layer; the records pipeline sits below the export writers
    ("instruments.engine", "workers.records", {"layers"}),
    ("workers.records.build", "workers.exports.tabular", {"layers"}),
    # models below services, services below areas, the runtime's store below its tasks
    ("webapp.models.study", "webapp.services.studies", {"layers"}),
    ("webapp.services.responses", "webapp.participate.services", {"layers"}),
    ("workers.store.records", "workers.tasks.records", {"layers"}),
    # two areas of one layer are independent of each other
    ("webapp.research.services.profile", "webapp.schedule.services", {"layers"}),
])
def test_one_upward_import_breaks_a_contract(graph: grimp.ImportGraph, importer: str, imported: str,
                                             broken: set[str]) -> None:
    assert importer in graph.modules  # a renamed module must not turn the case into one that cannot fail
    assert imported in graph.modules
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    assert {cid for cid in CONTRACTS if not kept(changed, cid)} == broken


@pytest.mark.parametrize(("importer", "imported"), [
    ("webapp.schedule.services", "workers.jobs"),  # the documented enqueue API
    ("workers.tasks.exports", "webapp.exports.services"),  # the runtime calls the areas' services
    ("webapp.exports.services", "workers.exports.tabular"),  # the web side hands rows to the writers
    ("workers.exports.bundle", "instruments.contract"),
])
def test_a_downward_import_keeps_the_contracts(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    assert all(kept(changed, cid) for cid in CONTRACTS)
