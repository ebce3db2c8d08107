"""checkov's Kubernetes policies over every rendered overlay: zero failures, and every check
skipped on a resource says why there (a ``checkov.io/skipN`` annotation); the checks skipped
everywhere are listed with their reasons in deploy/k8s/checkov.yaml.

checkov runs from its own pinned environment (tools/checkov/requirements.lock, installed by
`make test`), offline: no rule download, no guideline mapping from its vendor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
# The overlays are what is deployed; the base alone names images without a tag (CKV_K8S_14).
KUSTOMIZATIONS = ("overlays/dev", "overlays/prod")
SKIPPED_EVERYWHERE = {"CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_43"}


def rendered(kustomization: str, folder: Path) -> Path:
    kubectl = Path(sys.executable).with_name("kubectl")
    result = subprocess.run(
        [str(kubectl), "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        check=True,
    )
    path = folder / "rendered.yaml"
    path.write_text(result.stdout)
    return path


def checkov(path: Path) -> dict:
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(path),
            "--config-file",
            str(K8S / "checkov.yaml"),
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        check=False,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert isinstance(report, dict), report
    return report


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_checkov_fails_nothing_and_every_skip_says_why(kustomization: str, tmp_path: Path) -> None:
    path = rendered(kustomization, tmp_path)
    report = checkov(path)
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] >= len(documents) - 1  # the Namespace is no resource
    assert report["summary"]["passed"] > 0
    failed = report["results"]["failed_checks"]
    assert [(check["check_id"], check["resource"]) for check in failed] == []
    for skipped in report["results"].get("skipped_checks", []):
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) >= 40, (skipped["check_id"], skipped["resource"], reason)


def test_the_checks_skipped_everywhere_are_exactly_those_explained() -> None:
    config = yaml.safe_load((K8S / "checkov.yaml").read_text())
    assert set(config["skip-check"]) == SKIPPED_EVERYWHERE
    text = (K8S / "checkov.yaml").read_text()
    for check in SKIPPED_EVERYWHERE:
        # Each entry follows the comment lines that give its reason.
        before = text.split(f"  - {check}")[0].rstrip().splitlines()[-1]
        assert before.lstrip().startswith("#"), check
