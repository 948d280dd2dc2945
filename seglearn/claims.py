"""Claims about a run, checked where they are made.

A chapter that says "FCN-32s beats the position prior" calls :func:`claim` with the sentence and
the comparison. It prints ``✔ the sentence (the numbers)`` when the comparison holds and raises
:class:`ClaimFailed` when it does not, so executing the chapters (``make test``) fails the day a
change to the code or to the settings makes the sentence false.
"""


class ClaimFailed(AssertionError):
    """A sentence of a chapter no longer holds for the numbers the chapter computed."""


def claim(statement, holds, evidence=''):
    """Print ``✔ statement (evidence)`` if ``holds``, else raise :class:`ClaimFailed`.

    Args:
        statement (str): the sentence, as the chapter's text says it.
        holds: the comparison that makes it true (anything ``bool`` accepts; a NumPy bool too).
        evidence (str): the numbers behind it, printed beside the sentence.

    Returns nothing (so that a claim ending a notebook cell is not echoed a second time).

    Raises:
        TypeError: ``statement`` or ``evidence`` is not a str.
        ClaimFailed: ``holds`` is false.
    """
    if not isinstance(statement, str) or not isinstance(evidence, str):
        raise TypeError('statement and evidence must be str; got {!r} and {!r}'.format(
            statement, evidence))
    detail = ' ({})'.format(evidence) if evidence else ''
    if not bool(holds):
        raise ClaimFailed('this no longer holds: {}{}'.format(statement, detail))
    print('✔ {}{}'.format(statement, detail))
