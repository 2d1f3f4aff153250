"""Free-text criteria (English and Chinese) → phrases → mentions → atoms and rules."""

from eligibility.text.parse import ParsedCriterion, parse_criterion

__all__ = ["ParsedCriterion", "parse_criterion"]
