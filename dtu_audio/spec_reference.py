"""The run-spec reference page (docs/spec-reference.md), generated from the pydantic models."""

from __future__ import annotations

import json

from pydantic import BaseModel

from dtu_audio.specs import RunSpec

_HEADER = """# Run-spec reference

Generated from the pydantic models in `dtu_audio/specs.py` by `dtu spec reference`;
a test keeps this page in sync. Defaults are the paper's settings. Any field can be
set in a YAML spec (`dtu train --spec my.yaml`) or on the command line
(`--set section.field=value`).
"""


def _type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation)
    for prefix in ("typing.", "pathlib._local.", "pathlib.", "dtu_audio.specs."):
        text = text.replace(prefix, "")
    return text.replace("NoneType", "None")


def _default(value: object) -> str:
    return json.dumps(value, default=str)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _section(title: str, model: type[BaseModel], instance: BaseModel) -> list[str]:
    lines = [
        f"## `{title}`",
        "",
        (model.__doc__ or "").strip(),
        "",
        "| field | type | default | meaning |",
        "|---|---|---|---|",
    ]
    nested = []
    for name, info in model.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            nested.append((f"{title}.{name}", type(value), value))
            lines.append(f"| `{name}` | section | see `{title}.{name}` | {info.description or ''} |")
            continue
        kind, default = (_cell(text) for text in (_type_name(info.annotation), _default(value)))
        lines.append(f"| `{name}` | `{kind}` | `{default}` | {info.description or ''} |")
    lines.append("")
    for child in nested:
        lines += _section(*child)
    return lines


def spec_reference_markdown() -> str:
    """The whole reference page as Markdown."""
    spec = RunSpec()
    lines = [_HEADER]
    for name in RunSpec.model_fields:
        section = getattr(spec, name)
        lines += _section(name, type(section), section)
    return "\n".join(lines).rstrip() + "\n"
