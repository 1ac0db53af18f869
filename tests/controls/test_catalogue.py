"""The control catalogue: every control once, every control fact defined in one module only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from dataroom.baseline import BaselineError, load_baseline
from dataroom.controls import CONTROLS, STRIDE_THREATS, control
from dataroom.controls.identity import READ_ACTIONS
from dataroom.controls.monitoring import ALL_GUARDDUTY_FEATURES, FREQUENCIES
from dataroom.controls.network import INTERNET_PATH_TYPES, ROUTE_TARGETS
from dataroom.controls.storage import PUBLIC_ACCESS_FLAGS
from dataroom.policies.rules.catalog import RULES
from dataroom.review.threats import CONTROL_TITLES, STRIDE
from tests.conftest import ROOT

PACKAGE = ROOT / "dataroom"
DESIGN = Path("/work/shared/DESIGN.md")
#: Modules another issue is rewriting: issue 18 re-points dataroom/audit.py to the catalogue.
NOT_YET_POINTED = {"dataroom/audit.py"}


def _sources() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("dataroom/controls/") or relative in NOT_YET_POINTED:
            continue
        out.append((relative, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _literal_collections(tree: ast.Module) -> list[set[str]]:
    """The string members of every tuple, list, set and dict-key literal in a module."""
    found = []
    for node in ast.walk(tree):
        items: list[ast.expr | None] = []
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = list(node.keys)
        strings = {
            i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
        }
        if len(strings) >= 2:
            found.append(strings)
    return found


#: fact -> its members: no module outside the catalogue may spell two or more of them together.
FACTS: dict[str, set[str]] = {
    "internet-path resource types (NET-1)": set(INTERNET_PATH_TYPES),
    "route targets (NET-1)": set(ROUTE_TARGETS),
    "public access block flags (S3-3)": set(PUBLIC_ACCESS_FLAGS),
    "read-role actions (IAM-2)": set(READ_ACTIONS),
    "GuardDuty features (MON-3)": set(ALL_GUARDDUTY_FEATURES),
    "finding frequencies (MON-3)": set(FREQUENCIES),
}


#: How many members of a fact a literal must spell to be a copy of it. Two, except where other
#: facts legitimately share members (a bucket's action list names reads too): then all of them.
THRESHOLD = {"read-role actions (IAM-2)": len(READ_ACTIONS)}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_no_module_outside_the_catalogue_defines_a_control_fact(fact: str) -> None:
    members = FACTS[fact]
    offenders = [
        path
        for path, tree in _sources()
        for strings in _literal_collections(tree)
        if len(strings & members) >= THRESHOLD.get(fact, 2)
    ]
    assert not offenders, f"{fact} spelled outside dataroom/controls in {offenders}"


def test_the_duplicate_finder_finds_a_duplicate() -> None:
    tree = ast.parse('X = ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway")')
    assert any(len(s & FACTS["internet-path resource types (NET-1)"]) >= 2
               for s in _literal_collections(tree))  # fmt: skip


def test_every_control_of_the_design_is_in_the_catalogue() -> None:
    if not DESIGN.is_file():
        pytest.skip("DESIGN.md is not beside this checkout")
    ids = set(re.findall(r"\*\*([A-Z0-9]{2,3}-\d)\*\*", DESIGN.read_text(encoding="utf-8")))
    assert ids and ids <= set(CONTROLS)


def test_every_control_answers_known_threats_and_has_a_title() -> None:
    for entry in CONTROLS.values():
        assert entry.title
        assert set(entry.threats) <= set(STRIDE_THREATS), entry.id
    with pytest.raises(KeyError, match="NET-9"):
        control("NET-9")


def test_the_review_threat_map_agrees_with_the_catalogue() -> None:
    for threat, entries in STRIDE:
        for control_id, _, _ in entries:
            assert threat in CONTROLS[control_id].threats, (threat, control_id)
    assert all(CONTROL_TITLES[c] == CONTROLS[c].title for c in CONTROL_TITLES)


def test_every_rule_cites_a_catalogue_control() -> None:
    for rule in RULES:
        assert rule.control in CONTROLS, rule.rule_id


def test_a_partial_baseline_is_refused_naming_each_missing_field(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "examples" / "baseline.yaml").read_text())
    del data["allowed_regions"]
    del data["guardduty"]["features"]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(BaselineError) as error:
        load_baseline(path)
    assert "allowed_regions: missing" in str(error.value)
    assert "guardduty.features: missing" in str(error.value)
    assert str(path) in str(error.value)


def test_the_complete_example_baseline_loads() -> None:
    assert load_baseline(ROOT / "examples" / "baseline.yaml").allowed_regions


def test_one_naming_scheme_for_rule_files_and_ids() -> None:
    """``<control>_<topic>.py`` holds ``RULE`` with id ``<CONTROL><Topic>`` citing ``control``:
    ``net1_no_internet_path.py`` -> ``NET1NoInternetPath`` for NET-1."""
    import importlib
    import pkgutil

    import dataroom.policies.rules as package

    seen = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if rule is None:
            continue
        control, _, topic = info.name.partition("_")
        expected = control.upper() + "".join(w.capitalize() for w in topic.split("_"))
        assert rule.rule_id == expected, (info.name, rule.rule_id)
        assert rule.control.replace("-", "").lower() == control, (info.name, rule.control)
        seen.add(rule.rule_id)
    assert seen == {r.rule_id for r in RULES}, "a rule file is not registered in catalog.py"


def test_every_threat_row_holds_every_reported_control_that_answers_it() -> None:
    # The review's map is the catalogue's: perimeter, phase and lifecycle controls included.
    rows = {threat: {c for c, _, _ in entries} for threat, entries in STRIDE}
    assert {"PER-1", "PER-2", "PER-3", "PHS-1", "PHS-2"} <= rows["Information disclosure"]
    assert "LCY-1" in rows["Elevation of privilege"] and "LCY-2" in rows["Denial of service"]
    for control_id in CONTROL_TITLES:
        for threat in CONTROLS[control_id].threats:
            assert control_id in rows[threat], (threat, control_id)


def test_the_readme_rule_table_is_the_catalogue() -> None:
    # Every rule of the gate has a row, and the never-suppressible column says what the code does.
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| (\w+) \| [A-Z0-9, /()a-zA-Z:-]+ \| .* \|\s*(yes)?\s*\|$", line)
        if match and match.group(1) != "rule":
            rows[match.group(1)] = bool(match.group(2))
    assert set(rows) == {r.rule_id for r in RULES}
    assert {r for r, yes in rows.items() if yes} == {
        r.rule_id for r in RULES if r.never_suppressible
    }
