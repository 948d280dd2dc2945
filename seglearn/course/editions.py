"""The Japanese edition (``chapters/ja/``) kept in step with the English one (``chapters/``).

A Japanese chapter has the English chapter's file name and the same cells in the same order,
plus one first code cell, :data:`LANGUAGE_CELL`, that switches seglearn's messages to Japanese:

* code cells are the English ones character for character (tags and ids too), so one package,
  one grader and one set of tests serve both editions;
* each markdown cell is a translation; its metadata ``seglearn_ja.en_sha256`` holds the SHA-256
  of the English cell it translates, so a change to the English cell makes it *stale*.

``python -m seglearn.course.editions chapters chapters/ja`` lists what is out of step;
``--update NN`` rewrites a Japanese chapter from the English one, keeping every translation
whose English cell is unchanged and putting the English text (marked stale) where it changed.
"""
import argparse
import copy
import hashlib
import sys
from pathlib import Path

import nbformat

LANGUAGE_CELL_ID = 'ja-language'
LANGUAGE_CELL = ("import seglearn\n"
                 "seglearn.config.language = 'ja'  # check() などのメッセージを日本語で表示")
META = 'seglearn_ja'


def en_sha256(cell):
    """The SHA-256 (hex) of an English cell's source."""
    return hashlib.sha256(cell['source'].encode('utf-8')).hexdigest()


def language_cell():
    """The first code cell of every Japanese chapter (a new nbformat cell)."""
    cell = nbformat.v4.new_code_cell(LANGUAGE_CELL)
    cell['id'] = LANGUAGE_CELL_ID
    return cell


def _body(ja_nb):
    cells = ja_nb.cells
    if not cells or cells[0].get('id') != LANGUAGE_CELL_ID:
        return None
    return cells[1:]


def problems(en_path, ja_path, untranslated=True):
    """What keeps a Japanese chapter from being in step with its English chapter.

    Args:
        en_path, ja_path: the two ``.ipynb`` files.
        untranslated (bool): report the markdown cells not translated yet (False while a
            translation is under way: code, structure and stale translations are still reported).

    Returns:
        list of str: one line per problem (empty when in step), naming the cell.
    """
    en_path, ja_path = Path(en_path), Path(ja_path)
    if not ja_path.exists():
        return ['{}: no Japanese edition ({} missing)'.format(en_path.name, ja_path)]
    if not en_path.exists():
        return ['{}: no English edition ({} missing)'.format(ja_path.name, en_path)]
    en, ja = nbformat.read(str(en_path), 4), nbformat.read(str(ja_path), 4)
    name = ja_path.name
    body = _body(ja)
    if body is None:
        return ['{}: the first cell must be the language cell (id {!r}): {!r}'.format(
            name, LANGUAGE_CELL_ID, LANGUAGE_CELL)]
    out = []
    if ja.cells[0]['source'] != LANGUAGE_CELL or ja.cells[0]['cell_type'] != 'code':
        out.append('{} cell 0: the language cell must read exactly {!r}'.format(
            name, LANGUAGE_CELL))
    if len(body) != len(en.cells):
        out.append('{}: {} cells after the language cell, the English chapter has {}'.format(
            name, len(body), len(en.cells)))
    for i, (e, j) in enumerate(zip(en.cells, body)):
        where = '{} cell {} (English cell {}{})'.format(
            name, i + 1, i, ', id ' + e['id'] if e.get('id') else '')
        if e['cell_type'] != j['cell_type']:
            out.append('{}: a {} cell where the English edition has a {} cell'.format(
                where, j['cell_type'], e['cell_type']))
        elif e['cell_type'] == 'code':
            if e['source'] != j['source']:
                out.append('{}: code differs from the English edition'.format(where))
            if e.get('metadata', {}).get('tags') != j.get('metadata', {}).get('tags'):
                out.append('{}: tags differ from the English edition'.format(where))
        else:
            stored = j.get('metadata', {}).get(META, {}).get('en_sha256')
            if stored is None and untranslated:
                out.append('{}: not translated yet (translate it, then store its en_sha256: '
                           'mark_translated)'.format(where))
            elif stored is not None and stored != en_sha256(e):
                out.append('{}: stale: the English cell changed after it was translated '
                           '(re-translate it, then store its en_sha256)'.format(where))
    return out


def update(en_path, ja_path):
    """Rewrite a Japanese chapter in step with its English chapter.

    Code cells are copied; a markdown cell keeps its translation when its English cell is
    unchanged (same hash, matched in order); otherwise it gets the English text, with no hash
    (so :func:`problems` reports it stale until translated).

    Returns:
        int: how many markdown cells need translating.
    """
    en = nbformat.read(str(en_path), 4)
    ja_path = Path(ja_path)
    old = nbformat.read(str(ja_path), 4) if ja_path.exists() else None
    translations = {}
    for cell in (_body(old) or []) if old is not None else []:
        key = cell.get('metadata', {}).get(META, {}).get('en_sha256')
        if cell['cell_type'] == 'markdown' and key:
            translations.setdefault(key, []).append(cell)
    out = copy.deepcopy(en)
    cells, todo = [language_cell()], 0
    for cell in out.cells:
        if cell['cell_type'] == 'markdown':
            done = translations.get(en_sha256(cell))
            if done:
                translated = done.pop(0)
                if 'id' in cell:
                    translated['id'] = cell['id']
                else:
                    translated.pop('id', None)
                cell = translated
            else:
                todo += 1
        cells.append(cell)
    out.cells = cells
    for cell in out.cells:
        if cell['cell_type'] == 'code':
            cell['outputs'], cell['execution_count'] = [], None
    ja_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(out, str(ja_path))
    return todo


def mark_translated(ja_path, en_path, indices):
    """Store the English hash on Japanese markdown cells just translated.

    Args:
        indices (iterable of int): Japanese cell indices (0 is the language cell).
    """
    en, ja = nbformat.read(str(en_path), 4), nbformat.read(str(ja_path), 4)
    for i in indices:
        cell = ja.cells[i]
        if cell['cell_type'] != 'markdown':
            raise ValueError('cell {} of {} is not markdown'.format(i, ja_path))
        cell.setdefault('metadata', {})[META] = {'en_sha256': en_sha256(en.cells[i - 1])}
    nbformat.write(ja, str(ja_path))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('english', help='the English chapters folder')
    parser.add_argument('japanese', help='the Japanese chapters folder')
    parser.add_argument('--update', nargs='*', metavar='NN',
                        help='rewrite these Japanese chapters (by number) from the English ones')
    args = parser.parse_args(argv)
    en_dir, ja_dir = Path(args.english), Path(args.japanese)
    if args.update is not None:
        for number in args.update:
            for en_path in sorted(en_dir.glob('{}_*.ipynb'.format(number))):
                todo = update(en_path, ja_dir / en_path.name)
                print('{}: {} markdown cell(s) to translate'.format(en_path.name, todo))
        return 0
    names = sorted({p.name for p in en_dir.glob('[0-9][0-9]_*.ipynb')}
                   | {p.name for p in ja_dir.glob('[0-9][0-9]_*.ipynb')})
    found = [line for name in names for line in problems(en_dir / name, ja_dir / name)]
    print('\n'.join(found) if found else 'the editions are in step ({} chapters)'.format(
        len(names)))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
