"""The manifest's YAML reader: one pass, lines for every field, the same with either parser."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from dataroom import manifest_yaml
from dataroom.manifest_yaml import ManifestYamlError, NumberText, read_yaml, shorten
from tests.manifest.cases import BASE

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(manifest_yaml, "Loader", request.param)
    return request.param  # type: ignore[no-any-return]


def test_data_equals_safe_load_and_every_field_has_its_line(loader: type) -> None:
    parsed = read_yaml(BASE)
    assert parsed.data == yaml.safe_load(BASE)
    assert parsed.lines[("rooms",)] == 20
    assert parsed.lines[("rooms", 0)] == 21
    assert parsed.lines[("rooms", 0, "principals")] == 29
    assert parsed.lines[("rooms", 0, "principals", 0)] == 29
    assert parsed.lines[("datasets", 1, "contains")] == 19
    # A path the file does not have falls back to its nearest ancestor.
    assert parsed.line(["rooms", 0, "monitoring", "trail_lock_days"]) == 21


def test_a_repeated_key_names_both_lines(loader: type) -> None:
    with pytest.raises(ManifestYamlError) as info:
        read_yaml("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n")
    assert (info.value.line, info.value.path) == (5, ("b", "c"))
    assert "on lines 3 and 5" in info.value.message


def test_numbers_not_written_in_plain_decimal_keep_their_spelling(loader: type) -> None:
    data = read_yaml("a: 022222222222\nb: 0x1f\nc: 12\nd: 0\ne: '012'\n").data
    assert isinstance(data["a"], NumberText) and data["a"].text == "022222222222"
    assert isinstance(data["b"], NumberText) and data["b"] == 31
    assert type(data["c"]) is int and type(data["d"]) is int and data["e"] == "012"


def test_impossible_dates_are_reported_at_their_line(loader: type) -> None:
    assert read_yaml("d: 2027-02-28\n").data == {"d": dt.date(2027, 2, 28)}
    with pytest.raises(ManifestYamlError, match="'2027-02-30' is not a real date") as info:
        read_yaml("a: 1\nd: 2027-02-30\n")
    assert (info.value.line, info.value.path) == (2, ("d",))


def test_aliases_share_their_value_and_spend_the_budget(loader: type) -> None:
    assert read_yaml("a: &x [1, 2]\nb: *x\n").data == {"a": [1, 2], "b": [1, 2]}
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 12)
    )
    # 10**12 values if expanded: the budget refuses it after about 2 * 10**6 (bench, not a test,
    # measures time).
    with pytest.raises(ManifestYamlError, match="alias bomb"):
        read_yaml(bomb)


def test_deep_nesting_stops_at_the_limit_without_recursion(loader: type) -> None:
    with pytest.raises(ManifestYamlError, match="nest"):
        read_yaml("a: " + "[" * 100_000 + "]" * 100_000 + "\n")


def test_shorten_bounds_any_value() -> None:
    assert shorten("x" * 10_000) == repr("x" * 60) + "…"
    assert len(shorten(["y" * 1000] * 1000)) <= 62
    assert len(shorten({"k": list(range(10_000))})) <= 62
    assert shorten("short") == "'short'"


def test_a_lone_surrogate_handed_to_the_api_is_a_manifest_error(loader: type) -> None:
    with pytest.raises(ManifestYamlError, match="not valid") as info:
        read_yaml("a: 1\nb: \ud800\n")
    assert info.value.line == 2
