"""The web side runs without torch, and the wheel ships what a shop needs (and no demo)."""

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Modules the web side imports. The engine and the worker are the only torch users.
WEB_MODULES = [
    "stylerec_plugin.admin",
    "stylerec_plugin.models",
    "stylerec_plugin.signals",
    "stylerec_plugin.checks",
    "stylerec_plugin.shoppers",
    "stylerec_plugin.shoppers.identity",
    "stylerec_plugin.products",
    "stylerec_plugin.urls",
]


def test_web_side_imports_and_checks_without_torch():
    optional = [
        "stylerec_plugin.templatetags.stylerec",
        "stylerec_plugin.recommendations.serving",
        "stylerec_plugin.recommendations.training",
        "stylerec_plugin.shoppers.preferences",
        "stylerec_plugin.api",
        "stylerec_plugin.experiments.assignment",
        "stylerec_plugin.experiments.tracking",
        "stylerec_plugin.queue",
        "stylerec_plugin.restyling.jobs",
        "stylerec_plugin.restyling.planning",
        "stylerec_plugin.restyling.rendering",
        "stylerec_plugin.storefront.grid",
    ]
    modules = WEB_MODULES + [m for m in optional if (ROOT / (m.replace(".", "/") + ".py")).exists()
                             or (ROOT / m.replace(".", "/")).is_dir()]
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys

        class NoTorch(importlib.abc.MetaPathFinder):
            # Behave as an install without torch: importing it fails like a missing package.

            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "torchvision", "onnx", "onnxruntime"):
                    raise ModuleNotFoundError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, NoTorch())
        import django, os
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        django.setup()
        for name in {modules!r}:
            importlib.import_module(name)
        from django.core.management import call_command
        call_command("check")
        import stylerec_plugin.engine  # importing the package alone must not need torch either
        print("web side OK without torch")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "web side OK without torch" in result.stdout


@pytest.mark.slow
def test_wheel_contains_plugin_templates_migrations_and_no_demo(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = next(tmp_path.glob("django_stylerec-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "stylerec_plugin/migrations/0001_initial.py" in names
    assert any(n.startswith("stylerec_plugin/templates/stylerec/") for n in names)
    assert not any(n.startswith(("demo_shop/", "tests/")) for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    base = [line for line in requires if "extra ==" not in line]
    assert not any("torch" in line for line in base), "the base install must not pull torch"
    assert any("torch==2.14.1" in line and "engine" in line for line in requires)
