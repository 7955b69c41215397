"""``datapackage.json`` passes ``frictionless validate`` (types, keys, code lists), and catches a bad code."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import frictionless
import pytest

from tests.workers.exports.test_writers import DATA, META, source
from workers.exports import BundleOptions, build_bundle


def _extract(tmp_path: Path, options: BundleOptions | None = None, data: dict | None = None) -> Path:
    result = build_bundle(rows=source(data or DATA), meta=META, out_dir=tmp_path / "out", options=options)
    target = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(target)
    return target / "datapackage.json"


@pytest.mark.parametrize("bom", [False, True])
def test_frictionless_validate_passes(tmp_path: Path, bom: bool) -> None:
    path = _extract(tmp_path, BundleOptions(bom=bom))
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads(path.read_text())
    episodes = next(r for r in descriptor["resources"] if r["name"] == "episodes")
    fields = {f["name"]: f for f in episodes["schema"]["fields"]}
    assert episodes["schema"]["primaryKey"] == ["participant_code", "episode_no"]
    assert episodes["schema"]["foreignKeys"][0]["reference"]["resource"] == "participants"
    assert fields["kind"]["constraints"]["enum"][0] == "job"
    assert fields["start_month"]["type"] == "integer"
    assert fields["ongoing"]["type"] == "boolean"
    sts = next(r for r in descriptor["resources"] if r["name"] == "sequences_sts")
    assert [f["name"] for f in sts["schema"]["fields"]][-1] == "m005"


def test_frictionless_catches_code_outside_its_list(tmp_path: Path) -> None:
    data = {**DATA, "transitions": [{**DATA["transitions"][0], "kind": "teleported"}]}
    report = frictionless.validate(str(_extract(tmp_path, data=data)))
    assert not report.valid
    assert any(e[0] == "constraint-error" for e in report.flatten(["type"]))


def test_frictionless_catches_orphan_rows(tmp_path: Path) -> None:
    data = {**DATA, "transitions": [{**DATA["transitions"][0], "participant_code": "TI-9999"}]}
    report = frictionless.validate(str(_extract(tmp_path, data=data)))
    assert not report.valid
    assert any(e[0] == "foreign-key" for e in report.flatten(["type"]))


def test_two_managers_of_one_firm(tmp_path: Path) -> None:
    second = {**DATA["firms"][0], "participant_code": "TI-0002"}
    data = {**DATA, "firms": [DATA["firms"][0], second]}
    report = frictionless.validate(str(_extract(tmp_path, data=data)))
    assert report.valid, report.flatten(["type", "note"])
