"""Alert rule files: YAML in, frozen ``RuleGroup``/``Rule`` out, every error as ``FILE:LINE:COLUMN: message``.

Reads: rule file text passed in. Writes: nothing. The file format is described in docs/alert-rules.md
and the guide's section 7; the default rule pack lives in ``deploy/rules/``.
"""

from processors.alerting.rules.loader import GROUP_KEYS, RULE_KEYS, count_rules, load_rules
from processors.alerting.rules.model import (
    DEFAULT_WINDOW,
    SEVERITIES,
    Rule,
    RuleError,
    RuleGroup,
    RuleLoadError,
)
from processors.alerting.rules.positions import parse_duration
from processors.alerting.rules.templates import (
    TemplateError,
    TemplateProblem,
    render_template,
    template_errors,
)

__all__ = [
    "DEFAULT_WINDOW",
    "GROUP_KEYS",
    "RULE_KEYS",
    "SEVERITIES",
    "Rule",
    "RuleError",
    "RuleGroup",
    "RuleLoadError",
    "TemplateError",
    "TemplateProblem",
    "count_rules",
    "load_rules",
    "parse_duration",
    "render_template",
    "template_errors",
]
