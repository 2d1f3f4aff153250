"""UCUM unit codes (as FHIR carries them in ``Quantity.code``) read into the project's canonical unit spelling.

The UCUM grammar (https://ucum.org/ucum, section 2) read here: a term is components joined by ``.`` (times)
and ``/`` (divided by), left to right (``mL/min/{1.73_m2}`` is mL per minute per 1.73 m²); a leading ``/``
means "one over"; a component is a unit with an optional metric prefix and an optional integer exponent
(``m2``, ``s-1``), an integer factor (``10*3`` and ``10^3`` are 10³), a parenthesised term, or an annotation in
braces. The result is spelled the way :func:`eligibility.vocab.units.canonical_unit` spells units, so the one
pint registry reads it with exact rational magnitudes (``10*3/uL`` → ``10^3/uL``; ``mm[Hg]`` → ``mmHg``).

Meanings kept on purpose:

- ``{1.73_m2}`` (and ``{1.73m2}``) is the standard body surface area, a unit here (eGFR is per 1.73 m²);
- every other annotation (``{score}``, ``{#}``, ``{cells}``) is unitless, as UCUM defines it;
- ``[IU]`` and ``U`` are the enzyme unit of the registry (``[IU]/L`` is ``IU/L``);
- ``Cel`` and ``[degF]`` are offset units: they convert to nothing but themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from eligibility.errors import UnitError

# UCUM atom → canonical atom; prefixable atoms take a metric prefix (``mL``, ``umol``, ``mm[Hg]``).
_PREFIXABLE = {
    "m": "m",
    "g": "g",
    "s": "s",
    "L": "L",
    "l": "L",
    "mol": "mol",
    "eq": "Eq",
    "U": "U",
    "[IU]": "IU",
    "[iU]": "IU",
    "kat": "kat",
    "Pa": "Pa",
    "bar": "bar",
    "m[Hg]": "mHg",
    "m[H2O]": "mH2O",
    "J": "J",
    "W": "W",
    "cal": "cal",
    "Hz": "Hz",
    "K": "K",
}
_PLAIN = {
    "min": "min",
    "h": "h",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "a": "year",
    "%": "%",
    "Cel": "degC",
    "[degF]": "degF",
    "[lb_av]": "lb",
    "[oz_av]": "oz",
    "[in_i]": "in",
    "[ft_i]": "ft",
    "[ppm]": "ppm",
    "[ppb]": "ppb",
}
_PREFIXES = {
    "da": 1,
    "Y": 24,
    "Z": 21,
    "E": 18,
    "P": 15,
    "T": 12,
    "G": 9,
    "M": 6,
    "k": 3,
    "h": 2,
    "d": -1,
    "c": -2,
    "m": -3,
    "u": -6,
    "n": -9,
    "p": -12,
    "f": -15,
    "a": -18,
    "z": -21,
    "y": -24,
}
# Prefixed atoms whose canonical spelling differs from prefix + atom.
_PREFIXED_SPELLING = {"mmHg": "mmHg", "cmH2O": "cmH2O", "mmH2O": "mmH2O"}
_BSA = re.compile(r"^\{1\.73_?m(?:2|\^2)\}$")
_TOKEN = re.compile(r"\{[^{}]*\}|\(|\)|[./]|10[*^][+-]?\d+|[^./(){}]+")
_TEN_POWER = re.compile(r"10[*^][+-]?\d+")
_UNIT = re.compile(r"^(?P<unit>.*?)(?P<exp>[+-]?\d+)?$")


@dataclass
class _Term:
    """A product of canonical atoms with integer exponents, times an exact scale."""

    scale: Fraction = Fraction(1)
    powers: dict[str, int] = field(default_factory=dict)

    def times(self, other: _Term, sign: int) -> _Term:
        powers = dict(self.powers)
        for atom, exponent in other.powers.items():
            powers[atom] = powers.get(atom, 0) + sign * exponent
        return _Term(self.scale * other.scale**sign, {a: e for a, e in powers.items() if e})

    def spelled(self, code: str) -> str:
        """The canonical spelling (``10^3/uL``, ``mL/min/1.73m^2``, ``""`` for unitless)."""
        exponent = _power_of_ten(self.scale, code)
        top = [_atom_power(a, e) for a, e in self.powers.items() if e > 0]
        bottom = [_atom_power(a, -e) for a, e in self.powers.items() if e < 0]
        scale = f"10^{exponent}" if exponent else ""
        head = "*".join(([scale] if scale else []) + top)
        return head + "".join("/" + b for b in bottom)


def _atom_power(atom: str, exponent: int) -> str:
    return atom if exponent == 1 else f"{atom}^{exponent}"


def _power_of_ten(scale: Fraction, code: str) -> int:
    exponent = 0
    while scale.numerator % 10 == 0 and scale.numerator:
        scale, exponent = scale / 10, exponent + 1
    while scale.denominator % 10 == 0:
        scale, exponent = scale * 10, exponent - 1
    if scale != 1:
        raise UnitError(f"UCUM unit {code!r} has a factor that is not a power of ten", hint="use e.g. 10*3/uL")
    return exponent


@lru_cache(maxsize=1024)
def ucum_to_canonical(code: str) -> str:
    """The canonical spelling of a UCUM code; :class:`UnitError` naming the code when it is not UCUM.

    >>> ucum_to_canonical("10*3/uL"), ucum_to_canonical("mL/min/{1.73_m2}"), ucum_to_canonical("{score}")
    ('10^3/uL', 'mL/min/1.73m^2', '')
    """
    text = code.strip()
    if not text:
        return ""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        raise UnitError(f"not a UCUM unit: {code!r}", hint="UCUM codes have no spaces (e.g. mg/dL, 10*9/L)")
    reader = _Reader(tokens, code)
    term = reader.main()
    return term.spelled(code)


class _Reader:
    """Recursive descent over the UCUM tokens."""

    def __init__(self, tokens: list[str], code: str) -> None:
        self.tokens, self.code, self.at = tokens, code, 0

    def fail(self, what: str) -> UnitError:
        return UnitError(f"not a UCUM unit: {self.code!r} ({what})", hint="see https://ucum.org (e.g. mg/dL, 10*9/L)")

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("it ends too early")
        self.at += 1
        return token

    def main(self) -> _Term:
        if self.peek() == "/":
            self.take()
            term = _Term().times(self.term(), -1)
        else:
            term = self.term()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return term

    def term(self) -> _Term:
        term = self.component()
        while self.peek() in (".", "/"):
            sign = 1 if self.take() == "." else -1
            term = term.times(self.component(), sign)
        return term

    def component(self) -> _Term:
        token = self.take()
        if token == "(":
            inner = self.term()
            if self.take() != ")":
                raise self.fail("a parenthesis is not closed")
            return inner
        if token.startswith("{"):
            return _Term(powers={"1.73m^2": 1}) if _BSA.match(token) else _Term()
        if token in (".", "/", ")"):
            raise self.fail(f"unexpected {token!r}")
        if self.peek() is not None and self.peek().startswith("{"):  # type: ignore[union-attr]
            self.take()  # an annotation on a unit (mg{total}) does not change it
        return self.unit(token)

    def unit(self, token: str) -> _Term:
        if _TEN_POWER.fullmatch(token):
            return _Term(scale=Fraction(10) ** int(token[3:]))
        if token.isdigit():
            return _Term(scale=Fraction(int(token)))
        match = _UNIT.match(token)
        assert match is not None  # the pattern matches any text
        atom = _atom(match.group("unit"))
        if atom is None:
            raise self.fail(f"unknown unit {match.group('unit')!r}")
        exponent = int(match.group("exp") or 1)
        return _Term(powers={atom: exponent}) if exponent else _Term()


def _atom(text: str) -> str | None:
    if text in _PLAIN:
        return _PLAIN[text]
    if text in _PREFIXABLE:
        return _PREFIXABLE[text]
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        rest = text[len(prefix) :]
        if text.startswith(prefix) and rest in _PREFIXABLE:
            spelled = prefix + _PREFIXABLE[rest]
            return _PREFIXED_SPELLING.get(spelled, spelled)
    return None
