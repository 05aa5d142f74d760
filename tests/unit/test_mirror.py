"""The unit layer mirrors shared/: a test file for every module, at the mirrored path."""

from __future__ import annotations


def test_every_module_of_shared_has_a_unit_test_file_at_the_mirrored_path() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    missing = [
        str(module.relative_to(root))
        for module in (root / "shared").rglob("*.py")
        if module.name != "__init__.py"
        and not (
            root / "tests" / "unit" / module.parent.relative_to(root / "shared")
            / f"test_{module.name}"
        ).exists()
    ]  # fmt: skip
    assert missing == []
