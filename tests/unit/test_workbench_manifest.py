"""The manifest's ``rooms[].workbench``: strict defaults, and errors naming file, line and path."""

from __future__ import annotations

import pytest

from dataroom.manifest import parse_manifest
from dataroom.spec.workbench import DEFAULT_INSTANCE_TYPE, Workbench, notebook_slug, package_name
from tests.conftest import TODAY
from tests.unit.test_manifest import _DELETE, errors_of, manifest_text


def test_absent_means_no_workbench() -> None:
    manifest = parse_manifest(manifest_text(**{"rooms.0.workbench": _DELETE}), today=TODAY)
    assert manifest.rooms[0].workbench is None


def test_defaults_are_the_strict_ones() -> None:
    workbench = Workbench(users=("jdoe",))
    assert workbench.instance_types == (DEFAULT_INSTANCE_TYPE,)
    assert workbench.default_instance_type == DEFAULT_INSTANCE_TYPE
    assert workbench.volume_size_gb == 20
    assert workbench.idle_stop_minutes == 60
    assert workbench.access_cidrs == ()  # a URL only through the room's own endpoint
    assert workbench.packages == ()  # the mirror fetches nothing
    assert workbench.s3_prefix_list_id is None


def test_example_workbench(example_manifest) -> None:
    workbench = example_manifest.rooms[0].workbench
    assert workbench is not None
    assert workbench.default_instance_type == "ml.t3.medium"
    assert "scikit-learn" in workbench.package_names
    assert "pandas<3,>=2.2" in workbench.constraints


def test_names_are_normalized() -> None:
    assert notebook_slug("Jane.Doe@example.com") == "jane-doe"
    assert package_name("Scikit_Learn>=1.5") == "scikit-learn"


W = "rooms.0.workbench"


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (
            {f"{W}.instance_type": "ml.p3.2xlarge"},
            "rooms[0].workbench.instance_type: 'ml.p3.2xlarge' is not in instance_types",
        ),
        (
            {f"{W}.instance_types": ["m5.xlarge"]},
            "rooms[0].workbench.instance_types[0]: 'm5.xlarge' is not a SageMaker notebook",
        ),
        ({f"{W}.instance_types": []}, "rooms[0].workbench.instance_types: "),
        ({f"{W}.volume_size_gb": 500}, "rooms[0].workbench.volume_size_gb: 500: "),
        ({f"{W}.volume_size_gb": 1}, "rooms[0].workbench.volume_size_gb: 1: "),
        ({f"{W}.idle_stop_minutes": 0}, "rooms[0].workbench.idle_stop_minutes: 0: "),
        ({f"{W}.idle_stop_minutes": 10000}, "rooms[0].workbench.idle_stop_minutes: 10000: "),
        ({f"{W}.users": []}, "rooms[0].workbench.users: "),
        ({f"{W}.users": ["Not A User"]}, "rooms[0].workbench.users[0]: 'Not A User' is not a user"),
        (
            {f"{W}.users": ["jane.doe@a.com", "jane.doe@b.com"]},
            "rooms[0].workbench.users: 'jane.doe@b.com' and 'jane.doe@a.com' would get the same",
        ),
        (
            {f"{W}.access_cidrs": ["0.0.0.0/0"]},
            "rooms[0].workbench.access_cidrs[0]: '0.0.0.0/0' is broader than /8",
        ),
        (
            {f"{W}.access_cidrs": ["10.0.0.1/24"]},
            "rooms[0].workbench.access_cidrs[0]: '10.0.0.1/24' is not an IPv4 CIDR block",
        ),
        (
            {f"{W}.packages": ["pandas @ https://evil.example/pandas.whl"]},
            "rooms[0].workbench.packages[0]: 'pandas @ https://evil.example/pandas.whl' names a URL",
        ),
        (
            {f"{W}.packages": ["pandas; python_version<'3.9'"]},
            "has an environment marker",
        ),
        ({f"{W}.packages": ["not a package!"]}, "is not a PyPI requirement"),
        (
            {f"{W}.packages": ["scikit_learn", "Scikit-Learn>=1"]},
            "'Scikit-Learn>=1' and 'scikit_learn' are the same package ('scikit-learn')",
        ),
        ({f"{W}.s3_prefix_list_id": "s3"}, "is not a managed prefix list id"),
        ({f"{W}.internet": True}, "rooms[0].workbench.internet: is not a known field"),
    ],
)
def test_bad_workbench_names_file_line_path_and_expectation(
    edits: dict[str, object], expected: str
) -> None:
    messages = errors_of(manifest_text(**edits))
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("rooms.yaml:") for m in messages), messages
