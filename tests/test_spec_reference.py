import subprocess
import sys

from conftest import REPO_ROOT
from dtu_audio.spec_reference import spec_reference_markdown
from dtu_audio.specs import RunSpec


def test_docs_page_matches_the_spec_models():
    page = (REPO_ROOT / "docs" / "spec-reference.md").read_text(encoding="utf-8")
    assert page == spec_reference_markdown(), "regenerate with: dtu spec reference -o docs/spec-reference.md"


def test_every_field_is_documented():
    page = spec_reference_markdown()
    for section in RunSpec.model_fields:
        model = type(getattr(RunSpec(), section))
        for name, info in model.model_fields.items():
            assert f"| `{name}` |" in page
            assert info.description, f"{section}.{name} has no description"


def test_cli_prints_the_same_page(tmp_path):
    out = tmp_path / "ref.md"
    subprocess.run([sys.executable, "-m", "dtu_audio", "spec", "reference", "-o", str(out)], check=True)
    assert out.read_text(encoding="utf-8") == spec_reference_markdown()
