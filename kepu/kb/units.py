"""Unit names and aliases (``knowledge/units.yaml``), resolved against the units a plan actually names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kepu.kb.types import ALL_MEMBERS


@dataclass(frozen=True)
class Unit:
    name: str  # as the plan writes it
    full_name: str | None
    aliases: tuple[str, ...]
    short: str | None = None  # the name people know (卫健委, 团中央), for answers to the public

    def public(self) -> str:
        """The name an answer uses: the short name people know, else the plan's name. The official full
        name stays in the citation (``Citation.units_full``) and in the staff views."""
        return self.short or self.name

    def names(self) -> tuple[str, ...]:
        """Every name the unit goes by: the plan's, the short one, the official one, the aliases."""
        return tuple(n for n in (self.name, self.short, self.full_name, *self.aliases) if n)


# Local units are written with their level in front (市教育局, 省科协); people often leave it out.
_LEVEL_PREFIX_RE = re.compile(r"^(省|市|区|县|州|镇|乡)(?=..)")


class UnitDirectory:
    """Finds units in questions by any of their names, longest name first. Built per plan: only the units
    that plan names are in it, so 市教育局 in a city plan is never 教育部."""

    def __init__(self, units_yaml: dict[str, Any], plan_units: set[str] | None) -> None:
        """plan_units: the names one plan writes; None for every unit units.yaml declares (used to tell a
        unit the plan does not name, such as 公安部, from a word that is no unit at all)."""
        declared: dict[str, Unit] = {}
        for entry in units_yaml.get("units", []) or []:
            name = str(entry["name"]).strip()
            declared[name] = Unit(
                name=name,
                full_name=(str(entry.get("full_name")).strip() if entry.get("full_name") else None),
                aliases=tuple(str(a).strip() for a in entry.get("aliases", []) or [] if str(a).strip()),
                short=(str(entry.get("short")).strip() if entry.get("short") else None),
            )
        # Units named in a plan but not in units.yaml still work under the name the plan uses.
        self.units: dict[str, Unit] = {}
        for name in sorted((set(declared) if plan_units is None else plan_units) - {ALL_MEMBERS}):
            unit = declared.get(name)
            if unit is None:  # named in a plan but not in units.yaml: works under the plan's name
                short = _LEVEL_PREFIX_RE.sub("", name)
                unit = Unit(name=name, full_name=None, aliases=(short,) if short != name else ())
            self.units[name] = unit
        self._names: dict[str, str] = {}
        for unit in self.units.values():
            for n in unit.names():
                self._names.setdefault(n.lower(), unit.name)
        pattern = "|".join(re.escape(n) for n in sorted(self._names, key=len, reverse=True))
        self._re = re.compile(pattern, re.IGNORECASE) if pattern else None

    def all_names(self) -> list[str]:
        return list(self._names)

    def resolve(self, name: str) -> Unit | None:
        key = self._names.get(name.strip().lower())
        return self.units.get(key) if key else None

    def find(self, text: str) -> list[Unit]:
        """Units mentioned in text, in order of appearance, without overlaps or duplicates."""
        if self._re is None:
            return []
        found: list[Unit] = []
        for m in self._re.finditer(text):
            unit = self.units[self._names[m.group(0).lower()]]
            if unit not in found:
                found.append(unit)
        return found
