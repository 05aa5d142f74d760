"""Template snippets (`switchboard local --add-template PATH`): run as if pasted into the
template, code paths relative to their own folder, never replacing what is there; the
push-notification example is a valid addition to the project's template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.template.intrinsics import TemplateError
from infra.template.reader import _decode, load_template, merge_snippet
from tests.conftest import ROOT, TEMPLATE

EXAMPLE = ROOT / "examples" / "push-notifications" / "template.yaml"


def test_a_snippets_function_runs_from_its_own_folder_under_the_templates_globals() -> None:
    template = load_template(TEMPLATE, {"EventFamilies": "undelivered"}, snippets=[EXAMPLE])
    function = template.functions["PushNotificationFunction"]
    assert function.code_dir == EXAMPLE.parent / "function"
    assert function.layer_dirs == [ROOT]  # the template's Globals apply, as when pasted
    assert "EVENT_BUS_NAME" in function.environment
    [rule] = [r for r in template.event_rules if "PushNotification" in r.name]
    assert rule.bus == "switchboard-events"


def test_a_snippet_may_not_replace_what_the_template_defines(tmp_path: Path) -> None:
    clash = tmp_path / "clash.yaml"
    clash.write_text("Resources:\n  EventFunction:\n    Type: AWS::SQS::Queue\n")
    with pytest.raises(TemplateError, match="Resources EventFunction is already defined"):
        load_template(TEMPLATE, snippets=[clash])


def test_the_example_pasted_into_the_template_passes_cfn_lint(tmp_path: Path) -> None:
    raw = _decode(TEMPLATE.resolve())
    merge_snippet(raw, EXAMPLE)
    pasted = tmp_path / "template.json"
    pasted.write_text(json.dumps(raw))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    lint = subprocess.run([str(cfn_lint), str(pasted)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
