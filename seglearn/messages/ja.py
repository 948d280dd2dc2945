"""The Japanese catalogue: English text (or template) → Japanese, です・ます調, in the terms of
``chapters/ja/GLOSSARY.md``.

``MESSAGES`` holds the texts of seglearn's own code (``check()``'s verdicts and summary, where
the answer runs, ``make check``'s table, the command line) and, after them, every exercise's
title, hints, case labels and property descriptions, exercise by exercise in course order (the
exercise modules keep their English; :mod:`seglearn.messages` translates them when they are
shown). ``LABELS`` holds the templates of the case labels formatted with values (the random
cases' and a few fixed ones'); an entry that translates to itself says its label has nothing to
translate. ``tests/test_messages.py`` holds this file to the English texts, both ways.
"""

MESSAGES = {
    # check(): statuses, verdicts, summary (seglearn.exercises.core and judge)
    'passed': '合格',
    'failed': '不合格',
    'not attempted': '未着手',
    'missing': '見つからない',
    'timed out': '時間切れ',
    'crashed': 'クラッシュ',
    'fixed cases': '固定ケース',
    'random cases': 'ランダムケース',
    'properties': '性質',
    'expected:': '期待値:',
    'got:': '戻り値:',
    'one answer:': '正解の一例:',
    '  (not run: {})': '  (実行していません: {})',
    '{} {}/{} random cases': '{} ランダムケース {}/{} 件',
    '  … and {} more failing {}': '  … ほかに{1}が {0} 件不合格です',
    'All {} checks passed. ✔': '{} 件のチェックにすべて合格しました。✔',
    '{} of {} {}': '{2} {1} 件中 {0} 件',
    'Failed: {}.': '不合格: {}。',
    ', ': '、',
    'Hint: ': 'ヒント: ',
    'property: {}': '性質: {}',
    'does not hold': '成り立ちません',
    '(a later case)': '(後のケース)',
    "written without the package's finished answer": 'パッケージの完成品を使わずに書かれている',
    "written without the checker's reference": 'チェッカーの模範解答を使わずに書かれている',
    'your code calls {}: that is the answer itself; write it with NumPy/Chainer building blocks':
        'あなたのコードは {} を呼んでいます。それは答えそのものです。NumPy や Chainer '
        'の部品で書いてください',
    "your answer is the checker's own reference (get_exercise({!r}).reference), derives from "
    'it or runs its code: write the answer yourself':
        'あなたの解答はチェッカーの模範解答 (get_exercise({!r}).reference) そのものか、'
        'それから派生したものか、そのコードを実行しています。解答は自分で書いてください',
    'your function raised {}': 'あなたの関数が {} を送出しました',
    'your function raised NotImplementedError':
        'あなたの関数が NotImplementedError を送出しました',
    ' (line {} of your code)': ' (あなたのコードの {} 行目)',
    'checker error (not your fault, please report it): {}':
        'チェッカーのエラーです (あなたの誤りではありません。報告をお願いします): {}',
    'the reference raised {}': '模範解答が {} を送出しました',
    '{} while judging your value': 'あなたの値を判定中に {}',
    '{}; your last value was {}': '{}。あなたの関数が最後に返した値は {} です',
    '○ {}: not attempted yet (the stub raises NotImplementedError). Write your answer in the '
    'cell and run check() again.':
        '○ {}: まだ解答されていません (スタブが NotImplementedError を送出します)。'
        'セルに解答を書いて、もう一度 check() を実行してください。',
    'Stopped: {}. The remaining checks were not run.':
        '中断しました: {}。残りのチェックは実行していません。',
    'check() needs the function itself, e.g. check(my_function); got {!r}':
        'check() には関数そのものを渡してください (例: check(my_function))。渡されたのは {!r} '
        'です',
    'no exercise named {!r}{}. check() finds the exercise by the function name: keep the name '
    'of the stub, or pass name=.':
        '{!r} という名前の演習はありません{}。check() は関数名で演習を探します。'
        'スタブの名前のままにするか、name= を渡してください。',
    '; did you mean {}?': ' ({} のことですか？)',
    # the type policy (seglearn.exercises.core)
    'values differ': '値が違います',
    'expected an int, got {} {}': 'int が必要ですが、{} {} です',
    'expected a tuple or list, got {} {}': 'tuple か list が必要ですが、{} {} です',
    'expected {} values, got {}: {}': '値が {} 個必要ですが、{} 個です: {}',
    'expected an array, got {}': '配列が必要ですが、{} です',
    'expected shape {}, got shape {}': '形状 {} が必要ですが、形状 {} です',
    'expected numbers, got dtype {}': '数値が必要ですが、dtype が {} です',
    'expected an integer array, got dtype {}': '整数の配列が必要ですが、dtype が {} です',
    'expected a boolean array, got dtype {}': '真偽値の配列が必要ですが、dtype が {} です',
    'expected dtype {}, got {}': 'dtype {} が必要ですが、{} です',
    'expected True or False, got {}': 'True か False が必要ですが、{} です',
    'expected a number, got {} {}': '数値が必要ですが、{} {} です',
    'item {}: {}': '要素 {}: {}',
    'expected a dict, got {}': 'dict が必要ですが、{} です',
    'missing keys {}': 'キー {} がありません',
    'expected a {}, got {}': '{} が必要ですが、{} です',
    '{} of {} values differ; first at index {}: expected {:.6g}, got {:.6g}':
        '{1} 個中 {0} 個の値が違います。最初はインデックス {2} で、期待値 {3:.6g}、戻り値 '
        '{4:.6g}',
    '<{} whose repr raised {}>': '<repr が {1} を送出した {0}>',
    # where the answer runs (seglearn.exercises.sandbox)
    'no answer within {:g} s (an endless loop?)':
        '{:g} 秒以内に答えが返りませんでした (無限ループ？)',
    "the answer did not arrive in full within {:g} s (did your code write into the checker's "
    'pipe?)':
        '答えが {:g} 秒以内に全部届きませんでした (コードがチェッカーのパイプに書き込みましたか'
        '？)',
    'the process running your code sent an unreadable answer (did your code write into the '
    "checker's pipe?)":
        'あなたのコードを実行しているプロセスが読めない答えを送ってきました '
        '(コードがチェッカーのパイプに書き込みましたか？)',
    '{}; the process running it was stopped': '{}。そのコードを実行していたプロセスは停止しました',
    'the process running your code stopped answering':
        'あなたのコードを実行しているプロセスが応答しなくなりました',
    'your code ended the process running it (exit code {}, e.g. os._exit({}))':
        'あなたのコードが、それを実行しているプロセスを終了させました (終了コード {}、例えば '
        'os._exit({}))',
    'signal {}': 'シグナル {}',
    ' (os.abort() or a failed assertion in native code)':
        ' (os.abort() か、ネイティブコードでのアサーションの失敗)',
    ' (a crash in native code)': ' (ネイティブコードでのクラッシュ)',
    ' (out of memory?)': ' (メモリ不足？)',
    'the process running your code was killed by {}{}':
        'あなたのコードを実行しているプロセスが {} で強制終了されました{}',
    'your function called sys.exit({}) (or exit()): an answer must return its value':
        'あなたの関数が sys.exit({}) (または exit()) を呼びました。解答は値を return '
        'してください',
    'your function called exit(): an answer must return its value':
        'あなたの関数が exit() を呼びました。解答は値を return してください',
    # make check's table (seglearn.course.grader)
    'chapter': '章',
    'exercise': '演習',
    'status': '状態',
    'first failing case': '最初の不合格',
    '{n} exercises: {counts}': '演習 {n} 件: {counts}',
    '{n} {status}': '{status} {n}',
    "{}'s exercise cell": '{} の演習セル',
    'no exercise cell defines {}()': '{}() を定義する演習セルがありません',
    'no notebook {}': 'ノートブック {} がありません',
    'grading {} failed: {}: {}': '{} の採点に失敗しました: {}: {}',

    # the command line (seglearn.cli): --help and its one-line errors
    'positional arguments': '位置引数',
    'options': 'オプション',
    'show this help message and exit': 'このヘルプを表示して終了する',
    'usage: ': '使い方: ',
    'argument %(argument_name)s: %(message)s': '引数 %(argument_name)s: %(message)s',
    'unrecognized arguments: %s': '認識できない引数: %s',
    'not allowed with argument %s': '引数 %s とは同時に使えません',
    'ignored explicit argument %r': '明示された引数 %r は無視されました',
    'the following arguments are required: %s': '次の引数が必要です: %s',
    'one of the arguments %s is required': '引数 %s のどれか 1 つが必要です',
    'expected one argument': '値が 1 つ必要です',
    'expected at most one argument': '値は多くても 1 つです',
    'expected at least one argument': '値が 1 つ以上必要です',
    'ambiguous option: %(option)s could match %(matches)s':
        'あいまいなオプション: %(option)s は %(matches)s のどれにも当てはまります',
    'invalid %(type)s value: %(value)r': '%(type)s の値として無効です: %(value)r',
    'invalid choice: %(value)r (choose from %(choices)s)':
        '無効な選択肢: %(value)r (%(choices)s から選んでください)',
    'Semantic segmentation from the papers, in Chainer: train, evaluate and run FCN, U-Net and '
    'FC-DenseNet.':
        '論文から学ぶセマンティックセグメンテーション (Chainer): FCN、U-Net、FC-DenseNet '
        'を学習し、評価し、実行します。',
    'train a model': 'モデルを学習する',
    'Train a model; writes log, loss/mIoU plots, snapshot.npz (resumable), best_model.npz and '
    'model.npz to --out.':
        'モデルを学習します。ログ、損失と mIoU のグラフ、snapshot.npz (再開用)、best_model.npz、'
        'model.npz を --out に書き出します。',
    'the architecture: {}': 'アーキテクチャ: {}',
    "passes over the training images (built-in data: the recipe's; real data: 10)":
        '訓練画像を何周するか (組み込みデータ: レシピの値、実データ: 10)',
    "built-in data: the recipe's; real data: 4": '組み込みデータ: レシピの値、実データ: 4',
    '@numpy (CPU), @cupy:0 (GPU 0), -1, 0, … (default: GPU if usable)':
        '@numpy (CPU)、@cupy:0 (GPU 0)、-1、0、… (既定: 使えれば GPU)',
    'output folder (default: result)': '出力フォルダ (既定: result)',
    'continue from OUT/snapshot.npz if it exists': 'OUT/snapshot.npz があればそこから再開する',
    "channel multiplier, e.g. 0.25 for a small fast model (built-in data: the recipe's; real "
    'data: 1)':
        'チャネル数の倍率。例えば 0.25 で小さく速いモデルになる (組み込みデータ: レシピの値、'
        '実データ: 1)',
    "U-Net depth (built-in data: the recipe's; real data: 4; the other models have none)":
        'U-Net の深さ (組み込みデータ: レシピの値、実データ: 4。ほかのモデルにはない)',
    "image size (built-in data: generated size, the recipe's; real data: resized, needed for "
    '--batch-size > 1 when image sizes differ, as in VOC)':
        '画像サイズ (組み込みデータ: 生成するサイズで、レシピの値。実データ: '
        'リサイズ後のサイズで、VOC のように画像サイズがそろっていないとき --batch-size > 1 '
        'には必要)',
    "number of training images (built-in data: the recipe's)":
        '訓練画像の数 (組み込みデータ: レシピの値)',
    "dropout ratio, 0 = off (built-in data: the recipe's; real data: the paper's)":
        'ドロップアウト率、0 = なし (組み込みデータ: レシピの値、実データ: 論文の値)',
    'number of validation images (built-in default 50)':
        '検証画像の数 (組み込みデータの既定は 50)',
    'default adam': '既定: adam',
    "learning rate (built-in data with Adam: the recipe's; else the optimizer's default)":
        '学習率 (組み込みデータで Adam のとき: レシピの値。それ以外: オプティマイザの既定値)',
    'seeds weights, shuffling and the built-in data (default 0)':
        '重み、シャッフル、組み込みデータの乱数シード (既定: 0)',
    "weight the loss with U-Net's border-emphasising weight map (data with cell instances: "
    'cells)':
        '損失を、境界を強調する U-Net の重みマップで重み付けする '
        '(細胞のインスタンスがあるデータ: cells)',
    "augment the training images with random left-right flips (built-in data: the recipe's, "
    'on; real data: off)':
        '訓練画像をランダムな左右反転で拡張する (組み込みデータ: レシピの値でオン、実データ: '
        'オフ)',
    'no progress bar': '進捗バーを表示しない',
    'score a saved model on a validation set': '保存したモデルを検証セットで評価する',
    'Print pixel accuracy, mean class accuracy, mean IoU, frequency-weighted IoU and per-class '
    'IoU.':
        '画素精度、クラス平均精度、mIoU、頻度で重み付けした IoU、クラスごとの IoU を表示します。',
    'a .npz written by seglearn train or save_model': 'seglearn train か save_model が書いた .npz',
    'as for train (the validation split)': 'train と同じ (検証用の分割)',
    'as for train': 'train と同じ',
    'built-in data: as for train': '組み込みデータ: train と同じ',
    'label images with a saved model': '保存したモデルで画像にラベルを付ける',
    'Write NAME_label.png (colours) and NAME_overlay.png for each image (NAME-2_… when two '
    'images share a name); images above {:,} pixels are predicted window by window.':
        '画像ごとに NAME_label.png (色分け) と NAME_overlay.png を書き出します (2 '
        'つの画像が同じ名前なら NAME-2_…)。{:,} 画素を超える画像はウィンドウごとに予測します。',
    'what is installed; is a GPU usable': '何がインストールされているか、GPU が使えるか',
    'Versions, GPU status, BLAS, compatibility patches and data folders.':
        'バージョン、GPU の状態、BLAS、互換性のためのパッチ、データフォルダを表示します。',
    "With the built-in data (shapes, cells) every option you leave out takes the course's "
    "laptop recipe for the model's family (seglearn.recipes), the settings its chapter trains "
    'with on the CPU, so the model learns in minutes:':
        '組み込みデータ (shapes, cells) では、指定しなかったオプションはすべて、'
        'そのモデルの系統に対する講座のノート PC 向けレシピ (seglearn.recipes)、つまりその章が '
        'CPU で学習するときの設定になり、モデルは数分で学習します:',
    'Measured on 2 CPU cores (benchmarks/RESULTS.md, "The command line\'s recipes"):':
        '2 コアの CPU での実測 (benchmarks/RESULTS.md の "The command line\'s recipes"):',
    'about 1½–2 minutes a model: fcn8s 95 s, fcn32s 90 s, unet 78–84 s, fcdensenet56 121 s':
        '1 モデルあたり約 1.5–2 分: fcn8s 95 秒、fcn32s 90 秒、unet 78–84 秒、fcdensenet56 121 '
        '秒',
    "Real data (NAME:PATH) gets the papers' widths and dropout.":
        '実データ (NAME:PATH) では論文の幅とドロップアウトを使います。',
    '{}: error: {}': '{}: エラー: {}',
    '{}: error: {}: {}{}': '{}: エラー: {}: {}{}',
    '\n{}: interrupted': '\n{}: 中断しました',
    '\ninterrupted: continue with the same command plus --resume':
        '\n中断しました: 同じコマンドに --resume を付けると続きから再開します',
    ' (out of memory: lower --batch-size, --size or --width)':
        ' (メモリ不足: --batch-size、--size、--width を小さくしてください)',
    ' (SEGLEARN_DEBUG=1 shows the traceback)': ' (SEGLEARN_DEBUG=1 でトレースバックを表示します)',
    'bad --data {!r}: use {}, or NAME:PATH with NAME one of {}':
        '--data {!r} は使えません: {} か、NAME:PATH (NAME は {} のいずれか) を指定してください',
    'must be a positive integer, got {!r}': '正の整数でなければなりません ({!r} が指定されました)',
    'must be a number in [0, 1), got {!r}':
        '[0, 1) の数でなければなりません ({!r} が指定されました)',
    'must be a positive finite number, got {!r}':
        '正の有限の数でなければなりません ({!r} が指定されました)',
    '--size {} is above the limit of {} pixels': '--size {} は上限の {} 画素を超えています',
    '{} {} is above the limit of {:,} images': '{} {} は上限の {:,} 枚を超えています',
    'data folder not found: {}': 'データフォルダが見つかりません: {}',
    '--batch-size {} is more than the {} training images':
        '--batch-size {} が訓練画像の数 {} を超えています',
    'the training images differ in size ({} sizes, e.g. {}): resize them with --size, or use '
    '--batch-size 1':
        '訓練画像のサイズがそろっていません ({} 種類、例えば {})。--size でリサイズするか、'
        '--batch-size 1 を使ってください',
    'a batch of {} images of {} pixels is {:,} pixels, above the limit of {:,}: lower '
    '--batch-size or --size':
        '{1} 画素の画像 {0} 枚のバッチは {2:,} 画素で、上限の {3:,} を超えています。'
        '--batch-size か --size を小さくしてください',
    '--depth {} halves the images {} times, but they are only {} pixels high or wide: use '
    '--depth {} or less, or a larger --size':
        '--depth {0} では画像を {1} 回半分にしますが、画像の高さか幅は {2} 画素しかありません。'
        '--depth {3} 以下にするか、--size を大きくしてください',
    'the model takes {} input channels but the data has {}':
        'モデルの入力チャネルは {} ですが、データは {} チャネルです',
    'cannot build {}: {}': '{} を構築できません: {}',
    'the model predicts {} classes but --data {} has {}':
        'モデルは {} クラスを予測しますが、--data {} には {} クラスあります',
    'image not found: {}': '画像が見つかりません: {}',
    'image {} is too large: {} pixels, above the limit of {:,}; crop or downscale it':
        '画像 {} は大きすぎます: {} 画素で、上限の {:,} を超えています。'
        '切り取るか縮小してください',
    'over 178 million': '1 億 7800 万超',
    'cannot read image {}: {}': '画像 {} を読めません: {}',
    '--out {} is a file, not a folder': '--out {} はフォルダではなくファイルです',
    'cannot write into --out {}: {}': '--out {} に書き込めません: {}',

    # ------------------------------ the exercises (seglearn/exercises/chNN.py), in course order
    # ch00.to_chw
    'uint8 HWC image → float32 CHW, 0–255': 'uint8 の HWC 画像 → float32 の CHW、値は 0–255',
    'Move the channel axis to the front with a transpose, then change the dtype; the values '
    'stay in 0–255.':
        '転置 (transpose) でチャネル軸を先頭に移し、dtype を変えます。値は 0–255 のままです。',
    'to_chw(2×2×3 ramp)': 'to_chw(2×2×3 のランプ)',
    'to_chw(one pixel [255, 0, 7])': 'to_chw(1 画素 [255, 0, 7])',
    'to_chw(2×5×3, height ≠ width)': 'to_chw(2×5×3、高さ ≠ 幅)',
    'Height and width must keep their order: (H, W, C) → (C, H, W).':
        '高さと幅の順序は保ちます: (H, W, C) → (C, H, W)。',
    'leaves its input unchanged': '入力を書き換えない',
    'transpose(2, 1, 0) also swaps height and width.':
        'transpose(2, 1, 0) では高さと幅まで入れ替わります。',
    'The course keeps pixel values in 0–255; do not rescale.':
        'このコースでは画素値を 0–255 のまま扱います。スケールを変えないでください。',
    'The values are right but the dtype must be float32.':
        '値は合っていますが、dtype は float32 でなければなりません。',
    # ch00.class_counts
    'pixels per class, ignoring -1': 'クラスごとの画素数 (-1 は無視)',
    'numpy.bincount counts non-negative integers; drop the -1 pixels first and ask for n_class '
    'bins.':
        'numpy.bincount は非負の整数を数えます。先に -1 の画素を除き、n_class '
        '個のビンを指定してください。',
    'Classes that never occur still get an entry (0).':
        '一度も現れないクラスにも要素 (0) があります。',
    '-1 marks pixels to ignore: they belong to no class.':
        '-1 は無視する画素の印です。どのクラスにも属しません。',
    'label % n_class turns -1 into the last class; drop ignored pixels instead.':
        'label % n_class では -1 が最後のクラスになってしまいます。'
        '無視する画素は取り除いてください。',
    'Without minlength the array is short when the last classes are absent.':
        'minlength がないと、最後のほうのクラスが現れないとき配列が短くなります。',
    # ch01.resize_label_nearest
    'label-safe resize by nearest neighbour': '最近傍によるラベルを壊さないリサイズ',
    'Do not interpolate: for each output row and column pick one input row and column (from '
    'the centres), then index the label with them.':
        '補間してはいけません。出力の各行・各列について入力の行と列を 1 つずつ '
        '(画素の中心から) 選び、それでラベルをインデックスします。',
    'resize_label_nearest(stripes 0|2|4 of 2×6, (2, 3))':
        'resize_label_nearest(2×6 の縞 0|2|4, (2, 3))',
    'Averaging neighbours 0 and 2 gives 1, a class that was never there.':
        '隣り合う 0 と 2 を平均すると 1 になります。そこになかったクラスです。',
    'resize_label_nearest(3×3 blocks with -1, (6, 6))':
        'resize_label_nearest(-1 を含む 3×3 のブロック, (6, 6))',
    'resize_label_nearest(3×5 ids 0..14, (6, 10))':
        'resize_label_nearest(3×5 の ID 0..14, (6, 10))',
    'resize_label_nearest(3×5 ids 0..14, (2, 3))': 'resize_label_nearest(3×5 の ID 0..14, (2, 3))',
    'Compare pixel centres, not top-left corners: output pixel i is centred at (i + 1/2)·H/h.':
        '左上の角ではなく画素の中心どうしを比べます: 出力画素 i の中心は (i + 1/2)·H/h です。',
    'This resizes the labels like an image: interpolation invents classes between neighbours. '
    'Copy one input pixel instead.':
        'これはラベルを画像のようにリサイズしています。'
        '補間は隣どうしの間に存在しないクラスを作ります。入力の画素を 1 つコピーしてください。',
    'Index i·H//h lines up the top-left corners, not the centres; the result drifts by up to a '
    'pixel.':
        'インデックス i·H//h では中心ではなく左上の角がそろいます。結果は最大 1 画素ずれます。',
    # ch01.confusion_matrix
    'confusion matrix (rows = truth), ignoring -1': '混同行列 (行 = 正解)、-1 は無視',
    'Keep the pixels with gt >= 0, then count each pair (t, p); numpy.bincount of t·n_class + '
    'p does all pairs at once.':
        'gt >= 0 の画素だけを残し、組 (t, p) をそれぞれ数えます。t·n_class + p の '
        'numpy.bincount で全部の組を一度に数えられます。',
    'Pixels whose truth is -1 are not counted at all.': '正解が -1 の画素はまったく数えません。',
    'The matrix is n_class × n_class even when some classes never occur.':
        '現れないクラスがあっても、行列は n_class × n_class です。',
    'Rows are the truth and columns the prediction: this is the transpose.':
        '行が正解、列が予測です。これは転置になっています。',
    'The -1 pixels were counted (as the last class): drop them.':
        '-1 の画素が (最後のクラスとして) 数えられています。取り除いてください。',
    # ch01.mean_iou
    'mean IoU with the ignore label and absent classes':
        '無視ラベルと現れないクラスを考慮した mIoU',
    'Build the confusion matrix first (ignoring -1): intersection = diagonal, union = row sum '
    '+ column sum − diagonal; average over classes with a non-zero union.':
        'まず混同行列を作ります (-1 は無視)。共通部分 = 対角成分、和集合 = 行和 + 列和 − '
        '対角成分です。和集合が 0 でないクラスについて平均します。',
    'A pixel with gt = -1 is not part of any union: leave it out before counting, prediction '
    'included.':
        'gt = -1 の画素はどの和集合にも入りません。数える前に、予測も含めて取り除いてください。',
    'Classes 2, 3, 4 occur nowhere: they are not 0 % right, they have no IoU.':
        'クラス 2, 3, 4 はどこにも現れません。正解率 0 % なのではなく、IoU がないのです。',
    'The -1 pixels still count through their predictions; remove them from pred as well.':
        '-1 の画素が予測を通じてまだ数えられています。pred からも取り除いてください。',
    'Absent classes were averaged in as 0; leave them out.':
        '現れないクラスが 0 として平均に入っています。除いてください。',
    # ch02.softmax
    'numerically stable, xp-agnostic softmax': '数値的に安定で xp に依存しないソフトマックス',
    'xp = chainer.backend.get_array_module(x) gives numpy or cupy; use xp.exp, subtract '
    'x.max(axis=axis, keepdims=True) first, and divide by the sum along the same axis.':
        'xp = chainer.backend.get_array_module(x) で numpy か cupy が得られます。xp.exp を使い、'
        '先に x.max(axis=axis, keepdims=True) を引き、同じ軸に沿った和で割ります。',
    'Subtracting the maximum along the axis changes nothing mathematically and keeps exp() '
    'finite.':
        '軸に沿った最大値を引いても数学的には何も変わらず、exp() が有限に保たれます。',
    'finite on logits of ±1000': '±1000 のロジットでも有限',
    'CuPy in → CuPy out': 'CuPy を入れると CuPy が返る',
    'exp() of large logits overflows: subtract the maximum first.':
        '大きなロジットの exp() はオーバーフローします。先に最大値を引いてください。',
    'The sum must run along `axis` only (keepdims=True keeps the shapes broadcastable).':
        '和は `axis` に沿ってだけ取ります (keepdims=True '
        'でブロードキャストできる形状が保たれます)。',
    # ch02.one_hot
    'one-hot (n_class, H, W) with the ignore label, xp-agnostic':
        '無視ラベルを考慮した xp に依存しない one-hot (n_class, H, W)',
    'Compare the label with every class at once: label[None] == xp.arange(n_class) shaped '
    '(n_class, 1, 1) broadcasts to (n_class, H, W); -1 equals no class.':
        'ラベルを全クラスと一度に比べます: label[None] == xp.arange(n_class) を (n_class, 1, '
        '1) の形にすると (n_class, H, W) にブロードキャストされます。-1 '
        'はどのクラスとも等しくなりません。',
    'A -1 pixel must be zero in every channel; eye(n)[-1] picks the last row.':
        '-1 の画素はすべてのチャネルで 0 でなければなりません。eye(n)[-1] は最後の行を選びます。',
    'The class axis comes first.': 'クラスの軸が先頭です。',
    'Indexing eye(n) with -1 gives the last class, not zeros.':
        'eye(n) を -1 でインデックスすると、0 ではなく最後のクラスになります。',
    'The class axis must come first: (n_class, H, W).':
        'クラスの軸が先頭でなければなりません: (n_class, H, W)。',
    # ch02.count_params
    'parameters of a Chain': 'Chain のパラメータ数',
    'link.params() yields every Parameter of the link and its children; each has .array (or '
    '.size).':
        'link.params() はリンクとその子のすべての Parameter を返します。それぞれに .array '
        '(または .size) があります。',
    'count_params(L.Linear(3, 2))': 'count_params(L.Linear(3, 2))',
    'count_params(L.Convolution2D(3, 16, 3))': 'count_params(L.Convolution2D(3, 16, 3))',
    'count_params(L.Convolution2D(3, 16, 3, nobias=True))':
        'count_params(L.Convolution2D(3, 16, 3, nobias=True))',
    "A Chain's params() walks its children too.": 'Chain の params() は子もたどります。',
    'That counts Parameter objects, not the numbers inside them.':
        'それは Parameter オブジェクトの数で、中の数値の個数ではありません。',
    'Biases are parameters too.': 'バイアスもパラメータです。',
    # ch03.round_trip_sizes
    'input sizes a convolution and its transpose give back':
        '畳み込みとその転置で元に戻る入力サイズ',
    'Section 4: a convolution maps s different sizes to the same o, and the transposed '
    'convolution returns the smallest of them, s(o − 1) + k − 2p. Which n is that?':
        '第 4 節: 畳み込みは s 個の異なるサイズを同じ o に写し、転置畳み込みはそのうち最小の '
        's(o − 1) + k − 2p を返します。それはどの n でしょうか？',
    'Stride 1 loses nothing: every size comes back.':
        'ストライド 1 では何も失われません。すべてのサイズが元に戻ります。',
    "The floor in the convolution's size drops a remainder of (n + 2p − k) mod s pixels, and "
    'the transpose cannot know it.':
        '畳み込みの出力サイズの切り捨てで (n + 2p − k) mod s 画素の余りが落ち、'
        '転置畳み込みはそれを知りようがありません。',
    "round_trip_sizes(64, 32, 16, 200)  (FCN-32s's upsampling, read as a convolution)":
        'round_trip_sizes(64, 32, 16, 200)  (FCN-32s のアップサンプリングを畳み込みとして読む)',
    'The convolution needs at least k − 2p pixels to produce one.':
        '畳み込みが 1 画素を出力するには、少なくとも k − 2p 画素が必要です。',
    'No size up to 2 gives the 3×3 kernel room: the answer is [].':
        '2 以下のサイズでは 3×3 カーネルが収まりません。答えは [] です。',
    'Chainer agrees: F.convolution_2d then F.deconvolution_2d give each size back':
        'Chainer と一致する: F.convolution_2d のあと F.deconvolution_2d で各サイズが元に戻る',
    'The floor drops a remainder: only sizes with (n + 2p − k) divisible by s come back.':
        '切り捨てで余りが落ちます。(n + 2p − k) が s で割り切れるサイズだけが元に戻ります。',
    'The condition is on n + 2p − k, not on n: the padding and the kernel shift it.':
        '条件は n ではなく n + 2p − k についてです。パディングとカーネルで条件がずれます。',
    'The convolution needs at least k − 2p input pixels to produce one output pixel.':
        '畳み込みが 1 画素を出力するには、少なくとも k − 2p 画素の入力が必要です。',
    # ch03.deconv_params_for_scale
    '(k, s, p) of a bilinear ×scale upsampling': '双線形 ×scale アップサンプリングの (k, s, p)',
    'The output must grow by exactly `scale` per extra input pixel (the stride), what is left, '
    'k − 2p, must equal the scale too, and the kernel is the interpolation triangle over two '
    'input spacings. Check the phase sums of your kernel.':
        '出力は入力画素が 1 つ増えるごとにちょうど `scale` ずつ増えなければならず (ストライド)、'
        '残りの k − 2p も scale に等しくなければなりません。カーネルは入力 2 '
        '画素分の間隔にわたる補間の三角形です。カーネルの位相ごとの和を確かめてください。',
    'Solve s(n−1) + k − 2p = scale·n for every n: what must s be, and then k − 2p?':
        'すべての n について s(n−1) + k − 2p = scale·n を解きます。s はいくつでなければならず、'
        'そのとき k − 2p はいくつでしょうか？',
    "An odd scale: the triangle's two end taps are zero, so the kernel holds 2s − 1 of them.":
        '奇数の倍率: 三角形の両端のタップは 0 なので、カーネルのタップは 2s − 1 個です。',
    'k = s, p = 0 has the right size, but the stamps do not overlap: no interpolation between '
    'inputs.':
        'k = s, p = 0 はサイズは正しいものの、スタンプが重なりません。入力の間が補間されません。',
    'With p = 0 the output is s·n + s: too big.': 'p = 0 では出力は s·n + s で、大きすぎます。',
    'Check k − 2p = s: the pad is off by one.':
        'k − 2p = s を確かめてください。パディングが 1 ずれています。',
    # ch03.transposed_conv
    'transposed convolution by hand, equal to F.deconvolution_2d':
        '手で書く転置畳み込み (F.deconvolution_2d と一致)',
    'Start from zeros of size s(n−1)+k per axis; input pixel (i, j) adds x[:, i, j]·W (summed '
    'over input channels) into the window at (i·s, j·s); finally crop p per side.':
        '各軸 s(n−1)+k のゼロから始めます。入力画素 (i, j) は x[:, i, j]·W '
        '(入力チャネルについて和) を (i·s, j·s) の位置のウィンドウに足し込みます。'
        '最後に各辺から p をクロップします。',
    'transposed_conv(2×2 image, 2×2 ones, stride=2, pad=0): each pixel → a 2×2 block':
        'transposed_conv(2×2 の画像, 2×2 の ones, stride=2, pad=0): 各画素 → 2×2 のブロック',
    'transposed_conv(2×2 image, 3×3 kernel 0..8, stride=1, pad=0)':
        'transposed_conv(2×2 の画像, 3×3 のカーネル 0..8, stride=1, pad=0)',
    'Each input pixel adds x·W (not flipped) at its stamp position.':
        '各入力画素は、そのスタンプの位置に x·W (反転しない) を足します。',
    'transposed_conv(2×2 image, 3×3 kernel 0..8, stride=2, pad=1)':
        'transposed_conv(2×2 の画像, 3×3 のカーネル 0..8, stride=2, pad=1)',
    'Compute the full s(n−1)+k output, then cut p from each side.':
        'まず全体の s(n−1)+k の出力を計算し、各辺から p を切り取ります。',
    'Output channel o sums the stamps of every input channel c with W[c, o].':
        '出力チャネル o は、すべての入力チャネル c のスタンプを W[c, o] で足し合わせます。',
    'The kernel is stamped as it is; flipping belongs to the zero-insertion view (a '
    'convolution with the flipped kernel).':
        'カーネルはそのままスタンプします。反転はゼロ挿入の見方 (反転したカーネルとの畳み込み) '
        'のほうの話です。',
    'Crop p pixels from each side, not 2p from one side.':
        '片側から 2p ではなく、各辺から p 画素ずつクロップしてください。',
    'The output is s(n−1)+k−2p: crop p from each side.':
        '出力は s(n−1)+k−2p です。各辺から p をクロップしてください。',
    # ch04.bilinear_weights_1d
    '1-D bilinear (triangle) weights': '1 次元の双線形 (三角形) の重み',
    'Taps are 0..k−1, so the middle is at (k − 1)/2 whether k is odd or even; the weight falls '
    'by 1/f per tap away from it.':
        'タップは 0..k−1 なので、k が奇数でも偶数でも中心は (k − 1)/2 にあります。'
        '重みは中心から 1 タップ離れるごとに 1/f ずつ減ります。',
    'For k = 4 the weights are symmetric around the gap between taps 1 and 2.':
        'k = 4 のとき、重みはタップ 1 と 2 の間を中心に対称です。',
    'symmetric': '対称である',
    'k = 2s and k = 2s − 1 both sum to s': 'k = 2s でも k = 2s − 1 でも和が s になる',
    'The centre is not k/2: the taps run from 0 to k − 1.':
        '中心は k/2 ではありません。タップは 0 から k − 1 までです。',
    'The half-width is f = (k + 1)//2, not k/2 (they differ for odd k).':
        '半幅は k/2 ではなく f = (k + 1)//2 です (k が奇数のとき異なります)。',
    # ch04.bilinear_kernel
    "FCN's bilinear kernel on the channel diagonal": 'チャネルの対角に置いた FCN の双線形カーネル',
    'Build the 1-D triangle, take its outer product with itself, and write it into W[c, c] for '
    'every channel c of a zero array.':
        '1 次元の三角形を作り、それ自身との外積を取って、ゼロ配列のすべてのチャネル c について '
        'W[c, c] に書き込みます。',
    'Channels must not mix: only W[c, c] is non-zero.':
        'チャネルを混ぜてはいけません。0 でないのは W[c, c] だけです。',
    'W[c, c] sums to s² for k = 2s': 'k = 2s のとき W[c, c] の和が s² になる',
    'Every (c, d) pair got the kernel, so all channels are mixed together.':
        'すべての組 (c, d) にカーネルが入り、全チャネルが混ざっています。',
    'The centre of the triangle is (k − 1)/2, not k/2.':
        '三角形の中心は k/2 ではなく (k − 1)/2 です。',
    'Do not normalise the kernel to sum 1: it sums to s², and the weights that reach any one '
    'output pixel then sum to 1.':
        'カーネルを和 1 に正規化しないでください。和は s² で、そのときある 1 '
        'つの出力画素に届く重みの和が 1 になります。',
    # ch04.bilinear_upsample
    'bilinear upsampling by a transposed convolution':
        '転置畳み込みによる双線形アップサンプリング',
    'Take (k, s, p) that scale exactly ×s (chapter 3) and the kernel from the previous '
    'exercise with one channel; the image needs a batch and a channel axis.':
        'ちょうど ×s にする (k, s, p) (第 3 章) と、前の演習のカーネルを 1 チャネルで使います。'
        '画像にはバッチ軸とチャネル軸が必要です。',
    'bilinear_upsample(4×4 ramp 0..15, 2)': 'bilinear_upsample(4×4 のランプ 0..15, 2)',
    'bilinear_upsample(ones 3×5, 2)': 'bilinear_upsample(ones 3×5, 2)',
    'Height and width may differ.': '高さと幅は違っていてもかまいません。',
    'bilinear_upsample(eye(4), 3)': 'bilinear_upsample(eye(4), 3)',
    'Odd scales need an odd kernel: k = 2s − 1, p = (s − 1)/2.':
        '奇数の倍率には奇数のカーネルが必要です: k = 2s − 1, p = (s − 1)/2。',
    'bilinear_upsample(2×2, 1)': 'bilinear_upsample(2×2, 1)',
    'a ramp stays a ramp away from the border': '境界から離れたところではランプはランプのまま',
    'Repeating pixels is nearest-neighbour upsampling, not bilinear.':
        '画素の繰り返しは最近傍のアップサンプリングで、双線形ではありません。',
    'With pad = 0 the output is s·n + s: crop s/2 per side (pad).':
        'pad = 0 では出力は s·n + s です。各辺から s/2 をクロップします (pad)。',
    "The kernel's centre is off: the result shifts by half a pixel.":
        'カーネルの中心がずれています。結果が半画素ずれます。',
    # ch05.compose_coord_map
    'coordinate map x_in = a·x_out + b of a layer stack':
        '層の積み重ねの座標写像 x_in = a·x_out + b',
    'Per layer: conv/pool x_in = s·x_out + (k − 1)/2 − p; transposed conv is its inverse; crop '
    'x_in = x_out + c. Then compose from the input side.':
        '層ごとに: 畳み込み・プーリングは x_in = s·x_out + (k − 1)/2 − p、'
        '転置畳み込みはその逆写像、クロップは x_in = x_out + c です。'
        'それを入力側から合成します。',
    'compose_coord_map([])  (no layer: the identity)': 'compose_coord_map([])  (層なし: 恒等写像)',
    'A transposed convolution maps the other way: invert the map of the convolution with the '
    'same k, s, p.':
        '転置畳み込みは逆向きに写します。同じ k, s, p の畳み込みの写像の逆を取ってください。',
    'compose_coord_map(VGG16-FCN with pad=100 + Deconv(64, 32))':
        'compose_coord_map(pad=100 の VGG16-FCN + Deconv(64, 32))',
    'The FCN-32s stack must give (1, -19): the crop offset is 19.':
        'FCN-32s の積み重ねは (1, -19) になるはずです。クロップのオフセットは 19 です。',
    'mapping two halves and composing them equals mapping the whole':
        '前半と後半を別々に写像して合成すると、全体を写像したものに等しい',
    'x1 = a1·x2 + b1 and x2 = a2·x3 + b2 give x1 = (a1·a2)·x3 + (a1·b2 + b1).':
        'x1 = a1·x2 + b1 と x2 = a2·x3 + b2 から x1 = (a1·a2)·x3 + (a1·b2 + b1) が得られます。',
    'The maps are composed in the wrong order: the input-side map is the outer function, x1 = '
    'a1·(a2·x3 + b2) + b1.':
        '写像を合成する順序が逆です。入力側の写像が外側の関数です: x1 = a1·(a2·x3 + b2) + b1。',
    'The centre of a k-pixel window starting at 0 is (k − 1)/2, not k/2.':
        '0 から始まる k 画素のウィンドウの中心は k/2 ではなく (k − 1)/2 です。',
    'A transposed convolution goes from small to large: its map is the inverse of the '
    'convolution map, x_in = (x_out − ((k−1)/2 − p))/s.':
        '転置畳み込みは小さい側から大きい側へ写します。その写像は畳み込みの写像の逆で、x_in = '
        '(x_out − ((k−1)/2 − p))/s です。',
    # ch05.stack_receptive_field
    'receptive field of a conv/pool stack': '畳み込み・プーリングの積み重ねの受容野',
    'Keep the jump (product of the strides so far); a layer with kernel k adds (k − 1)·jump, '
    'with the jump of its input.':
        'ジャンプ (それまでのストライドの積) を持ち回ります。カーネル k の層は、'
        '入力のジャンプを使って (k − 1)·jump だけ受容野を広げます。',
    'stack_receptive_field([])  (no layer: 1 pixel)':
        'stack_receptive_field([])  (層なし: 1 画素)',
    'The second conv sees 3 pixels of its input, and those are 2 image pixels apart.':
        '2 つ目の畳み込みは入力の 3 画素を見ており、それらは画像上で 2 画素ずつ離れています。',
    'stack_receptive_field(VGG16 to pool5)': 'stack_receptive_field(pool5 までの VGG16)',
    'stack_receptive_field(VGG16-FCN to score_fr)':
        'stack_receptive_field(score_fr までの VGG16-FCN)',
    'Strides matter: after a stride-2 layer one pixel of the map is two input pixels.':
        'ストライドが効きます。ストライド 2 の層のあとでは、マップの 1 画素が入力の 2 '
        '画素にあたります。',
    "Use the jump of the layer's input (the strides before it), not including its own stride.":
        'その層の入力のジャンプ (その層より前のストライド) を使います。'
        '自身のストライドは含めません。',
    'Fields grow by addition, (k − 1)·jump per layer, not by multiplying kernels.':
        '受容野は足し算で広がります。層ごとに (k − 1)·jump で、カーネルの掛け算ではありません。',
    # ch05.fc_to_conv
    'fully connected weight → convolution kernel': '全結合層の重み → 畳み込みカーネル',
    'Chainer flattens (C, H, W) in C order: input index j = c·k·k + u·k + v. Which reshape '
    'puts W[o, j] at kernel[o, c, u, v]?':
        'Chainer は (C, H, W) を C 順に平坦化します: 入力インデックス j = c·k·k + u·k + v。'
        'W[o, j] を kernel[o, c, u, v] に置くのはどの reshape でしょうか？',
    'fc_to_conv(arange(24).reshape(2, 12), in_channels=3, ksize=2)':
        'fc_to_conv(arange(24).reshape(2, 12), in_channels=3, ksize=2)',
    'fc_to_conv(arange(8).reshape(4, 2), in_channels=2, ksize=1)  (fc7: 1×1)':
        'fc_to_conv(arange(8).reshape(4, 2), in_channels=2, ksize=1)  (fc7: 1×1)',
    'fc_to_conv(arange(18).reshape(2, 9), in_channels=1, ksize=3)':
        'fc_to_conv(arange(18).reshape(2, 9), in_channels=1, ksize=3)',
    'the convolution reproduces the linear layer on every 4×4 window':
        'どの 4×4 のウィンドウでも畳み込みが全結合層を再現する',
    'That is the channels-last (H, W, C) flattening of Keras/TensorFlow; Chainer flattens (C, '
    'H, W).':
        'それは Keras/TensorFlow のチャネルが最後の (H, W, C) の平坦化です。Chainer は (C, H, '
        'W) で平坦化します。',
    'Rows and columns are swapped: index u·k + v has u (the row) first.':
        '行と列が入れ替わっています。インデックス u·k + v では u (行) が先です。',
    'Transposing W mixes weights of different outputs; W already has one row per output.':
        'W を転置すると別々の出力の重みが混ざります。W はすでに出力ごとに 1 行です。',
    # ch06.smallest_first_pad
    'the smallest conv1_1 padding that keeps FCN-32s aligned':
        'FCN-32s の位置がそろう最小の conv1_1 のパディング',
    'Two conditions: the crop c = −b of the map x_in = x + b must be a whole number >= 0 '
    '(alignment), and the smallest input must give fc6 at least fc6_ksize pixels of pool5 '
    '(scores exist). The answer is the smallest P that meets both.':
        '条件は 2 つです: 写像 x_in = x + b のクロップ c = −b が 0 以上の整数であること '
        '(位置合わせ)、そして最小の入力でも fc6 に pool5 の fc6_ksize 画素以上が渡ること '
        '(スコアが存在すること)。答えは両方を満たす最小の P です。',
    "Push the map x_in = a·x + b through the stack as chapter 05 does, with conv1_1's pad left "
    'as P: which P makes b a whole number <= 0?':
        '第 05 章のように写像 x_in = a·x + b を積み重ね全体に通し、conv1_1 のパディングは P '
        'のままにします。b が 0 以下の整数になる P はどれでしょうか？',
    'An input of 1 pixel must still leave fc6 a 7×7 window of pool5.':
        '1 画素の入力でも、fc6 に pool5 の 7×7 のウィンドウが残らなければなりません。',
    'A wider upsampling kernel moves the map by half of it.':
        'アップサンプリングのカーネルを広げると、写像はその半分だけずれます。',
    'an odd upsampling kernel raises ValueError (half a pixel off)':
        '奇数のアップサンプリングのカーネルでは ValueError を送出する (半画素ずれる)',
    'That P aligns the scores, but small inputs then leave fc6 no room: the scores must exist '
    'for min_size too.':
        'その P でスコアの位置はそろいますが、小さな入力では fc6 に余地が残りません。min_size '
        'でもスコアが存在しなければなりません。',
    'Scores exist, but the crop c must be >= 0: the upsampled scores still start to the right '
    'of the input.':
        'スコアは存在しますが、クロップ c は 0 以上でなければなりません。'
        'アップサンプリングしたスコアがまだ入力より右から始まっています。',
    '100 works but is not the smallest (that is the point of the exercise: pad=100 costs '
    'memory, chapter 06 §2).':
        '100 でも動きますが最小ではありません (それがこの演習の要点です: pad=100 '
        'はメモリを食います。第 06 章 §2)。',
    # ch06.FCN32sHead
    "FCN-32s's head: score layer, fixed ×32 bilinear upsampling, crop 19":
        'FCN-32s のヘッド: スコア層、固定の ×32 双線形アップサンプリング、クロップ 19',
    'score: L.Convolution2D(in_channels, n_class, 1) with Zero initialisers; upscore: '
    'seglearn.models.BilinearUpsampling2D(n_class, 64, 32); forward: score, upscore, then keep '
    '[19, 19 + H) × [19, 19 + W).':
        'score: Zero 初期化子の L.Convolution2D(in_channels, n_class, 1)、upscore: '
        'seglearn.models.BilinearUpsampling2D(n_class, 64, 32)、forward: score、upscore のあと '
        '[19, 19 + H) × [19, 19 + W) を残します。',
    'a new head scores every pixel 0 (score starts at zero)':
        '作ったばかりのヘッドはすべての画素のスコアが 0 (score がゼロから始まる)',
    'same output on CuPy': 'CuPy でも同じ出力',
    'The upsampled scores start 19 pixels before the image: crop from 19, not from 0.':
        'アップサンプリングしたスコアは画像より 19 画素手前から始まります。0 からではなく 19 '
        'からクロップしてください。',
    'A Deconvolution2D registers its kernel as a parameter, which the optimizer would change; '
    'FCN keeps the bilinear kernel fixed.':
        'Deconvolution2D はカーネルをパラメータとして登録するので、'
        'オプティマイザが変えてしまいます。FCN は双線形カーネルを固定します。',
    'Repeating each score over a 32×32 block is nearest-neighbour upsampling, not bilinear.':
        '各スコアを 32×32 のブロックに繰り返すのは最近傍のアップサンプリングで、'
        '双線形ではありません。',
    # ch07.fcn_crops
    'crop offsets of an FCN with any skips (pool2 too)':
        '任意のスキップを持つ FCN のクロップのオフセット (pool2 も)',
    "Chapter 05's coordinate maps: for each skip, the crop c solves a·(x + c) + b_pool = a·x + "
    'b_fused; for the final crop the fused scores must land on the input (x_in = x). '
    'seglearn.arithmetic builds and composes the maps for you.':
        '第 05 章の座標写像: 各スキップについて、クロップ c は a·(x + c) + b_pool = a·x + '
        'b_fused を解きます。最後のクロップでは、融合したスコアが入力に重ならなければなりません'
        ' (x_in = x)。写像の構築と合成は seglearn.arithmetic がしてくれます。',
    'fcn_crops([])  (FCN-32s)': 'fcn_crops([])  (FCN-32s)',
    'fcn_crops([4])  (FCN-16s)': 'fcn_crops([4])  (FCN-16s)',
    'fcn_crops([4, 3])  (FCN-8s)': 'fcn_crops([4, 3])  (FCN-8s)',
    'fcn_crops([4, 3, 2])  (an FCN-4s: a new skip from pool2)':
        'fcn_crops([4, 3, 2])  (FCN-4s: pool2 からの新しいスキップ)',
    'Compose the maps of the pool2 branch and of the fused scores after three ×2 upsamplings; '
    'the crop makes their offsets b equal.':
        'pool2 の枝の写像と、×2 のアップサンプリングを 3 回経た融合スコアの写像を合成します。'
        'クロップで両者のオフセット b をそろえます。',
    'Skipping pool4: the first upsampling is ×4 (kernel 8, stride 4).':
        'pool4 を飛ばす場合: 最初のアップサンプリングは ×4 (カーネル 8、ストライド 4) です。',
    "conv1_1's padding moves both branches of a skip alike, but not the input the final crop "
    'aligns with.':
        'conv1_1 のパディングはスキップの両方の枝を同じだけずらしますが、'
        '最後のクロップで合わせる入力はずらしません。',
    "conv1_1's padding shifts the whole network against the input: the final crop grows with "
    'it.':
        'conv1_1 のパディングはネットワーク全体を入力に対してずらします。'
        '最後のクロップもそれに合わせて大きくなります。',
    "The last upsampling has kernel 2s for its own stride s; 64 is FCN-32s's (s = 32).":
        '最後のアップサンプリングのカーネルは、自身のストライド s に対して 2s です。64 は '
        'FCN-32s のもの (s = 32) です。',
    'The upsamplings have no padding (pad 0): the crops do the aligning, and padding f/2 would '
    'shift every map.':
        'アップサンプリングにはパディングがありません (pad 0)。位置合わせはクロップが行い、'
        'パディング f/2 を入れるとすべての写像がずれます。',
    'Only FCN-32s/16s/8s are right: derive the crops from the maps for any set of pools.':
        '正しいのは FCN-32s/16s/8s だけです。任意のプーリングの組について写像からクロップを導い'
        'てください。',
    # ch07.fcn_upsampling_stages
    'kernel and stride of each FCN upsampling': 'FCN の各アップサンプリングのカーネルとストライド',
    'Each stage upsamples by f = (coarser stride)/(finer stride); a bilinear kernel for a '
    'factor f spans two input pixels: k = 2f.':
        '各段は f = (粗いほうのストライド)/(細かいほうのストライド) '
        '倍にアップサンプリングします。倍率 f の双線形カーネルは入力 2 画素分にわたります: k = '
        '2f。',
    'FCN-32s: one upsampling from stride 32 to stride 1.':
        'FCN-32s: ストライド 32 からストライド 1 への 1 回のアップサンプリング。',
    'Each stage upsamples from one fused map to the next: use the ratio of consecutive '
    'strides, not the stride itself.':
        '各段は融合したマップから次のマップへアップサンプリングします。'
        'ストライドそのものではなく、隣り合うストライドの比を使ってください。',
    'With k = s the kernels do not overlap (nearest-neighbour blocks); bilinear needs k = 2s.':
        'k = s ではカーネルが重なりません (最近傍のブロック)。双線形には k = 2s が必要です。',
    'a / b is a float (4.0): kernel sizes and strides are ints, use a // b.':
        'a / b は float (4.0) です。カーネルサイズとストライドは int なので、a // b '
        'を使ってください。',
    # ch07.SkipFusion
    'an FCN skip fusion: score the pool, crop, add':
        'FCN のスキップの融合: プーリング出力をスコア化し、クロップして足す',
    'score_pool: L.Convolution2D(pool_channels, n_class, 1) with Zero initialisers; forward: '
    'scale the pool, score it, keep [offset, offset + h) × [offset, offset + w), add upscore.':
        'score_pool: Zero 初期化子の L.Convolution2D(pool_channels, n_class, 1)、forward: '
        'プーリング出力をスケールしてスコア化し、[offset, offset + h) × [offset, offset + w) '
        'を残して upscore に足します。',
    'a new fusion adds exactly nothing (score_pool starts at zero)':
        '作ったばかりの融合はちょうど何も足さない (score_pool がゼロから始まる)',
    "The pool's scores must be cropped at the offset, not at the top-left corner: they would "
    'sit a few pixels off.':
        'プーリング出力のスコアは左上の角ではなくオフセットの位置でクロップしなければなりません'
        '。そうしないと数画素ずれます。',
    "Multiply the pool's features by scale before scoring (the at-once model's 0.01 and "
    '0.0001).':
        'スコア化の前にプーリング出力の特徴に scale を掛けてください (一括学習モデルの 0.01 と '
        '0.0001)。',
    'Scale the features before score_pool, not the scores after it: the bias must not be '
    'scaled.':
        'score_pool の後のスコアではなく、その前の特徴をスケールしてください。'
        'バイアスをスケールしてはいけません。',
    # ch08.paper_unet_output_size
    "output size of the paper's U-Net, ValueError for invalid inputs":
        '論文の U-Net の出力サイズ (無効な入力には ValueError)',
    'Each 3×3 valid convolution removes 2 pixels; a pooling halves; an up-convolution doubles. '
    'Walk down and up the U.':
        '3×3 のパディングなし畳み込み (valid convolution) は 1 回ごとに 2 画素減らし、'
        'プーリングは半分に、アップ畳み込み (up-convolution) は 2 倍にします。U '
        'の字を下って上ってください。',
    '572 → 570 → 568 → pool 284 → … the paper draws every size.':
        '572 → 570 → 568 → プーリング 284 → … 論文の図にすべてのサイズが描かれています。',
    'invalid sizes raise ValueError': '無効なサイズでは ValueError を送出する',
    'Check each map before a pooling: it must be even (and positive).':
        'プーリングの前に各マップを確かめます。偶数 (かつ正) でなければなりません。',
    'Each 3×3 valid convolution removes 2 pixels, and the expansive path has convolutions too.':
        '3×3 のパディングなし畳み込みは 1 回ごとに 2 画素減らし、'
        '拡大パスにも畳み込みがあります。',
    'After each up-convolution come two more 3×3 valid convolutions.':
        'アップ畳み込みのあとには、さらに 2 回の 3×3 のパディングなし畳み込みが続きます。',
    'The paper uses unpadded convolutions: the output is smaller than the input.':
        '論文はパディングなしの畳み込みを使います。出力は入力より小さくなります。',
    # ch08.unet_skip_crops
    'per-side crop of each U-Net skip': 'U-Net の各スキップを片側で何画素クロップするか',
    'The difference between a skip and the upsampled map is independent of the input size: '
    'follow how it grows from one level to the next (down: halve and −4; up: double, −4).':
        'スキップとアップサンプリングしたマップのサイズの差は入力サイズによりません。'
        'それが段から段へどう増えるかを追ってください (下り: 半分にして −4、上り: 2 倍にして '
        '−4)。',
    'The paper: 64 → 56, 136 → 104, 280 → 200, 568 → 392.':
        '論文: 64 → 56, 136 → 104, 280 → 200, 568 → 392。',
    'Per side: half of the size difference.': '片側あたりでは、サイズの差の半分です。',
    'Do not forget the two valid convolutions after each up-convolution.':
        '各アップ畳み込みのあとの 2 回のパディングなし畳み込みを忘れないでください。',
    'Deepest skip first: the expansive path starts at the bottom.':
        '最も深いスキップが先です。拡大パスは底から始まります。',
    # ch08.border_weight_map
    'the U-Net weight map (class balance + border term)':
        'U-Net の重みマップ (クラスの釣り合い + 境界項)',
    'One distance transform per cell, then the smallest and second-smallest distance at every '
    'pixel; w_c from the class frequencies.':
        '細胞ごとに距離変換を 1 回行い、各画素で最小と 2 番目に小さい距離を取ります。w_c '
        'はクラスの頻度から求めます。',
    'border_weight_map(two touching-ish cells on 20×30)':
        'border_weight_map(20×30 上のほぼ接する 2 つの細胞)',
    'border_weight_map(one cell)': 'border_weight_map(細胞 1 つ)',
    'With a single cell there is no second-nearest cell: d2 = ∞, no border term.':
        '細胞が 1 つだけなら 2 番目に近い細胞はありません: d2 = ∞ で、境界項はありません。',
    'border_weight_map(no cell)': 'border_weight_map(細胞なし)',
    'One class only: w_c = 1 everywhere, no border term.':
        'クラスが 1 つだけ: w_c = 1 がどこでも成り立ち、境界項はありません。',
    'border_weight_map(three cells on 18×18)': 'border_weight_map(18×18 上の 3 つの細胞)',
    'd1 + d2 is not 2·d1: d2 is the distance to the SECOND-nearest cell.':
        'd1 + d2 は 2·d1 ではありません。d2 は 2 番目に近い細胞までの距離です。',
    'Do not forget w_c, the class-balancing weight (inverse frequency).':
        'クラスの釣り合いを取る重み w_c (頻度の逆数) を忘れないでください。',
    # ch09.valid_size_at_least
    'smallest valid U-Net input size >= a given size, for any depth and kernel':
        '与えたサイズ以上で最小の、U-Net の有効な入力サイズ (任意の深さとカーネル)',
    'Write a test "is this size valid?" by following the size down and up the U (−2(k − 1) per '
    'pair of convolutions, /2 per pool only if even, ×2 per up-convolution), then try size, '
    'size + 1, …':
        'U の字を下って上ってサイズを追い、「このサイズは有効か」を判定する関数を書きます '
        '(畳み込み 2 回ごとに −2(k − 1)、プーリングごとに偶数のときだけ /2、'
        'アップ畳み込みごとに ×2)。そのうえで size, size + 1, … と試します。',
    "572 is valid (the paper's tile).": '572 は有効です (論文のタイル)。',
    'At depth 4 valid sizes are 188, 204, …, 16 apart.':
        '深さ 4 の有効なサイズは 188, 204, … と 16 ずつ離れています。',
    'The smallest valid size at depth 4 is 188.': '深さ 4 の最小の有効なサイズは 188 です。',
    'At depth 3 the smallest valid size is 92; then every 8.':
        '深さ 3 の最小の有効なサイズは 92 で、そこから 8 ごとです。',
    'Depth 1: two convolutions, one pool, two at the bottom, one up-convolution, two more.':
        '深さ 1: 畳み込み 2 回、プーリング 1 回、底で 2 回、アップ畳み込み 1 回、さらに 2 回。',
    'A 5×5 convolution removes 4 pixels, two of them 8 per level.':
        '5×5 の畳み込みは 4 画素減らし、2 回で段ごとに 8 画素です。',
    '1×1 convolutions remove nothing: only the pools constrain the size.':
        '1×1 の畳み込みは何も減らしません。サイズを制約するのはプーリングだけです。',
    'the answer is valid and no smaller size >= size is':
        '答えが有効で、size 以上でそれより小さい有効なサイズがない',
    's ≡ 12 (mod 16), s ≥ 188 is the rule for depth 4 with 3×3 kernels only: redo the walk for '
    'other depths and kernels.':
        's ≡ 12 (mod 16), s ≥ 188 は 3×3 カーネルで深さ 4 のときだけの規則です。'
        '他の深さやカーネルでは追い直してください。',
    'Multiples of 2^depth are the rule for *padded* ("same") convolutions; valid convolutions '
    'eat 2(k − 1) pixels per level.':
        '2^depth の倍数というのは *パディングあり* ("same") の畳み込みの規則です。'
        'パディングなしの畳み込みは段ごとに 2(k − 1) 画素を削ります。',
    'The kernel size changes how much each level eats: a k×k convolution removes k − 1 pixels.':
        'カーネルサイズによって各段で削られる量が変わります。k×k の畳み込みは k − 1 '
        '画素減らします。',
    'Below the smallest valid size the output would be empty: sizes under it are not valid '
    'even in the right residue class.':
        '最小の有効なサイズより小さいと出力が空になります。それより小さいサイズは、'
        '正しい剰余類にあっても有効ではありません。',
    # ch09.mirror_extend
    'mirror extension of an image at its border (overlap-tile)':
        '画像の境界での鏡像拡張 (オーバーラップタイル)',
    'Pixel −i (outside) takes the value of pixel +i; pixel H − 1 + i takes H − 1 − i. '
    'numpy.pad has a mode for exactly this.':
        '(外側の) 画素 −i には画素 +i の値が入り、画素 H − 1 + i には H − 1 − i の値が入ります。'
        'numpy.pad にちょうどこのためのモードがあります。',
    'mirror_extend(rows 0 1 2 3 (1, 3, 4), 2)': 'mirror_extend(行 0 1 2 3 (1, 3, 4), 2)',
    '0 1 2 3 → 2 1 | 0 1 2 3 | 2 1: the edge pixel is the mirror, not repeated.':
        '0 1 2 3 → 2 1 | 0 1 2 3 | 2 1: 端の画素は鏡の面で、繰り返されません。',
    'mirror_extend(arange(12).reshape(1, 3, 4), 0)':
        'mirror_extend(arange(12).reshape(1, 3, 4), 0)',
    'mirror_extend(arange(50).reshape(2, 5, 5), 4)':
        'mirror_extend(arange(50).reshape(2, 5, 5), 4)',
    'the centre is the image and the margin mirrors it':
        '中央が画像で、余白がそれを鏡に映したもの',
    "numpy's 'symmetric' repeats the edge pixel (1 0 | 0 1 2 3); the mirror here does not "
    "('reflect').":
        "numpy の 'symmetric' は端の画素を繰り返します (1 0 | 0 1 2 3)。"
        "ここでの鏡像は繰り返しません ('reflect')。",
    'Zeros are not a mirror: the network would see a black frame that is not in the data.':
        'ゼロは鏡像ではありません。ネットワークには、データにない黒い枠が見えてしまいます。',
    "'edge' repeats the border pixel; mirror the image instead.":
        "'edge' は境界の画素を繰り返します。画像を鏡に映してください。",
    'Extend the columns too: the margin goes on every side.':
        '列も拡張してください。余白は四辺すべてに付きます。',
    # ch09.crop_skip
    "centre crop of a skip connection (U-Net's crop-and-concat)":
        'スキップ接続の中央クロップ (U-Net のクロップと連結)',
    'The top-left corner of the crop is ((H − h) // 2, (W − w) // 2); slice h rows and w '
    'columns from there.':
        'クロップの左上の角は ((H − h) // 2, (W − w) // 2) です。そこから h 行と w '
        '列をスライスします。',
    'crop_skip(arange(36).reshape(1, 6, 6), (2, 2))':
        'crop_skip(arange(36).reshape(1, 6, 6), (2, 2))',
    'crop_skip(arange(24).reshape(2, 3, 4), (3, 4))  (nothing to crop)':
        'crop_skip(arange(24).reshape(2, 3, 4), (3, 4))  (クロップするものがない)',
    'When the sizes already match the crop is the whole array; beware of x[o:-o] with o = 0.':
        'サイズがすでに一致していれば、クロップは配列全体です。o = 0 のときの x[o:-o] '
        'に注意してください。',
    'crop_skip(arange(35).reshape(1, 5, 7), (2, 4))  (odd margins)':
        'crop_skip(arange(35).reshape(1, 5, 7), (2, 4))  (奇数の余白)',
    'Margins 3 and 3: start at 3 // 2 = 1, the extra row/column goes at the end.':
        '余白 3 と 3: 3 // 2 = 1 から始め、余った行・列は後ろに回ります。',
    'crop_skip(arange(4096).reshape(1, 64, 64), (56, 56))':
        'crop_skip(arange(4096).reshape(1, 64, 64), (56, 56))',
    "136 → 104: the paper's 16 pixels per side": '136 → 104: 論文の片側 16 画素',
    'That is the top-left corner, not the centre.': 'それは中央ではなく左上の角です。',
    'x[o:-o] breaks when o = 0 (empty) and when the margin is odd; slice x[o:o + h] instead.':
        'x[o:-o] は o = 0 のとき (空になり) と余白が奇数のときに壊れます。代わりに x[o:o + h] '
        'とスライスしてください。',
    'Round the offset down: (H − h) // 2.': 'オフセットは切り捨てます: (H − h) // 2。',
    # ch09.UpStep
    "one level of U-Net's expanding path: up-convolution, crop, concatenate, two convs":
        'U-Net の拡大パスの 1 段: アップ畳み込み、クロップ、連結、畳み込み 2 回',
    'up: L.Deconvolution2D(in_channels, out_channels, 2, stride=2); conv1/conv2: '
    "L.Convolution2D(..., 3) without pad; in forward crop the skip's centre to up(h)'s size "
    "(chapter 09's crop_skip), F.concat((skip, up), axis=1), then the convolutions.":
        'up: L.Deconvolution2D(in_channels, out_channels, 2, stride=2)、conv1/conv2: '
        'パディングなしの L.Convolution2D(..., 3)。forward ではスキップの中央を up(h) '
        'のサイズにクロップし (第 09 章の crop_skip)、F.concat((skip, up), axis=1) '
        'のあと畳み込みます。',
    'The paper concatenates the cropped skip first, then the upsampled features: the order '
    'decides which weights of conv1 meet which maps.':
        '論文はクロップしたスキップを先に、アップサンプリングした特徴を後に連結します。'
        'この順序で、conv1 のどの重みがどのマップに掛かるかが決まります。',
    'Crop the centre of the skip, not its top-left corner.':
        'スキップの左上の角ではなく中央をクロップしてください。',
    'Each of the two convolutions is followed by a ReLU.':
        '2 回の畳み込みのそれぞれのあとに ReLU が続きます。',
    # ch09.weighted_cross_entropy
    "U-Net's weighted pixel cross-entropy with the ignore label":
        '無視ラベルを考慮した U-Net の重み付き画素ごとの交差エントロピー',
    "F.log_softmax over the class axis, pick each pixel's class (F.select_item after moving "
    "the classes last, or F.softmax_cross_entropy(..., reduce='no', ignore_label=-1)), "
    'multiply by the weights, zero the ignored pixels, sum, divide by their number.':
        'クラスの軸について F.log_softmax を取り、各画素のクラスを選び '
        '(クラスを最後の軸に移して F.select_item、または F.softmax_cross_entropy(..., '
        "reduce='no', ignore_label=-1))、重みを掛け、無視する画素を 0 にし、"
        '和を取ってその画素数で割ります。',
    'weighted_cross_entropy(logits (1, 2, 3, 4), no pixel ignored)':
        'weighted_cross_entropy(ロジット (1, 2, 3, 4), 無視する画素なし)',
    'weighted_cross_entropy(every pixel ignored)': 'weighted_cross_entropy(すべての画素を無視)',
    'With no labelled pixel the loss is 0 (and so is its gradient), not 0/0.':
        'ラベルの付いた画素がないとき、損失は 0/0 ではなく 0 です (その勾配も 0)。',
    'weighted_cross_entropy(logits of a few hundred)': 'weighted_cross_entropy(数百のロジット)',
    'log(softmax(x)) underflows to log(0) for large logits; F.log_softmax does not.':
        'log(softmax(x)) は大きなロジットで log(0) にアンダーフローします。F.log_softmax '
        'はしません。',
    'same loss and gradient on CuPy': 'CuPy でも同じ損失と勾配',
    'Divide by the number of labelled pixels, not by the sum of the weights (that would undo '
    'the weighting on average).':
        '重みの和ではなく、ラベルの付いた画素の数で割ってください (重みの和で割ると、'
        '平均すると重み付けが打ち消されます)。',
    'Ignored pixels do not count in N either.': '無視する画素は N にも数えません。',
    "Multiply each pixel's loss by its weight from the weight map.":
        '各画素の損失に、重みマップのその画素の重みを掛けてください。',
    # ch10.fcdensenet_channels
    'channels through an FC-DenseNet whose transitions down compress':
        'トランジションダウンで圧縮する FC-DenseNet を通るチャネル数',
    'Keep three numbers: the channels entering the next block (after the TD), the skips (block '
    'outputs before the TD) and, on the way up, the new maps of the last block (what TU '
    'upsamples).':
        '3 つの数を持ち回ります: 次のブロックに入るチャネル数 (TD のあと)、スキップ (TD '
        'の前のブロック出力)、そして上りでは直前のブロックの新しいマップ (TU '
        'がアップサンプリングするもの)。',
    'fcdensenet_channels(FC-DenseNet56)': 'fcdensenet_channels(FC-DenseNet56)',
    'fcdensenet_channels(FC-DenseNet103)': 'fcdensenet_channels(FC-DenseNet103)',
    'fcdensenet_channels([2, 3, 2], 4, first_channels=8)':
        'fcdensenet_channels([2, 3, 2], 4, first_channels=8)',
    'fcdensenet_channels(FC-DenseNet56, compression=0.5)':
        'fcdensenet_channels(FC-DenseNet56, compression=0.5)',
    'The skip is taken before the TD: it keeps every channel of the block.':
        'スキップは TD の前で取ります。ブロックのチャネルをすべて持ちます。',
    'fcdensenet_channels([3, 4, 3], 5, 9, compression=0.5)':
        'fcdensenet_channels([3, 4, 3], 5, 9, compression=0.5)',
    '9 + 3·5 = 24 channels enter the TD; 12 leave it.':
        '9 + 3·5 = 24 チャネルが TD に入り、12 チャネルが出ます。',
    'fcdensenet_channels([2, 2, 2, 2, 2], 3, 7, compression=0.75)':
        'fcdensenet_channels([2, 2, 2, 2, 2], 3, 7, compression=0.75)',
    'floor(0.75 · 13) = 9: round down.': 'floor(0.75 · 13) = 9: 切り捨てます。',
    'the bottleneck of FC-DenseNet103 has 896 channels':
        'FC-DenseNet103 のボトルネックは 896 チャネル',
    "The skip is the dense block's output, taken before the TD: compression shrinks only what "
    'goes down.':
        'スキップは TD の前で取ったデンスブロックの出力です。'
        '圧縮で減るのは下っていく分だけです。',
    'floor(compression · c): round down, as DenseNet-BC does.':
        'floor(compression · c): DenseNet-BC と同じく切り捨てます。',
    'TU upsamples only the new maps of the previous block, not its whole output: that is what '
    'keeps the up path small.':
        'TU がアップサンプリングするのは直前のブロックの新しいマップだけで、'
        '出力全体ではありません。それで上りのパスが小さく保たれます。',
    'After TU the features are concatenated with the skip of the same resolution.':
        'TU のあと、特徴は同じ解像度のスキップと連結されます。',
    'On the down path the block output (the skip) is input + new maps.':
        '下りのパスでは、ブロックの出力 (スキップ) は入力 + 新しいマップです。',
    # ch10.dense_block_params
    'trainable parameters of a dense block': 'デンスブロックの学習可能なパラメータ数',
    'A conv with c inputs, k outputs and a 3×3 kernel has 9·c·k weights and k biases; a BN '
    'over c channels has 2c. Add them up layer by layer, c growing by k.':
        '入力 c、出力 k、3×3 カーネルの畳み込みには重みが 9·c·k 個とバイアスが k 個あり、c '
        'チャネルのバッチ正規化には 2c 個あります。c を k '
        'ずつ増やしながら層ごとに足し合わせてください。',
    'One layer: BN on 48 channels, a 3×3 conv 48 → 12 with bias.':
        '1 層: 48 チャネルのバッチ正規化と、バイアス付きの 3×3 畳み込み 48 → 12。',
    'each extra layer costs 9k² + 2k more than the previous one':
        '層が 1 つ増えるごとに、前の層より 9k² + 2k 多くかかる',
    'BatchNormalization has trainable parameters too: a scale γ and a shift β per input '
    'channel.':
        'BatchNormalization にも学習可能なパラメータがあります: 入力チャネルごとにスケール γ '
        'とシフト β。',
    'The convolutions have a bias: k more per layer.':
        '畳み込みにはバイアスがあります: 層ごとに k 個多くなります。',
    'Layer i reads c + i·k channels, not c: the block input grows.':
        '層 i が読むのは c ではなく c + i·k チャネルです。ブロックの入力は増えていきます。',
    'The layers use 3×3 kernels: 9 weights per input-output pair.':
        '層は 3×3 カーネルを使います: 入力と出力の組ごとに重みが 9 個です。',
    # ch11.fcdensenet_params
    'trainable parameters of an FC-DenseNet from its configuration':
        '構成から求める FC-DenseNet の学習可能なパラメータ数',
    'Walk the network like the model does: keep the channels c, the skips, and the new maps of '
    'the last block; add BN (2c), conv (k_h·k_w·c_in·c_out + c_out) per layer.':
        'モデルと同じようにネットワークをたどります: チャネル数 c、スキップ、'
        '直前のブロックの新しいマップを持ち回り、層ごとにバッチ正規化 (2c) と畳み込み '
        '(k_h·k_w·c_in·c_out + c_out) を足します。',
    'fcdensenet_params(FC-DenseNet56, 11 classes)': 'fcdensenet_params(FC-DenseNet56, 11 クラス)',
    'fcdensenet_params(FC-DenseNet67, 11 classes)': 'fcdensenet_params(FC-DenseNet67, 11 クラス)',
    'fcdensenet_params(FC-DenseNet103, 11 classes)':
        'fcdensenet_params(FC-DenseNet103, 11 クラス)',
    'fcdensenet_params([1, 1, 1], k=2, 2 classes, 1 channel, first=4)':
        'fcdensenet_params([1, 1, 1], k=2, 2 クラス, 1 チャネル, first=4)',
    'FC-DenseNet103 has about 9.3M parameters': 'FC-DenseNet103 のパラメータ数はおよそ 9.3M',
    'Count the batch normalisations: 2 parameters (γ, β) per channel, in every dense layer and '
    'every TD.':
        'バッチ正規化を数えてください: すべてのデンス層とすべての TD で、チャネルごとに 2 '
        '個のパラメータ (γ, β)。',
    'TU transforms only the new maps of the previous block (m → m), not the whole block output.':
        'TU が変換するのは直前のブロックの新しいマップだけで (m → m)、'
        'ブロックの出力全体ではありません。',
    'Each transition down has a BN and a 1×1 convolution c → c.':
        '各トランジションダウンには、バッチ正規化と 1×1 の畳み込み c → c があります。',
    # ch11.transition_down_shape
    'shape after a transition down (max-pool or stride-2 conv)':
        'トランジションダウン (最大プーリングまたはストライド 2 の畳み込み) のあとの形状',
    'The 1×1 convolution keeps the channels; only the spatial size changes: floor((n − 1)/s) + '
    '1 for the strided conv, ceil(n/2) for the ceil-mode pool.':
        '1×1 の畳み込みはチャネル数を保ちます。変わるのは空間サイズだけで、'
        'ストライド付き畳み込みでは floor((n − 1)/s) + 1、ceil モードのプーリングでは '
        'ceil(n/2) です。',
    'Ceil mode: a 7-pixel map pools to 4.':
        'ceil モード: 7 画素のマップはプーリングで 4 になります。',
    'A 1×1 conv with stride 2 on 7 pixels reads pixels 0, 2, 4, 6.':
        '7 画素に対するストライド 2 の 1×1 畳み込みは、画素 0, 2, 4, 6 を読みます。',
    "Chainer's max_pooling_2d rounds up by default (cover_all=True), and a stride-2 1×1 conv "
    'keeps the last odd pixel.':
        'Chainer の max_pooling_2d は既定で切り上げます (cover_all=True)。ストライド 2 の 1×1 '
        '畳み込みも最後の奇数番目の画素を残します。',
    "FC-DenseNet's TD keeps the channels (DenseNet-BC's compression θ = 0.5 is not used).":
        'FC-DenseNet の TD はチャネル数を保ちます (DenseNet-BC の圧縮 θ = 0.5 は使いません)。',
    'A 1×1 kernel needs no room: the strided conv gives floor((n − 1)/2) + 1 pixels.':
        '1×1 のカーネルには余地が要りません: ストライド付き畳み込みは floor((n − 1)/2) + 1 '
        '画素を出力します。',
    # ch11.UpDenseBlock
    'a dense block that hands on its new maps only (the up path)':
        '新しいマップだけを渡すデンスブロック (上りのパス)',
    'In __init__ build the n layers (each a Chain with bn and conv) and pass them to '
    'super().__init__(*layers); in forward keep h = x and a list of new maps: each layer reads '
    'h, its output joins the list and is concatenated to h; return the list concatenated.':
        '__init__ で n 個の層 (それぞれ bn と conv を持つ Chain) を作り、'
        'super().__init__(*layers) に渡します。forward では h = x と新しいマップのリストを持ち、'
        '各層が h を読み、その出力をリストに加えて h に連結します。'
        '最後にリストを連結して返します。',
    "That is the down path's block output (input + new maps); the up path hands on the new "
    'maps only.':
        'それは下りのパスのブロック出力 (入力 + 新しいマップ) です。'
        '上りのパスでは新しいマップだけを渡します。',
    "Each layer reads the block input AND every earlier layer's maps, concatenated: that is "
    'what makes the block dense.':
        '各層はブロックの入力とそれより前のすべての層のマップを連結したものを読みます。'
        'それがブロックを「デンス」にしているものです。',
    "Return the new maps of every layer, concatenated, not only the last layer's.":
        '最後の層だけでなく、すべての層の新しいマップを連結して返してください。',
    # ch12.sliding_window_average
    'sliding-window scores averaged over overlapping windows':
        '重なり合うウィンドウで平均したスライディングウィンドウのスコア',
    'Keep two arrays: the sum of the scores and the number of windows covering each pixel; '
    'divide at the end. Do not forget the window flush with the bottom/right edge.':
        '配列を 2 つ持ちます: スコアの和と、各画素を覆うウィンドウの数です。最後に割ります。'
        '下端・右端にそろえたウィンドウを忘れないでください。',
    'sliding_window_average(score_fn, img 8x8, window=8, stride=8)  (one window)':
        'sliding_window_average(score_fn, img 8x8, window=8, stride=8)  (ウィンドウ 1 つ)',
    'sliding_window_average(score_fn, img 8x12, window=4, stride=4)  (tiles, no overlap)':
        'sliding_window_average(score_fn, img 8x12, window=4, stride=4)  (タイル、重なりなし)',
    'sliding_window_average(score_fn, img 10x10, window=6, stride=2)  (overlap)':
        'sliding_window_average(score_fn, img 10x10, window=6, stride=2)  (重なりあり)',
    '11 = 0..4, 4..8, then one window flush with the edge: 6..10.':
        '11 = 0..4, 4..8、そして端にそろえたウィンドウ 6..10 が 1 つ。',
    'position-independent scores come back unchanged': '位置によらないスコアはそのまま返る',
    'Writing each window over the previous one keeps only the last window: add the scores up '
    'and divide by the count.':
        '各ウィンドウで前のウィンドウを上書きすると、最後のウィンドウしか残りません。'
        'スコアを足し合わせて数で割ってください。',
    'Divide the summed scores by how many windows cover each pixel.':
        '足し合わせたスコアを、各画素を覆うウィンドウの数で割ってください。',
    'When (size − window) is not a multiple of the stride, the last rows/columns need one more '
    'window flush with the edge.':
        '(size − window) がストライドの倍数でないとき、'
        '最後の行・列には端にそろえたウィンドウがもう 1 つ必要です。',
    # ch12.images_per_second
    'images per second from step timings (median after warm-up)':
        'ステップの所要時間から求める 1 秒あたりの画像数 (ウォームアップ後の中央値)',
    'Drop the first `warmup` steps, take the median duration, and divide the batch size by it.':
        '最初の `warmup` ステップを除き、所要時間の中央値を取って、'
        'バッチサイズをそれで割ります。',
    'warmup=2 leaves out two steps.': 'warmup=2 で 2 ステップを除きます。',
    'a single slow step does not move the median': '遅いステップが 1 つあっても中央値は動かない',
    'The first step is not representative: leave out the warm-up steps.':
        '最初のステップは代表的ではありません。ウォームアップのステップを除いてください。',
    'Each step processes batch_size images.': '各ステップは batch_size 枚の画像を処理します。',
    'Leave out the first `warmup` steps before taking the median.':
        '中央値を取る前に、最初の `warmup` ステップを除いてください。',
    'Use the median: one step slowed down by something else would move the mean.':
        '中央値を使ってください。ほかの原因で遅くなった 1 ステップで平均は動いてしまいます。',
    # failure reasons written inside the exercises (seglearn/exercises/chNN.py, probes.py)
    'your function changed the image it was given': '関数が受け取った画像を書き換えています',
    ' (interpolation makes fractions of classes)': ' (補間するとクラスの端数ができます)',
    'the result holds values that are not in the input: {} (new "classes")':
        '結果に入力にない値があります: {} (新しい「クラス」)',
    'pixel {} is {}, but the input pixel nearest to its centre holds {}':
        '画素 {} が {} ですが、その中心に最も近い入力画素は {} です',
    'logits like 1000 give inf/nan: exp overflows float32 (exp(89) is already inf)':
        '1000 のようなロジットで inf/nan になります。exp が float32 であふれます '
        '(exp(89) で既に inf です)',
    'ksize and stride must be >= 1 and pad >= 0; got {}':
        'ksize と stride は 1 以上、pad は 0 以上でなければなりませんが、{} です',
    '2. the bilinear kernel of {} taps has phase sums {} at stride {}: a constant input comes '
    'out striped':
        '2. {0} タップの双線形カーネルは、ストライド {2} で位相ごとの和が {1} です。一定の入力が'
        '縞模様になって出てきます',
    '3. ksize {} <= stride {}: the stamps do not overlap (nearest-neighbour blocks, no '
    'interpolation)':
        '3. ksize {} <= stride {} です。スタンプが重なりません (最近傍のブロックになり、補間に'
        'なりません)',
    '3. ksize {} > 2·scale = {}: wider than the triangle of linear interpolation (the output is '
    'blurred)':
        '3. ksize {} > 2·scale = {} です。線形補間の三角形より広くなります (出力がぼやけます)',
    '1. n = {} gives s(n−1)+k−2p = {}, not {}·{} = {}':
        '1. n = {} で s(n−1)+k−2p = {} になり、{}·{} = {} になりません',
    'k={}, s={}, p={}: Chainer maps {} to {} and back to {}, not {}':
        'k={}, s={}, p={}: Chainer は {} を {} に写し、戻すと {} になります ({} になりません)',
    'k = {}: the weights {} are not symmetric': 'k = {}: 重み {} が対称ではありません',
    'scale {}: the interior of an upsampled ramp is not the ramp':
        'scale {}: アップサンプリングしたランプの内側がランプになっていません',
    'k = {} (scale {}): the weights sum to {:.4g}, not {}':
        'k = {} (scale {}): 重みの和が {:.4g} で、{} ではありません',
    'k = {}: kernel[{c}, {c}] sums to {:.4g}, not s² = {}':
        'k = {}: kernel[{c}, {c}] の和が {:.4g} で、s² = {} ではありません',
    'expected shape {}, got {}': '形状 {} が必要ですが、{} です',
    '{} must be a number, got {}': '{} は数値でなければなりませんが、{} です',
    '{} = {} is wrong': '{} = {} は違います',
    'map(first + second) = ({}, {}) but composing map(first) = ({}, {}) with map(second) = '
    '({}, {}) gives ({}, {}); first = {}, second = {}':
        'map(first + second) = ({}, {}) ですが、map(first) = ({}, {}) と map(second) = ({}, {}) '
        'を合成すると ({}, {}) になります。first = {}、second = {}',
    'the convolution at output ({}, {}) differs from the linear layer applied to the window '
    'x[:, {}:{}, {}:{}]':
        '出力 ({}, {}) での畳み込みが、窓 x[:, {}:{}, {}:{}] に全結合層を適用した結果と違います',
    'with up_ksize={} the upsampled scores sit half a pixel off the input for every padding, but '
    'you returned {!r} instead of raising ValueError':
        'up_ksize={} では、どのパディングでもアップサンプリングしたスコアが入力から半画素ずれます'
        'が、ValueError を送出せずに {!r} を返しています',
    'a freshly built head gives scores up to {:.3g}: score starts at zero':
        '作ったばかりのヘッドが最大 {:.3g} のスコアを出しています。score はゼロから始めます',
    'a freshly built fusion changes the coarse scores (by up to {:.3g}): score_pool starts at '
    'zero, so the sum must equal upscore exactly':
        '作ったばかりの融合が粗いスコアを変えています (最大 {:.3g})。score_pool はゼロから'
        '始まるので、和は upscore とちょうど等しくなければなりません',
    'size {} is not a valid input (a pooled map would be odd or the output empty), but you '
    'returned {!r} instead of raising ValueError':
        'size {} は有効な入力ではありません (プーリングするマップが奇数になるか、出力が空に'
        'なります) が、ValueError を送出せずに {!r} を返しています',
    'for size {} you raised {} instead of ValueError':
        'size {} で ValueError ではなく {} を送出しています',
    'the image itself must sit unchanged in the centre':
        '画像そのものは変わらずに中央になければなりません',
    "the 136 → 104 crop must remove 16 pixels on every side (the paper's crop)":
        '136 → 104 のクロップでは各辺から 16 画素を除かなければなりません (論文のクロップ)',
    'a (1, 5, 6) image with margin 3 gave shape {}':
        '(1, 5, 6) の画像をマージン 3 で拡張すると形状が {} になりました',
    'a (4, 136, 136) skip cropped to (104, 104) gave shape {}':
        '(4, 136, 136) のスキップを (104, 104) にクロップすると形状が {} になりました',
    'row {} above the image must equal image row {}':
        '画像の {} 行上の行は画像の {} 行目と等しくなければなりません',
    'expected an int, got {!r}': 'int が必要ですが、{!r} です',
    '{} is not a valid input size >= {} (depth={}, ksize={})':
        '{} は {} 以上の有効な入力サイズではありません (depth={}, ksize={})',
    '{} is valid for size={}, depth={}, ksize={}, but so is the smaller {}':
        '{} は size={}, depth={}, ksize={} で有効ですが、より小さい {} も有効です',
    'FC-DenseNet103 has 11 dense blocks; got {} numbers':
        'FC-DenseNet103 のデンスブロックは 11 個ですが、数が {} 個です',
    'the bottleneck of FC-DenseNet103 has 656 + 15·16 = 896 channels; got {}':
        'FC-DenseNet103 のボトルネックは 656 + 15·16 = 896 チャネルですが、{} です',
    'adding a layer should add more parameters each time (its input is k channels wider): second '
    'differences {} for n = 1..5, expected {}':
        '層を 1 つ足すごとに増えるパラメータは毎回多くなるはずです (入力が k チャネル広いため)。'
        'n = 1..5 の 2 階差分が {} ですが、{} のはずです',
    'FC-DenseNet103 with 11 classes should have about 9.3M parameters (the paper says 9.4M); '
    'got {:,}':
        '11 クラスの FC-DenseNet103 のパラメータは約 9.3M のはずです (論文では 9.4M) が、{:,} です',
    'with scores that do not depend on the window position the average must equal the scores of '
    'the whole image; first difference at {}':
        '窓の位置によらないスコアでは、平均は画像全体のスコアと等しくなければなりません。'
        '最初に違うのは {} です',
    'one slow step (5 s, another process took the CPU) must not change the result: steps {} at '
    'batch 4 give 40 images/s, got {}':
        '遅いステップが 1 つあっても (5 秒、ほかのプロセスが CPU を使った) 結果は変わっては'
        'いけません。ステップ {} はバッチ 4 で 40 画像/秒ですが、{} です',
    'no CUDA device here; the GPU path is checked where CuPy sees one':
        'ここには CUDA デバイスがありません。GPU の経路は CuPy がデバイスを認識できる環境で'
        'チェックします',
    'no gradient reaches the logits (did the loss go through .array or NumPy?)':
        'ロジットに勾配が届いていません (損失の計算が .array か NumPy を経由していませんか?)',
    'the output: ': '出力: ',
    "with the same weights, the output differs from the reference's: ":
        '同じ重みで、出力が模範解答と違います: ',
    'the parameters differ from what the stub asks for ({} in all, expected {}): {}':
        'パラメータがスタブの指定と違います (全部で {} 個、必要なのは {} 個): {}',
    "on CuPy the output differs from NumPy's: ": 'CuPy での出力が NumPy での出力と違います: ',
    'the gradient with respect to the logits differs: ': 'ロジットについての勾配が違います: ',
    "on CuPy arrays the values differ from NumPy's: ": 'CuPy 配列での値が NumPy での値と違います: ',
    'no gradient reaches {} (is it used in forward?)':
        '{} に勾配が届いていません (forward で使っていますか?)',
    '{} has shape {}, expected {}': '{} の形状が {} ですが、{} が必要です',
    'expected a {} loss, got {}': '{} の損失が必要ですが、{} です',
    'the loss is {:.6g}, expected {:.6g}': '損失が {:.6g} ですが、{:.6g} のはずです',
    'given CuPy arrays it returned a {} value, not a CuPy array':
        'CuPy 配列を渡すと、CuPy 配列ではなく {} の値を返しています',
    '{}(...) built a {}, not a chainer.Chain':
        '{}(...) が作ったのは chainer.Chain ではなく {} です',
    'forward returned dtype {}, not float32': 'forward が float32 ではなく dtype {} を返しています',
    'missing {}': '{} がありません',
    'unexpected {}': '余分な {} があります',
    'expected a chainer.Variable (so that backward() can run), got {} {}':
        'chainer.Variable が必要です (backward() を実行できるように) が、{} {} です',
    'expected a scalar loss, got shape {}': 'スカラーの損失が必要ですが、形状が {} です',
    'parameter {} has no value after __init__: give its layer the input channels so it is built '
    'at once':
        'パラメータ {} に __init__ の後で値がありません。すぐに作られるよう、その層に入力チャネル数'
        'を渡してください',
    'the class': 'そのクラス',
    'forward returned {}, not one array': 'forward が 1 つの配列ではなく {} を返しています',
}

LABELS = {
    'count_params(Chain(conv {}→8 k3, conv 8→4 k1, linear 16→5))':
        'count_params(Chain(conv {}→8 k3, conv 8→4 k1, linear 16→5))',
    'transposed_conv(x {}, W {}, stride={}, pad={})':
        'transposed_conv(x {}, W {}, stride={}, pad={})',
    'FCN32sHead({}, {}) on fc7 features {} for a {}×{} image':
        'FCN32sHead({0}, {1})、{3}×{4} 画像の fc7 特徴 {2} で',
    'SkipFusion({}, {}, offset={}, scale={}) on upscore {} and pool {}':
        'SkipFusion({}, {}, offset={}, scale={})、upscore {} と pool {} で',
    'border_weight_map({} cells on {}×{}, w0={}, sigma={})':
        'border_weight_map({1}×{2} 上の {0} 個の細胞, w0={3}, sigma={4})',
    'UpStep({}, {}) on h {} and skip {}': 'UpStep({}, {})、h {} と skip {} で',
    'weighted_cross_entropy(logits {}, {:.0%} of the pixels ignored)':
        'weighted_cross_entropy(ロジット {}, 画素の {:.0%} を無視)',
    'UpDenseBlock({}, {}, {}) on x {}': 'UpDenseBlock({}, {}, {})、x {} で',
    'sliding_window_average(score_fn, img {}x{}, window={}, stride={})':
        'sliding_window_average(score_fn, img {}x{}, window={}, stride={})',
}
