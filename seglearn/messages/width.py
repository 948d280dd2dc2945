"""Text measured as a monospace display draws it (a terminal, JupyterLab's output area).

A wide character (East Asian width W or F: kana, kanji, full-width forms such as ``：``) takes two
columns, a combining character none, any other one column. Ambiguous characters (``○ × → …``)
count as one: JupyterLab's monospace fonts draw them narrow. Padding and cutting by these widths
keeps the ✔ ✘ ○ marks, the value columns of ``check()`` and the columns of ``make check``'s table
aligned when the text is Japanese; for English text every width is its length.
"""
import re
import unicodedata

# No line may start with these, nor end with the openers (Japanese line-breaking rules, kinsoku).
_NO_LINE_START = set('、。，．：；？！）」』】〉》ー・…') | set(')]},.:;!?')
_NO_LINE_END = set('（「『【〈《([{')


def char_width(char):
    """Columns one character takes: 2 (wide), 0 (combining) or 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in 'WF' else 1


def width(text):
    """Columns ``text`` (one line) takes."""
    return sum(char_width(c) for c in text)


def ljust(text, columns):
    """``text`` padded with spaces to ``columns`` columns (unchanged when it is wider)."""
    return text + ' ' * max(0, columns - width(text))


def truncate(text, columns):
    """``text`` cut to at most ``columns`` columns, ending in ``…`` when it was cut."""
    return text if width(text) <= columns else _fit(text, columns - 1) + '…'


def _fit(text, columns):
    """The longest start of ``text`` that takes at most ``columns`` columns."""
    used = 0
    for i, char in enumerate(text):
        used += char_width(char)
        if used > columns:
            return text[:i]
    return text


def wrap(line, columns, hang):
    """``line`` broken into lines of at most ``columns`` columns, continuation lines starting
    with ``hang`` (spaces).

    Lines break at spaces (dropped there) and between wide characters, never inside a word of
    narrow characters unless it is longer than a line, nor before a closing mark (``、。）``) or
    after an opening one (``（「``).
    """
    lines, current = [], ''
    for chunk in _chunks(line):
        if chunk.isspace():
            current += chunk
            continue
        if current.strip() and width(current + chunk) > columns:
            lines.append(current.rstrip())
            current = hang
        while width(current + chunk) > columns and len(chunk) > 1:   # a word longer than a line
            head = _fit(chunk, columns - width(current)) or chunk[0]
            lines.append(current + head)
            current, chunk = hang, chunk[len(head):]
        current += chunk
    lines.append(current.rstrip())
    return lines


def _chunks(line):
    """The pieces a line may break between: runs of spaces, words of narrow characters, and
    single wide characters with the marks that must stay beside them."""
    chunks = []
    for piece in re.findall(r'\s+|\S', line):
        previous = chunks[-1] if chunks else ' '
        if not piece.isspace() and not previous.isspace() and (
                piece in _NO_LINE_START or previous[-1] in _NO_LINE_END
                or char_width(piece) == char_width(previous[-1]) == 1):
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return chunks
