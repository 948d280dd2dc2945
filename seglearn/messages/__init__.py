"""Learner-facing messages in the language of :data:`seglearn.config.language`.

One catalogue per language, a module of this package (:mod:`seglearn.messages.ja`), keyed by the
English text itself (as gettext's msgids are) rather than by ids, because:

* the exercise modules (``seglearn/exercises/chNN.py``) keep their English hints, labels and
  descriptions as they are, and the checker translates them when it shows them (their failure
  reasons are templates passed to :func:`gettext` where they are formatted);
* the English output is the key itself, so it stays byte for byte what it was;
* a new or changed English text has no entry: it is shown in English, and
  ``tests/test_messages.py`` names it (and any entry that nothing shows any more).

Texts with values are templates, translated before they are formatted::

    gettext('All {} checks passed. ✔').format(n)

A translation may reorder the fields by number or name (``'{1} 件中 {0} 件'``); the tests hold
its fields to the English ones. An exercise label already formatted when its case was drawn (the
random cases) is matched against the catalogue's label templates (``LABELS``) and the
translation is filled with the label's own values.
"""
import functools
import re
import string

from seglearn import config
from seglearn.messages import ja

#: language → {English text or template: translation}; English has none (the keys are English).
CATALOGUES = {'ja': ja.MESSAGES}
#: language → {English label template: translation}, for labels formatted with drawn values.
LABEL_TEMPLATES = {'ja': ja.LABELS}


def gettext(message):
    """``message``, an English text or template, in the current language (itself if the
    catalogue has no entry)."""
    return CATALOGUES.get(config.language, {}).get(message, message)


def gettext_noop(message):
    """``message`` itself: marks a text that is translated later, where it is shown (the tests
    collect the texts passed to :func:`gettext` and to this)."""
    return message


def exercise_text(text):
    """An exercise's title, hint, case label or property description in the current language
    (``text`` itself when nothing translates it; None stays None)."""
    if not text:
        return text
    found = find(text, config.language)
    return text if found is None else found


def find(text, language):
    """The translation of ``text`` into ``language``: its catalogue entry, else the label
    template it matches, filled with its values; None when there is none."""
    found = CATALOGUES.get(language, {}).get(text)
    if found is not None:
        return found
    for pattern, english, translated in _label_patterns(language):
        match = pattern.match(text)
        if match:
            values = dict(zip((name for name, _, _ in fields(english)), match.groups()))
            return ''.join(literal + (values[name] if name is not None else '')
                           for literal, name, _, _ in _parse(translated))
    return None


def fields(template):
    """The replacement fields of a format template in order, as (name, conversion, spec); the
    automatic numbering is made explicit (``'{} {!r}'`` → ``('0', None, ''), ('1', 'r', '')``)."""
    return [(name, conversion, spec) for _, name, conversion, spec in _parse(template)
            if name is not None]


def _parse(template):
    """``string.Formatter().parse`` as (literal, name, conversion, spec), ``{}`` numbered."""
    auto = 0
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if name == '':
            name, auto = str(auto), auto + 1
        yield literal, name, conversion, spec


# A label's value: no comma outside brackets, so '(1, 2), 30%' splits after '(1, 2)'.
_VALUE = r'((?:\([^()]*\)|\[[^\[\]]*\]|[^()\[\],])*?)'


@functools.lru_cache(maxsize=None)
def _label_patterns(language):
    """(regular expression, English template, translation) for each label template."""
    out = []
    for english, translated in LABEL_TEMPLATES.get(language, {}).items():
        regex = ''.join(re.escape(literal) + (_VALUE if name is not None else '')
                        for literal, name, _, _ in _parse(english))
        out.append((re.compile(regex + r'\Z', re.S), english, translated))
    return out
