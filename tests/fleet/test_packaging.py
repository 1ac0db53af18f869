"""A library a team can install: version, help, license, changelog, typing, a usable wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import dataroom
from dataroom.baseline import DEFAULT_BASELINE, load_baseline
from dataroom.cli import main
from tests.conftest import EXAMPLE, ROOT


def test_version_and_help_list_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"dataroom {dataroom.__version__}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == dataroom.__version__
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    commands = ("validate", "summary", "review", "audit", "workbench", "rooms", "unfreeze")
    for command in (*commands, "retire", "export", "deploy-plan"):
        assert re.search(rf"^ +{re.escape(command)}\b", text, re.M), f"no {command} in --help"
    assert "docs/controls.md" in text


def test_license_changelog_and_typing_ship() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert f"## [{dataroom.__version__}]" in (ROOT / "CHANGELOG.md").read_text()
    assert (ROOT / "dataroom" / "py.typed").exists()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["dataroom"]


def test_default_baseline_is_package_data_equal_to_the_example() -> None:
    packaged = Path(DEFAULT_BASELINE)
    assert packaged.is_relative_to(Path(dataroom.__file__).parent)
    assert packaged.read_text() == (ROOT / "examples" / "baseline.yaml").read_text()
    assert load_baseline().log_retention_days == 365


def test_the_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    # Build from a clean copy of the tracked tree, as a release would.
    source = tmp_path / "src"
    top_level = {".venv", "node_modules", "review", ".git", "build", "tests", "bench"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in ("__pycache__", ".mypy_cache", ".ruff_cache")}
        skipped |= {n for n in names if n.endswith(".egg-info") or n.startswith("cdk.out")}
        if Path(directory) == ROOT:
            skipped |= top_level & set(names)
        return skipped

    shutil.copytree(ROOT, source, ignore=ignore)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("dataroom-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EXAMPLE, elsewhere / "rooms.yaml")
    # The installed wheel first; its dependencies come from this interpreter's site-packages.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from dataroom.cli import main; sys.exit(main())",
                *args,
            ],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import dataroom, dataroom.baseline as b; print(dataroom.__file__); "
            "print(b.load_baseline().source)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(target)), where
    assert where[1].startswith(str(target)), "the default baseline must come from the package"
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"dataroom {dataroom.__version__}"
    valid = run("validate", "rooms.yaml")
    assert valid.returncode == 0, valid.stderr
    assert "rooms.yaml: valid: 1 room(s)" in valid.stdout
    assert (target / "dataroom" / "py.typed").exists()
    assert (target / "dataroom" / "review" / "schemas" / "evidence.schema.json").exists()


def test_every_construct_is_exported() -> None:
    import importlib
    import inspect
    import pkgutil

    from constructs import Construct

    import dataroom.constructs as package

    defined = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"dataroom.constructs.{module_info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Construct)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                defined.add(name)
    assert defined and defined <= set(package.__all__), sorted(defined - set(package.__all__))
