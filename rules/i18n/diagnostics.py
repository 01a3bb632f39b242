"""Errors and diagnostics in the user's language.

Diagnostics about rule text are built in English by the parser and the checker, each with a
stable code. They are translated when shown: the English message (and each note) is matched
against the catalog's templates for that code, the values are taken out, and the translated
template is filled with them. A message with no template stays in English, so a new diagnostic
is never lost, only untranslated (a test lists the codes that have templates).
"""

from __future__ import annotations

import re
from functools import cache

from rules.i18n import translator
from rules.language.source import CaseError, Diagnostic, RuleSetError


def N_(message: str) -> str:
    return message


# English templates of diagnostic messages and notes, by code ("" for notes of any code).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "syntax_unexpected_token": (N_("unexpected {found}"),),
    "syntax_unexpected_end": (N_("unexpected end of the file"), N_("unexpected {found}")),
    "syntax_unexpected_character": (
        N_("unexpected character {found}"),
        N_("unexpected character {found}; write a date with a four-digit year and two-digit "
           "month and day")),
    "syntax_bad_date": (N_("`{date}` is not a calendar date"),),
    "duplicate_id": (N_("{kind} `{name}` is declared twice"),
                     N_("the governing date is declared twice")),
    "duplicate_clause": (N_("provision `{id}` has a second `{clause}` clause"),
                         N_("provision `{id}` has a second {lang} title"),
                         N_("provision `{id}` has a second {lang} quote")),
    "missing_source": (N_("provision `{id}` has no `source`"),),
    "missing_confidence": (N_("provision `{id}` has no `confidence`"),),
    "missing_in_force": (N_("provision `{id}` has no `in force from` date"),),
    "bad_confidence": (N_("unknown confidence `{value}`"),),
    "unknown_act": (N_("unknown act `{name}`"),),
    "unknown_name": (N_("unknown name `{name}`"), N_("unknown fact `{name}`")),
    "unknown_enum_value": (N_("`{value}` is not a value of {enum}"),),
    "unknown_type": (N_("unknown type `{name}`"),),
    "unknown_function": (N_("unknown function `{name}`"),),
    "unknown_action": (N_("unknown action `{name}`"),),
    "unknown_conclusion": (N_("unknown conclusion `{name}`"),),
    "bad_argument": (N_("action `{action}` has no argument `{name}`"),
                     N_("action `{action}` needs the argument `{name}`"),
                     N_("`{function}` takes {want} arguments, not {got}")),
    "not_a_constant": (N_("the values after `in` must be constants"),),
    "type_mismatch": (N_("cannot compare {left} with {right}"),
                      N_("{what} must be {want}, but this is {got}")),
    "bad_range": (N_("the range of `{name}` is empty: {low} is after {high}"),),
    "definition_cycle": (N_("definitions refer to each other in a loop: {loop}"),),
    "derivation_cycle": (N_("fact `{name}` is computed from itself"),),
    "date_order": (N_("provision `{id}` leaves force ({end}) before it enters into force "
                      "({start})"),),
    "unknown_override": (N_("`{id}` overrides `{target}`, which does not exist"),),
    "override_self": (N_("provision `{id}` overrides itself"),),
    "override_cycle": (N_("provisions override each other in a loop: {loop}"),),
    "override_disjoint": (N_("`{id}` overrides `{target}` but they decide nothing in common"),),
    "unknown_language": (N_("unknown language `{lang}`"),),
    "unknown_label_key": (N_("unknown {kind} `{name}` in label `{key}`"),
                          N_("`{key}` names nothing: `{kind}` is not a kind of label"),
                          N_("no provision gives the text value \"{text}\"")),
    "duplicate_label": (N_("`{key}` has a second {lang} label"),),
    "empty_label": (N_("`{key}` has an empty {lang} label"),
                    N_("provision `{id}` has an empty {lang} title"),
                    N_("provision `{id}` has an empty {lang} quote or source")),
    "ambiguous_alias": (N_("\"{text}\" would name both `{first}` and `{second}` of {enum}"),),
    "missing_short": (N_("`{key}` needs a `short` form ({what})"),),
    "label_in_declaration": (N_("the English text of `{key}` is its declaration's; change it "
                                "there"),),
    "unexpected_label_part": (N_("only enum values take aliases (`also`), not `{key}`"),
                              N_("`{key}` takes no `short` form")),
    "gap_not_missing": (N_("`{key}` is declared missing in {lang}, but it has a label"),),
    "": (N_("expected {expected}"), N_("did you mean `{name}`?"), N_("first declared at {where}"),
         N_("first given at {where}"), N_("expected en, ru or kk"),
         N_("every provision cites its source, its confidence and the date it enters into "
            "force"), N_("values: {values}"), N_("remove the `gap` line"),
         N_("declare it with `{declaration}`"), N_("kinds: {kinds}"),
         N_("expected confirmed, secondary or uncertain"),
         N_("`{value}` is a value of {enum}; compare it with a {kind} fact")),
}

_SEVERITY = {"error": N_("error"), "warning": N_("warning")}


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$", re.S)


def translate_message(code: str, text: str, lang: str | None = None) -> str:
    """An English diagnostic message (or note) in `lang`, when a template matches it."""
    tr = translator(lang)
    if tr.lang == "en":
        return text
    for template in (*TEMPLATES.get(code, ()), *TEMPLATES[""]):
        match = _pattern(template).match(text)
        if match is not None:
            translated = tr.gettext(template)
            return translated.format(**match.groupdict()) if translated != template else text
    return text


def render_diagnostic(d: Diagnostic, sources: dict[str, str] | None = None,
                      lang: str | None = None) -> str:
    """A diagnostic as a drafter reads it, in a language: place, message, line, caret, notes."""
    tr = translator(lang)
    if tr.lang == "en":
        return d.render(sources)
    local = Diagnostic(d.code, translate_message(d.code, d.message, tr.lang), d.span,
                       d.severity, tuple(translate_message(d.code, n, tr.lang) for n in d.notes))
    text = local.render(sources)
    head = f"{d.severity}[{d.code}]"
    return text.replace(head, f"{tr.gettext(_SEVERITY[d.severity])}[{d.code}]", 1)


def render_rule_errors(error: RuleSetError, lang: str | None = None) -> str:
    """Every diagnostic of a rule set error, then the count, in a language."""
    tr = translator(lang)
    errors = sum(1 for d in error.diagnostics if d.severity == "error")
    body = "\n\n".join(render_diagnostic(d, error.sources, tr.lang) for d in error.diagnostics)
    count = tr.ngettext("{n} error found", "{n} errors found", errors).format(n=errors)
    return f"{body}\n\n{count}"


def render_case_error(error: CaseError, lang: str | None = None) -> str:
    """A case error in a language: the count (plural forms from the catalog), then each
    problem with its field path (the problems are worded in the language in use when the case
    was read; see `rules.i18n.using`)."""
    tr = translator(lang)
    count = len(error.problems)
    lines = [tr.ngettext("invalid case: {n} problem", "invalid case: {n} problems",
                         count).format(n=count)]
    case = tr.gettext("(case)")
    lines.extend(f"  {path or case}: {why}" for path, why in error.problems)
    return "\n".join(lines)


def render_error(error: Exception, lang: str | None = None) -> str:
    """Any user-facing error, in a language (rule text errors with every diagnostic)."""
    if isinstance(error, RuleSetError):
        return render_rule_errors(error, lang)
    if isinstance(error, CaseError):
        return render_case_error(error, lang)
    render = getattr(error, "render", None)
    if callable(render):
        try:
            return str(render(lang))
        except TypeError:
            return str(render())
    return str(error)
