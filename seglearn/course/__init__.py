"""Course tooling, apart from what learners import: the chapter runner and the notebook grader.

* :mod:`seglearn.course.run_chapters` — execute the chapter notebooks headless and print a table
  (``make chapters``, ``make test``);
* :mod:`seglearn.course.grader` — grade the exercise cells of the notebooks (``make check``).

Learners use :mod:`seglearn.exercises` (``check(fn)``) in the chapters.
"""
