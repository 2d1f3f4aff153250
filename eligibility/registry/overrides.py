"""Hand corrections (``rules/overrides/<id>.yaml``) applied on top of a drafted trial."""

from __future__ import annotations

from pathlib import Path

from eligibility.errors import EligibilityError
from eligibility.inputs import read_yaml_mapping


def apply_overrides(data: dict, overrides: dict) -> dict:
    """Hand corrections on top of a draft: trial fields replaced, criteria fields replaced or criteria split
    into several, criteria added. Unknown criterion ids are an error so that a stale override is noticed."""
    result = {**data, **overrides.get("trial", {})}
    by_id = {c["id"]: c for c in data["criteria"]}
    criteria = []
    changes = overrides.get("criteria", {})
    missing = sorted(set(changes) - set(by_id))
    if missing:
        raise EligibilityError(
            f"overrides name criteria the import does not produce: {', '.join(missing)}",
            hint="update the override file to the current criterion ids",
        )
    for criterion in data["criteria"]:
        change = changes.get(criterion["id"])
        if change is None:
            criteria.append(criterion)
        elif "split" in change:
            criteria += [{"kind": criterion["kind"], **part} for part in change["split"]]
        else:
            merged = {**criterion, **change}
            criteria.append({k: v for k, v in merged.items() if v is not None})
    criteria += overrides.get("add", [])
    result["criteria"] = criteria
    return result


def find_overrides(record: Path, directory: Path) -> Path | None:
    """The override file in ``directory`` whose ``record:`` names this record's file, if any."""
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob("*.yaml")):
        data = read_yaml_mapping(path, "overrides file")
        if data.get("record") == Path(record).name:
            return path
    return None
