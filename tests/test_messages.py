"""The message catalogue (seglearn.messages): every English message has a Japanese one, with the
same format fields; check() and make check's table speak Japanese when asked and keep their
English otherwise, aligned by display width either way; seglearn.config.language is checked."""
import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy
import pytest

import seglearn
from seglearn import config, messages
from seglearn.course import grader
from seglearn.exercises import FAILED, PASSED, Result, all_exercises, check, core
from seglearn.messages import ja
from seglearn.messages.width import ljust, truncate, width, wrap

PACKAGE = Path(seglearn.__file__).parent
MARKERS = {'_', 'N_', 'gettext', 'gettext_noop'}
SEEDS = range(5)       # random case labels are drawn with these seeds


# --------------------------------------------------------------------------- what is shown

def code_messages(root=PACKAGE):
    """{English message: 'file:line'} of every literal passed to gettext (``_``) or
    gettext_noop (``N_``) in the package's code."""
    found = {}
    for path in sorted(root.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.setdefault(node.args[0].value, '{}:{}'.format(
                    path.relative_to(root.parent), node.lineno))
    return found


def exercise_texts():
    """{text: where} for every exercise's title, hint, case label and hint (fixed cases, and the
    random ones drawn with each of SEEDS), property description and hint, and mistake hint."""
    found = {}
    for ex in all_exercises():
        texts = [('title', ex.title), ('hint', ex.hint)]
        for seed in SEEDS:
            texts += [(part, text) for case, _ in ex.all_cases(seed)
                      for part, text in (('label', case.label), ('case hint', case.hint))]
        texts += [(part, text) for prop in ex.properties
                  for part, text in (('property', prop.description),
                                     ('property hint', prop.hint))]
        texts += [('mistake hint', hint) for _, hint in ex.mistakes]
        for part, text in texts:
            if text:
                found.setdefault(text, '{} ({})'.format(ex.qualname, part))
    return found


EXERCISE_MODULES = sorted((PACKAGE / 'exercises').glob('ch*.py')) + [
    PACKAGE / 'exercises' / 'probes.py']
# A word, a space and a word or field: English prose, not a name, a list of names or a separator
# (' (ksize, stride, pad)', '{}: {}', ' or ').
_PROSE = re.compile(r'[A-Za-z]{2,} [A-Za-z{(]')


def unmarked_failure_texts(source, where='<source>'):
    """``['where:line: text']`` for each English literal in what a function of ``source``
    returns (a check's or probe's failure reason, ``{'error': …}`` included) that is not passed
    to gettext or gettext_noop: check() would show it in English whatever the language."""
    tree = ast.parse(source)
    marked = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id in MARKERS
              for arg in node.args}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            found += [(sub.lineno, '{}:{}: {!r}'.format(where, sub.lineno, sub.value))
                      for sub in ast.walk(node.value) if isinstance(sub, ast.Constant)
                      and isinstance(sub.value, str) and id(sub) not in marked
                      and _PROSE.search(sub.value)]
    return [text for _, text in sorted(found)]


def failure_texts_left_unmarked():
    """:func:`unmarked_failure_texts` of the exercise modules, less the exercise texts and label
    templates (case labels and hints built by a function, which check() translates as it shows
    them)."""
    shown = set(exercise_texts()) | set(ja.LABELS)
    out = []
    for path in EXERCISE_MODULES:
        out += [item for item in unmarked_failure_texts(path.read_text(encoding='utf-8'),
                                                        str(path.relative_to(PACKAGE.parent)))
                if ast.literal_eval(item.split(': ', 1)[1]) not in shown]
    return out


def untranslated(texts, language='ja'):
    """The texts (with where they come from) that have no translation into ``language``."""
    return ['{}: {!r}'.format(where, text) for text, where in texts.items()
            if messages.find(text, language) is None]


def field_mismatches(catalogue):
    """Entries whose translation has other format fields than the English, or that do not
    format with the same values."""
    bad = []
    for english, translated in catalogue.items():
        if sorted(messages.fields(english)) != sorted(messages.fields(translated)):
            bad.append('{!r}: fields {} in the translation, {} in the English'.format(
                english, messages.fields(translated), messages.fields(english)))
            continue
        names = [name for name, _, _ in messages.fields(english)]
        positional = [0.5] * (max([int(n) + 1 for n in names if n.isdigit()] or [0]))
        named = {n: 0.5 for n in names if not n.isdigit()}
        try:
            translated.format(*positional, **named)
        except (ValueError, IndexError, KeyError) as e:
            bad.append('{!r}: the translation does not format: {}'.format(english, e))
    return bad


@pytest.fixture
def japanese():
    with config.using_language('ja'):
        yield


# --------------------------------------------------------------------------- completeness

def test_every_message_of_the_code_has_a_japanese_one():
    found = code_messages()
    assert len(found) > 50 and 'All {} checks passed. ✔' in found
    missing = ['{}: {!r}'.format(where, text) for text, where in found.items()
               if text not in ja.MESSAGES]
    assert not missing, 'no Japanese for:\n' + '\n'.join(missing)


def test_no_module_that_translates_with_underscore_rebinds_it():
    """``_, x, _ = …`` in a module that imports gettext as ``_`` turns every later ``_('…')`` of
    that function into a call of the tuple's item."""
    rebound = []
    for path in sorted(PACKAGE.rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        if any(isinstance(node, ast.ImportFrom) and node.module == 'seglearn.messages'
               and any(alias.asname == '_' for alias in node.names) for node in ast.walk(tree)):
            rebound += ['{}:{}'.format(path.relative_to(PACKAGE.parent), node.lineno)
                        for node in ast.walk(tree) if isinstance(node, ast.Name)
                        and node.id == '_' and isinstance(node.ctx, ast.Store)]
    assert not rebound, rebound


def test_every_exercise_text_has_a_japanese_one():
    texts = exercise_texts()
    assert len(texts) > 300
    missing = untranslated(texts)
    assert not missing, 'no Japanese in seglearn/messages/ja.py for:\n' + '\n'.join(missing)


def test_a_new_english_hint_without_a_translation_is_named(monkeypatch):
    texts = exercise_texts()
    hint = 'A new hint nobody translated yet.'
    assert untranslated({**texts, hint: 'ch99.new (hint)'}) == [
        'ch99.new (hint): {!r}'.format(hint)]
    ex = all_exercises('ch00')[0]
    monkeypatch.delitem(ja.MESSAGES, ex.hint)
    assert untranslated(texts) == ['{} (hint): {!r}'.format(ex.qualname, ex.hint)]


def test_every_failure_reason_of_the_exercises_goes_through_the_catalogue():
    """The reasons a check gives (``return gettext('… {}').format(…)``) are collected with the
    other marked messages, so each needs its Japanese entry; an unmarked one would stay English."""
    left = failure_texts_left_unmarked()
    assert not left, 'failure reasons not passed to gettext:\n' + '\n'.join(left)
    found = code_messages()
    assert sum('seglearn/exercises/ch' in where or 'probes.py' in where
               for where in found.values()) >= 50
    assert found['2. the bilinear kernel of {} taps has phase sums {} at stride {}: a constant '
                 'input comes out striped'].startswith('seglearn/exercises/ch03.py:')


def test_a_new_failure_reason_without_a_translation_is_named(monkeypatch):
    source = ('def _holds(fn):\n'
              '    if fn(1) != 2:\n'
              '        return "fn(1) gave {}, expected 2".format(fn(1))\n'
              '    if fn(2) != 3:\n'
              '        return {"error": gettext("fn(2) is not 3")}\n'
              '    return fn(3) == 4 or "a new reason"\n')
    assert unmarked_failure_texts(source, 'ch99.py') == [
        "ch99.py:3: 'fn(1) gave {}, expected 2'", "ch99.py:6: 'a new reason'"]
    assert unmarked_failure_texts('def f():\n    return "{}: {}".format(1, " or ")\n') == []
    template = 'k = {}: the weights {} are not symmetric'
    monkeypatch.delitem(ja.MESSAGES, template)
    missing = [text for text in code_messages() if text not in ja.MESSAGES]
    assert missing == [template]


def test_every_entry_is_still_shown_somewhere():
    """An entry whose English changed or went away is dead: the English now shown has none."""
    shown = set(code_messages()) | set(exercise_texts())
    dead = [text for text in ja.MESSAGES if text not in shown]
    assert not dead, 'entries nothing shows any more (the English changed?):\n' + '\n'.join(
        map(repr, dead))
    labels = [text for text, where in exercise_texts().items() if '(label)' in where]
    unused = [template for pattern, template, _ in messages._label_patterns('ja')
              if not any(pattern.match(label) for label in labels)]
    assert not unused, 'label templates that match no label: {}'.format(unused)


def test_format_fields_agree_between_the_languages():
    assert not field_mismatches(ja.MESSAGES), '\n'.join(field_mismatches(ja.MESSAGES))
    assert not field_mismatches(ja.LABELS), '\n'.join(field_mismatches(ja.LABELS))
    assert field_mismatches({'{} of {} values': '{} 個の値'}) == [
        "'{} of {} values': fields [('0', None, '')] in the translation, "
        "[('0', None, ''), ('1', None, '')] in the English"]
    assert field_mismatches({'{} of {}': '{1} 件中 {} 件'}) and not field_mismatches(
        {'{} of {}': '{1} 件中 {0} 件'})      # manual and automatic numbering do not mix


def test_english_texts_are_one_column_per_character():
    """So that padding by display width leaves every English line as it was."""
    wide = [text for text in list(ja.MESSAGES) + list(exercise_texts()) if width(text) != len(text)]
    assert not wide, wide


# --------------------------------------------------------------------------- lookups

def test_gettext_follows_the_language():
    assert messages.gettext('values differ') == 'values differ'
    with config.using_language('ja'):
        assert messages.gettext('values differ') == '値が違います'
        assert messages.gettext('not in the catalogue') == 'not in the catalogue'
        assert messages.gettext('{} of {} {}').format(2, 5, '固定ケース') == '固定ケース 5 件中 2 件'
    assert messages.gettext('values differ') == 'values differ'


def test_labels_formatted_with_values_are_translated_through_their_template():
    label = 'border_weight_map(3 cells on 33×35, w0=5.0, sigma=2.0)'
    assert messages.find(label, 'ja') == 'border_weight_map(33×35 上の 3 個の細胞, w0=5.0, sigma=2.0)'
    assert messages.find('weighted_cross_entropy(logits (1, 2), 30% of the pixels ignored)',
                         'ja') == 'weighted_cross_entropy(ロジット (1, 2), 画素の 30% を無視)'
    assert messages.find('border_weight_map(3 cells)', 'ja') is None
    assert messages.find(label, 'en') is None
    with config.using_language('ja'):
        assert messages.exercise_text(None) is None
        assert messages.exercise_text('t99_scale(3)') == 't99_scale(3)'


# --------------------------------------------------------------------------- config.language

def _import_with(lang):
    env = dict(os.environ, SEGLEARN_LANG=lang)
    return subprocess.run([sys.executable, '-c', 'import seglearn.config as c; print(c.language)'],
                          env=env, capture_output=True, text=True)


def test_language_comes_from_seglearn_lang_before_import():
    assert _import_with('ja').stdout.strip() == 'ja'
    assert _import_with('').stdout.strip() == 'en'
    run = _import_with('jp')
    assert run.returncode != 0
    assert "ValueError: seglearn.config.language must be one of 'en', 'ja'; got 'jp'" in run.stderr


def test_language_is_checked_when_it_is_set():
    assert config.language == 'en'
    with pytest.raises(ValueError, match="one of 'en', 'ja'; got 'fr'"):
        seglearn.config.language = 'fr'
    assert config.language == 'en'
    with pytest.raises(ValueError, match="got 'JA'"):
        with config.using_language('JA'):
            pass
    seglearn.config.language = 'ja'
    try:
        assert messages.gettext('passed') == '合格'
    finally:
        seglearn.config.language = 'en'
    with config.using_language('ja'):
        assert config.language == 'ja'
    assert config.language == 'en'


# --------------------------------------------------------------------------- check()

def to_chw(img):
    return img.transpose(2, 0, 1).astype(numpy.float32)


def _rescaled(img):
    return img.transpose(2, 0, 1).astype(numpy.float32) / 255


def test_check_speaks_japanese_for_a_right_answer(japanese, capsys):
    result = check(to_chw)
    out = capsys.readouterr().out
    assert result.status == PASSED            # the status itself stays English
    n = len(result.cases)
    assert out.splitlines()[0] == 'ch00.to_chw: uint8 の HWC 画像 → float32 の CHW、値は 0–255'
    assert '✔ to_chw(1 画素 [255, 0, 7])' in out and '✔ ランダムケース' in out
    assert '✔ 性質: 入力を書き換えない' in out
    assert out.strip().endswith('{} 件のチェックにすべて合格しました。✔'.format(n))
    assert 'passed' not in out and 'random cases' not in out


def test_check_speaks_japanese_for_a_wrong_answer(japanese):
    details = check(_rescaled, name='to_chw', verbose=False).details
    assert '✘ to_chw(2×5×3、高さ ≠ 幅)' in details
    assert '    期待値:     array(' in details and '    戻り値:     array(' in details
    assert re.search(r'不合格: 固定ケース 3 件中 3 件、ランダムケース \d+ 件中 \d+ 件', details)
    assert 'ヒント: このコースでは画素値を 0–255 のまま扱います。スケールを変えないでください。' in details
    assert 'Hint' not in details and 'expected' not in details and 'values differ' not in details


def _to_chw_in_place(img):
    out = img.transpose(2, 0, 1).astype(numpy.float32)
    img[...] = 0
    return out


def test_check_gives_an_exercise_s_failure_reason_in_japanese(japanese):
    details = check(_to_chw_in_place, name='to_chw', verbose=False).details
    assert '✘ 性質: 入力を書き換えない' in details
    assert '関数が受け取った画像を書き換えています' in details and 'your function' not in details


def test_check_keeps_an_exercise_s_failure_reason_in_english():
    details = check(_to_chw_in_place, name='to_chw', verbose=False).details
    assert 'your function changed the image it was given' in details


def test_check_keeps_its_english(capsys):
    result = check(_rescaled, name='to_chw')
    out = capsys.readouterr().out
    assert result.status == FAILED
    assert '✘ to_chw(2×5×3, height ≠ width)' in out
    assert '    expected:   array(' in out and '    got:        array(' in out
    assert 'Hint: The course keeps pixel values in 0–255; do not rescale.' in out
    assert all(width(line) == len(line) for line in out.splitlines()), 'no wide character'
    check(to_chw)
    assert capsys.readouterr().out.strip().endswith('checks passed. ✔')


# --------------------------------------------------------------------------- alignment

def _column(line, text):
    """The display column where ``text`` starts in ``line``."""
    return width(line[:line.index(text)])


def test_japanese_verdicts_stay_aligned_by_display_width(japanese):
    details = check(_rescaled, name='to_chw', verbose=False).details
    lines = details.splitlines()
    expected = [i for i, line in enumerate(lines) if line.startswith('    期待値:')]
    assert expected
    for i in expected:       # the values of 期待値 and 戻り値 start in the same column
        got = next(j for j in range(i + 1, len(lines)) if lines[j].startswith('    戻り値:'))
        assert _column(lines[i], 'array(') == _column(lines[got], 'array(') == 16
        rows = lines[i + 1:got]           # an array's further rows sit under its first bracket
        assert all(_column(row, '[') >= _column(lines[i], '[') + 1 for row in rows)
    assert max(width(line) for line in lines) <= core.WIDTH


@pytest.mark.parametrize('language', ['en', 'ja'])
def test_every_label_s_value_starts_in_one_column(language):
    """'one answer:' (正解の一例:) is the widest label: 'got:' (戻り値:) is padded to it."""
    with config.using_language(language):
        for any_answer in (False, True):
            lines = core.CaseResult('f(3)', False, expected='(5, 3, 1)', actual='(6, 3, 1)',
                                    any_answer=any_answer).lines()
            assert _column(lines[1], '(5') == _column(lines[2], '(6') == 16, lines


def test_long_japanese_lines_wrap_by_display_width_under_their_text(japanese, monkeypatch):
    ex = all_exercises('ch00')[0]
    monkeypatch.setitem(ja.MESSAGES, ex.hint, '転置畳み込みの出力サイズは s(n−1)+k−2p です。' * 6)
    details = check(_rescaled, name='to_chw', verbose=False).details
    lines = details.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('ヒント: 転置畳み込み'))
    hint = lines[start:]
    assert len(hint) > 2 and max(width(line) for line in lines) <= core.WIDTH
    assert all(line.startswith(' ' * (width('ヒント: ') + 2)) and not line.strip().startswith('。')
               for line in hint[1:])
    assert max(width(line) for line in hint) > core.WIDTH - 4     # lines are filled, not cut short


def test_width_helpers():
    assert width('ヒント: ok') == 10 and width('✔ ✘ ○ × → …') == 11 and width('e\u0301') == 1
    assert ljust('期待値:', 9) == '期待値:  ' and ljust('expected:', 4) == 'expected:'
    assert truncate('abcdefgh', 5) == 'abcd…' and truncate('あいうえお', 5) == 'あい…'
    assert truncate('あいう', 6) == 'あいう'
    assert wrap('あいうえ。かきくけ', 8, '  ') == ['あいう', '  え。か', '  きくけ']
    assert wrap('あいうえ)かきくけ', 8, '  ') == ['あいう', '  え)か', '  きくけ']
    assert wrap('あいう「えお', 8, '  ') == ['あいう', '  「えお']
    assert wrap('あい word うえ', 8, '  ') == ['あい', '  word', '  うえ']
    assert wrap('x' * 25, 10, '  ') == ['x' * 10, '  ' + 'x' * 8, '  ' + 'x' * 7]


def _results():
    return [Result('ch00.to_chw', PASSED),
            Result('ch00.class_counts', FAILED, [core.CaseResult(
                'class_counts(ラベル)', False, message='値が違います' * 20)])]


def test_the_grader_table_is_aligned_by_display_width(japanese):
    table = grader.format_table(_results()).splitlines()
    assert table[0].split() == ['章', '演習', '状態', '最初の不合格']
    columns = {_column(line, cell) for line, cell in zip(table[2:], ['合格', '不合格'])}
    assert columns == {_column(table[0], '状態')}       # the status column, head and rows
    assert _column(table[3], 'class_counts') == _column(table[0], '演習')
    failure = table[3][table[3].index('class_counts('):]
    assert failure.endswith('…') and 69 <= width(failure) <= 70       # cut by display width
    assert [len(rule) for rule in table[1].split()] == [
        4, len('class_counts'), width('不合格'), width(failure)]
    assert grader.summary_line(_results()) == '演習 2 件: 合格 1、不合格 1'


def test_the_grader_table_keeps_its_english():
    table = grader.format_table(_results()).splitlines()
    assert table[0] == 'chapter  exercise      status  first failing case'
    assert table[2] == 'ch00     to_chw        passed'
    assert grader.summary_line(_results()) == '2 exercises: 1 passed, 1 failed'


def test_make_check_grades_a_japanese_chapter_in_japanese(tmp_path, capsys, japanese):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import seglearn\nseglearn.config.language = 'ja'"),
        nbformat.v4.new_code_cell('def to_chw(img):\n'
                                  '    return img.transpose(2, 0, 1).astype(numpy.float32) / 255',
                                  metadata={'tags': ['exercise']})]
    nbformat.write(nb, str(tmp_path / '00_setup.ipynb'))
    status = grader.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1
    assert re.search(r'\nch00 +to_chw +不合格 +to_chw\(2×2×3 のランプ\): \d+ 個中 \d+ 個の値が違います',
                     out), out
    assert re.search(r'\nch00 +class_counts +見つからない +class_counts\(\) を定義する演習セルがありません\n',
                     out), out
    assert re.search(r'\n演習 \d+ 件: 不合格 1、.*見つからない', out) and 'exercises' not in out


# --------------------------------------------------------------------------- the command line

def test_the_command_line_speaks_japanese(japanese, capsys, monkeypatch):
    from seglearn import cli
    monkeypatch.setenv('COLUMNS', '80')
    assert cli.main(['train', '--help']) == 0
    help_text = capsys.readouterr().out
    assert '位置引数:' in help_text and 'オプション:' in help_text
    assert '  -h, --help            このヘルプを表示して終了する' in help_text
    assert '訓練画像を何周するか' in help_text and 'passes over' not in help_text
    options = help_text.split('オプション:\n')[1].split('\n\n')[0].splitlines()
    assert len(options) > 20 and max(map(width, options)) <= 80   # wrapped by display width
    assert cli.main(['train', 'unet', '--data', 'bogus']) == 2
    err = capsys.readouterr().err
    assert err.startswith("seglearn train: エラー: --data 'bogus' は使えません: shapes, cells か、")
    assert len(err.splitlines()) == 1
    assert cli.main(['train', 'unet', '--data', 'cells', '--epochs', '0']) == 2
    assert "正の整数でなければなりません ('0' が指定されました)" in capsys.readouterr().err


def test_argparse_s_own_messages_speak_japanese(japanese, capsys, monkeypatch):
    from seglearn import cli
    monkeypatch.setenv('COLUMNS', '80')
    assert cli.main(['nosuch']) == 2
    assert "エラー: 引数 COMMAND: 無効な選択肢: 'nosuch' ('train'" in capsys.readouterr().err
    assert cli.main(['train', 'unet']) == 2
    assert 'エラー: 次の引数が必要です: --data' in capsys.readouterr().err
    assert cli.main(['train', 'unet', '--data', 'cells', '--optimizer']) == 2
    assert '引数 --optimizer: 値が 1 つ必要です' in capsys.readouterr().err
    assert cli.main(['train', '--help']) == 0
    usage = capsys.readouterr().out.split('\n\n')[0].splitlines()
    assert usage[0].startswith('使い方: seglearn train [-h]') and len(usage) > 1
    # the usage's further lines start under its first argument, by display width
    assert {len(line) - len(line.lstrip()) for line in usage[1:]} == {
        width('使い方: seglearn train ')}
    assert argparse._('usage: ') == 'usage: '     # argparse itself is left as it was


def test_the_command_line_keeps_its_english(capsys, monkeypatch):
    from seglearn import cli
    monkeypatch.setenv('COLUMNS', '80')
    assert cli.main(['--help']) == 0
    out = capsys.readouterr().out
    assert 'positional arguments:' in out and 'show this help message and exit' in out
    assert all(width(line) == len(line) for line in out.splitlines())
    assert cli.main(['train', 'unet', '--data', 'bogus']) == 2
    assert capsys.readouterr().err.startswith("seglearn train: error: bad --data 'bogus': use ")
