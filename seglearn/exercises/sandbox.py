"""Running a learner's answer where the checker can stop it, and bringing back what it returned.

Where an answer runs:

* ``check(fn)`` on Linux: in a child process forked from the notebook's kernel (the fork holds
  ``fn``). Every call has a hard wall-clock limit: past it the child is killed (SIGKILL), so an
  endless loop inside a bare ``except:`` stops too, and so does a reply that does not arrive in
  full in time or is no reply (an answer that wrote into the pipe). ``sys.exit()``, ``exit()``,
  ``os._exit()``, ``os.abort()``, a crash in native code or a raised ``KeyboardInterrupt`` end at
  most that child.
  CUDA cannot be used in a forked child of a process that has used it, so a check's CuPy path
  (:attr:`Property.gpu <seglearn.exercises.core.Property>`) runs in the kernel itself.
* ``check(fn)`` on macOS and Windows (where forking a kernel is unsafe or impossible), and that
  CuPy path: in the checker's own process, with a timer (SIGALRM, re-armed every 0.25 s past the
  limit, so that ``except Exception`` cannot swallow it) or, off the main thread or on Windows, a
  worker thread that is abandoned when it overruns. An endless loop inside a bare ``except:`` then
  cannot be stopped from inside the process: interrupt the kernel.
* ``make check``: one fresh child per chapter (:mod:`seglearn.course.grader`), started by
  ``multiprocessing``'s ``forkserver`` (POSIX) or ``spawn`` (Windows), never by the grader's own
  process, so no state leaks from one chapter into another.

What crosses between the processes: requests (checker → child) are pickled by the checker;
replies (child → checker) hold only plain values — numbers, strings, bytes, tuples, lists, dicts,
Fractions and NumPy arrays (a CuPy array or a ``chainer.Variable`` arrives as its NumPy array) —
and anything else arrives as an :class:`Opaque` stand-in. The checker reads them with an unpickler
that rebuilds no class, so nothing the answer returns can run code in the checker.
"""
import contextlib
import faulthandler
import fractions
import io
import multiprocessing
import multiprocessing.connection
import os
import pickle
import selectors
import signal
import struct
import sys
import threading
import time
import traceback
import types
import warnings

import numpy

from seglearn.exercises.core import DEFAULT_TIMEOUT, describe_error, format_value
from seglearn.messages import gettext as _

_MAX_DEPTH = 40
_RETRIES = 0.25          # seconds between re-raised alarms once a call is past its limit
_MAX_REPLY = 1 << 30     # bytes: a longer reply is refused, not read


# --------------------------------------------------------------------------- plain values

class Opaque:
    """What arrives in place of a value that is not a plain value (a module, a Chain, …).

    Attributes:
        type_name (str): the name of the value's type. text (str): its ``repr`` (bounded).
    """

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return self.text


def encode(value, depth=0):
    """``value`` as a tree of tagged builtins (see the module docstring for what is kept)."""
    if depth > _MAX_DEPTH:
        return ('o', type(value).__name__, '<nested too deep>')
    t = type(value)
    if value is None:
        return ('n',)
    if t is bool:
        return ('b', value)
    if isinstance(value, int) and not isinstance(value, bool):
        return ('i', int(value))
    if t is float:
        return ('f', value)
    if t is complex:
        return ('c', value.real, value.imag)
    if t is str:
        return ('s', value)
    if t is bytes:
        return ('y', value)
    if t is fractions.Fraction:
        return ('q', value.numerator, value.denominator)
    if isinstance(value, numpy.generic) and value.dtype.kind in 'biufc':
        return ('g', value.dtype.str, value.tobytes())
    array = _as_numpy(value)
    if array is not None:
        return ('a', array.dtype.str, array.shape, array.tobytes())
    if t in (tuple, list) or (isinstance(value, tuple) and hasattr(value, '_fields')):
        return ('t' if isinstance(value, tuple) else 'l',
                [encode(v, depth + 1) for v in value])
    if t is dict:
        return ('d', [(encode(k, depth + 1), encode(v, depth + 1)) for k, v in value.items()])
    return ('o', type(value).__name__, format_value(value))


def _as_numpy(value):
    """The NumPy array of a NumPy/CuPy array or a Variable holding one, with a numeric dtype."""
    if type(value).__name__ == 'Variable' and hasattr(value, 'array'):
        value = value.array
    if type(value).__module__.startswith('cupy') and hasattr(value, 'get'):
        value = value.get()
    if isinstance(value, numpy.ndarray) and value.dtype.kind in 'biufc':
        return numpy.ascontiguousarray(value)
    return None


def decode(tree):
    """The value an :func:`encode` tree stands for."""
    tag = tree[0]
    if tag == 'n':
        return None
    if tag in 'bifsy':
        return tree[1]
    if tag == 'c':
        return complex(tree[1], tree[2])
    if tag == 'q':
        return fractions.Fraction(tree[1], tree[2])
    if tag == 'g':
        return _array(tree[1], (), tree[2])[()]
    if tag == 'a':
        return _array(tree[1], tree[2], tree[3])
    if tag == 't':
        return tuple(decode(v) for v in tree[1])
    if tag == 'l':
        return [decode(v) for v in tree[1]]
    if tag == 'd':
        return {decode(k): decode(v) for k, v in tree[1]}
    return Opaque(tree[1], tree[2])


def _array(dtype, shape, data):
    dtype = numpy.dtype(dtype)
    if dtype.kind not in 'biufc':
        raise ValueError('unexpected dtype {}'.format(dtype))
    return numpy.frombuffer(data, dtype=dtype).reshape(shape).copy()


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError('a reply may hold plain values only, not {}.{}'.format(
            module, name))


def dumps_reply(reply):
    return pickle.dumps(reply, protocol=4)


def loads_reply(data):
    """A reply written by :func:`dumps_reply`, read without rebuilding any class."""
    return _PlainUnpickler(io.BytesIO(data)).load()


# --------------------------------------------------------------------------- running one request

class Executor:
    """Runs requests against a namespace that holds the learner's code (in the child, or in the
    checker's process for the in-process fallback).

    Args:
        namespace (dict): name → the learner's functions/classes (grows when cells run).
        exercises (list[Exercise]): the exercises the requests may name; the code objects an
            answer must not run (the forbidden ones, the reference's) are collected now, before
            any cell of the learner runs.
        passthrough (tuple): exception types to let through (the in-process timer's and a
            user's KeyboardInterrupt); everything else the answer raises becomes a reply.
    """

    def __init__(self, namespace, exercises, passthrough=()):
        self.namespace = namespace
        self.exercises = {ex.qualname: ex for ex in exercises}
        self.watched = {ex.qualname: ex.watched_codes() for ex in exercises}
        self.passthrough = passthrough

    def handle(self, request):
        op = request['op']
        if op == 'call':
            return self._call(request)
        if op == 'exec':
            return self._exec(request)
        if op == 'defined':
            return {'kind': 'defined',
                    'names': [n for n in request['names'] if callable(self.namespace.get(n))]}
        raise ValueError('unknown request {!r}'.format(op))

    def _exec(self, request):
        label = '<exercise cell {}>'.format(request['cell'])
        try:
            code = compile(request['source'], label, 'exec')
        except SyntaxError as e:
            return {'kind': 'error', 'error': {'text': describe_error(e), 'line': e.lineno,
                                               'by': 'answer'}}
        try:
            with _silenced():
                exec(code, self.namespace)
        except self.passthrough:
            raise
        except BaseException as e:  # noqa: B036 -- a cell's exit() or KeyboardInterrupt too
            return {'kind': 'error', 'error': _error_info(e, {label})}
        return {'kind': 'done'}

    def _call(self, request):
        ex = self.exercises[request['exercise']]
        target = self.namespace.get(request['name'])
        probe = ex.probe if request['probe'] == 'exercise' else request['probe']
        args, kwargs = request['args'], request['kwargs']
        watched = self.watched[ex.qualname]
        shell = _ipython_shell()
        exit_before = getattr(shell, 'exit_now', False)
        used = []
        try:
            with _silenced(), _watching(watched, used):
                value = probe(target, *args, **kwargs) if probe else target(*args, **kwargs)
        except self.passthrough:
            raise
        except NotImplementedError:
            return {'kind': 'not_implemented', 'used': _used(watched, used)}
        except SystemExit as e:
            return {'kind': 'exited', 'used': _used(watched, used),
                    'message': _('your function called sys.exit({}) (or exit()): an answer '
                                 'must return its value').format(
                                     '' if e.code is None else repr(e.code))}
        except BaseException as e:  # noqa: B036 -- a raised KeyboardInterrupt is reported too
            return {'kind': 'raised', 'error': _error_info(e, _code_files(target)),
                    'used': _used(watched, used)}
        if shell is not None and getattr(shell, 'exit_now', False) and not exit_before:
            shell.exit_now = False     # IPython's exit() asks the kernel to stop after the cell
            return {'kind': 'exited', 'used': _used(watched, used),
                    'message': _('your function called exit(): an answer must return its '
                                 'value')}
        reply = {'kind': 'returned', 'value': encode(value), 'used': _used(watched, used)}
        if request.get('return_args'):
            reply['args'] = encode((list(args), dict(kwargs)))
        return reply

def _used(watched, used):
    """The names of the watched code objects the answer ran."""
    return sorted({watched[code] for code in used})


@contextlib.contextmanager
def _watching(codes, used):
    """Record in ``used`` every code object (or builtin) of ``codes`` called inside the
    block."""
    if not codes:
        yield
        return
    old = sys.getprofile()

    def watch(frame, event, arg):
        if event == 'call':
            if frame.f_code in codes:
                used.append(frame.f_code)
        elif event == 'c_call' and arg in codes:
            used.append(arg)

    sys.setprofile(watch)
    try:
        yield
    finally:
        sys.setprofile(old)


@contextlib.contextmanager
def _silenced():
    """What the answer prints is not shown (nor mixed into a reply)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings(), numpy.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        yield


def _ipython_shell():
    ipython = sys.modules.get('IPython')
    return ipython.get_ipython() if ipython is not None else None


def _code_files(target):
    """The file names of the learner's code (a notebook cell's), to find its line in a
    traceback."""
    functions = vars(target).values() if isinstance(target, type) else [target]
    files = set()
    for f in functions:
        code = getattr(getattr(f, '__func__', f), '__code__', None)
        if code is not None:
            files.add(code.co_filename)
    return files


def _error_info(error, learner_files):
    """What an exception says, its line in the learner's code, and who raised it: ``'answer'``
    when the deepest frame that is the learner's or the checker's own is the learner's."""
    by, line = 'answer', None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename in learner_files:
            line = frame.lineno
            break
        if _is_checker_file(frame.filename):
            by = 'checker'
            break
    info = {'text': describe_error(error), 'line': line, 'by': by, 'type': type(error).__name__}
    if type(error).__module__ == 'builtins' and isinstance(error, Exception):
        info['builtin'] = type(error).__name__
        info['args'] = encode(tuple(a for a in error.args if isinstance(a, (str, int, float))))
    return info


_CHECKER_DIR = os.path.dirname(os.path.abspath(__file__))


def _is_checker_file(filename):
    """The checker's own code: the exercise specs and probes (not this module, whose frame is
    above every answer's)."""
    return (os.path.dirname(os.path.abspath(filename)) == _CHECKER_DIR
            and os.path.basename(filename) != os.path.basename(__file__))


# --------------------------------------------------------------------------- the child

def serve(conn, namespace, exercises):
    """The child's loop: answer requests until told to stop (or the pipe closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the checker handles the user's interrupt
    faulthandler.disable()
    quiet = os.open(os.devnull, os.O_WRONLY)       # what native code writes is not shown either
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    _no_openmp_after_fork()
    executor = Executor(namespace, exercises)
    while True:
        try:
            request = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        if request['op'] == 'stop':
            return
        try:
            reply = executor.handle(request)
        except BaseException as e:  # noqa: B036 -- the checker's own fault, reported as such
            reply = {'kind': 'raised', 'used': [],
                     'error': {'text': describe_error(e), 'line': None, 'by': 'checker'}}
        conn.send_bytes(dumps_reply(reply))


def serve_chapter(conn, chapter):
    """The child of ``make check`` for one chapter: a fresh namespace for its exercise cells."""
    from seglearn.exercises.core import all_exercises, exercise_namespace
    serve(conn, exercise_namespace(), all_exercises(chapter))


def _no_openmp_after_fork():
    """Run the answers on seglearn's NumPy kernels, not oneDNN's: a forked child of a process
    whose OpenMP threads (GNU libgomp, which oneDNN uses) have started hangs in its next parallel
    region. Only the values an answer computes come from here; the checker's reference and
    comparisons run in the parent (they agree within float32 rounding)."""
    from seglearn import config
    if config.fast_cpu is not False:
        config.fast_cpu = 'numpy'


class Child:
    """A child process that answers requests over a pipe, within a wall-clock limit per request.

    Args:
        context: a ``multiprocessing`` context (``'fork'``, ``'forkserver'`` or ``'spawn'``).
        target, args: the child's function and its arguments after the pipe's end
            (:func:`serve`, :func:`serve_chapter`).
    """

    def __init__(self, context, target, args):
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(target=target, args=(child_conn,) + tuple(args),
                                       daemon=True)
        with warnings.catch_warnings(), _no_main_module():
            warnings.simplefilter('ignore', DeprecationWarning)  # Python 3.12+: threads + fork
            self.process.start()
        child_conn.close()
        self.gone = None

    def request(self, message, timeout):
        """The child's reply (a dict), or ``{'kind': 'timed_out' | 'crashed', 'message': …}``
        when it died, did not take the request or start its reply within ``timeout`` seconds
        or finish the reply within ``timeout`` more (it is killed then: a cell or an answer
        that writes into the pipe cannot keep the checker waiting), or sent something that is
        not a reply."""
        if self.gone is not None:
            return self.gone
        try:
            _send(self.conn, pickle.dumps(message, protocol=4), timeout)
            ready = multiprocessing.connection.wait([self.conn, self.process.sentinel], timeout)
        except _Late:
            ready = []
        except (OSError, EOFError):
            return self._died()
        if not ready:
            return self._stop('timed_out', str(_timeout_error(timeout)))
        if self.conn not in ready:
            return self._died()
        try:
            return _as_reply(_receive(self.conn, timeout))
        except _Late:
            return self._stop('timed_out', _('the answer did not arrive in full within {:g} s '
                                             '(did your code write into the checker\'s pipe?)')
                              .format(timeout))
        except _Unreadable:
            return self._stop('crashed', _('the process running your code sent an unreadable '
                                           'answer (did your code write into the checker\'s '
                                           'pipe?)'))
        except (OSError, EOFError):
            return self._died()

    def _stop(self, kind, why):
        self.kill()
        self.gone = {'kind': kind, 'message': _('{}; the process running it was stopped').format(
            why)}
        return self.gone

    def _died(self):
        self.process.join(5)
        self.gone = {'kind': 'crashed', 'message': describe_exit(self.process.exitcode)}
        return self.gone

    def kill(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)

    def close(self):
        if self.gone is None and self.process.is_alive():
            try:
                _send(self.conn, pickle.dumps({'op': 'stop'}), 2)
            except (_Late, OSError):
                pass
            self.process.join(2)
        self.kill()
        self.conn.close()


class _Late(Exception):
    """A message did not go through the pipe before its deadline."""


class _Unreadable(Exception):
    """What came through the pipe is not a reply."""


def _as_reply(data):
    """The reply ``data`` holds (see :func:`loads_reply`), or :class:`_Unreadable`."""
    try:
        reply = loads_reply(data)
    except Exception as e:  # whatever the bytes were, they are not a reply
        raise _Unreadable() from e
    if not isinstance(reply, dict) or not isinstance(reply.get('kind'), str):
        raise _Unreadable()
    return reply


def _send(conn, data, timeout):
    """Write ``data`` as one message of ``conn`` (``send_bytes``'s framing) within ``timeout``
    seconds, or raise :class:`_Late`. (Windows's pipes are written by ``send_bytes``.)"""
    if os.name != 'posix':
        conn.send_bytes(data)
        return
    header = (struct.pack('!i', len(data)) if len(data) <= 0x7fffffff
              else struct.pack('!iQ', -1, len(data)))
    fd, deadline = conn.fileno(), time.monotonic() + timeout
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        for view in (memoryview(header), memoryview(data)):
            while view:
                if not _ready(fd, selectors.EVENT_WRITE, deadline):
                    raise _Late()
                with contextlib.suppress(BlockingIOError):
                    view = view[os.write(fd, view):]
    finally:
        os.set_blocking(fd, blocking)


def _receive(conn, timeout):
    """One message of ``conn`` (``recv_bytes``'s framing), read in full within ``timeout``
    seconds of its first byte, or :class:`_Late`; :class:`_Unreadable` when it announces more
    than :data:`_MAX_REPLY` bytes. (Windows's pipes are read by ``recv_bytes``: a message
    arrives whole.)"""
    if os.name != 'posix':
        return conn.recv_bytes()
    fd, deadline = conn.fileno(), time.monotonic() + timeout
    size, = struct.unpack('!i', _read(fd, 4, deadline))
    if size == -1:
        size, = struct.unpack('!Q', _read(fd, 8, deadline))
    if not 0 <= size <= _MAX_REPLY:
        raise _Unreadable()
    return _read(fd, size, deadline)


def _read(fd, n, deadline):
    chunks = []
    while n:
        if not _ready(fd, selectors.EVENT_READ, deadline):
            raise _Late()
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def _ready(fd, event, deadline):
    """Whether ``fd`` is ready for ``event`` (a ``selectors`` event) before ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    with selectors.DefaultSelector() as selector:
        selector.register(fd, event)
        return bool(selector.select(left))


@contextlib.contextmanager
def _no_main_module():
    """Start children without the parent's ``__main__``: ``multiprocessing``'s spawn and
    forkserver children import it again before they run (a script would run twice, a kernel's
    or stdin's ``__main__`` cannot be imported at all); the sandbox's children need nothing
    from it. A fork copies the process and imports nothing either way."""
    main = sys.modules['__main__']
    sys.modules['__main__'] = types.ModuleType('__main__')
    try:
        yield
    finally:
        sys.modules['__main__'] = main


def describe_exit(code):
    """Why a child ended, from its exit code (negative: the signal that killed it)."""
    if code is None:
        return _('the process running your code stopped answering')
    if code >= 0:
        return (_('your code ended the process running it (exit code {}, e.g. os._exit({}))')
                .format(code, code))
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = _('signal {}').format(-code)
    why = {'SIGABRT': _(' (os.abort() or a failed assertion in native code)'),
           'SIGSEGV': _(' (a crash in native code)'),
           'SIGKILL': _(' (out of memory?)')}.get(name, '')
    return _('the process running your code was killed by {}{}').format(name, why)


# --------------------------------------------------------------------------- answers

class Outcome:
    """What one call of the answer gave: ``kind`` is ``'returned'``, ``'raised'``,
    ``'not_implemented'``, ``'exited'``, ``'timed_out'`` or ``'crashed'``."""

    def __init__(self, reply):
        self.kind = reply['kind']
        self.used = reply.get('used', [])
        self.message = reply.get('message', '')
        self.error = reply.get('error')
        self.value = decode(reply['value']) if 'value' in reply else None
        self.args = decode(reply['args']) if 'args' in reply else None

    @property
    def stops(self):
        """The answer cannot be called again (its process was stopped or died)."""
        return self.kind in ('timed_out', 'crashed')


class Answer:
    """The learner's answer to one exercise, callable where it runs (see the module docstring).

    Args:
        exercise: the :class:`~seglearn.exercises.core.Exercise`.
        name (str): the answer's name in the namespace that holds it.
        child (Child or None): the process that holds it; None = this process.
        local (Executor): runs calls in this process (the fallback, and CuPy calls when the
            child is a fork).
        gpu_in_child (bool): CuPy calls may go to the child (it is not a fork of a process that
            may have used CUDA).
    """

    def __init__(self, exercise, name, child=None, local=None, gpu_in_child=False):
        self.exercise, self.name = exercise, name
        self.child, self.local, self.gpu_in_child = child, local, gpu_in_child

    def call(self, args, kwargs, probe=None, gpu=False, return_args=False):
        """Run ``answer(*args, **kwargs)`` (or ``probe(answer, *args, **kwargs)``; ``probe`` may
        be ``'exercise'`` for the exercise's own probe) within the exercise's time limit."""
        request = {'op': 'call', 'exercise': self.exercise.qualname, 'name': self.name,
                   'probe': probe, 'args': args, 'kwargs': kwargs, 'return_args': return_args}
        timeout = self.exercise.timeout
        if self.child is not None and (self.gpu_in_child or not gpu):
            return Outcome(self.child.request(request, timeout))
        try:
            reply = call_with_timeout(self.local.handle, (request,), {}, timeout)
        except Timeout as e:
            reply = {'kind': 'timed_out', 'message': str(e)}
        return Outcome(reply)


def fork_is_safe():
    """Whether check() forks the kernel: on Linux only (macOS's system libraries are not safe to
    use in a forked child of a threaded process; Windows cannot fork)."""
    return sys.platform.startswith('linux') and 'fork' in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def answer_for(exercise, fn, isolate=None):
    """An :class:`Answer` for ``fn``: in a forked child when ``isolate`` (default:
    :func:`fork_is_safe`), else in this process."""
    namespace = {exercise.name: fn}
    local = Executor(namespace, [exercise], passthrough=(_Alarm, KeyboardInterrupt))
    if isolate is None:
        isolate = fork_is_safe()
    if not isolate:
        yield Answer(exercise, exercise.name, local=local)
        return
    child = Child(multiprocessing.get_context('fork'), serve, (namespace, [exercise]))
    try:
        yield Answer(exercise, exercise.name, child=child, local=local)
    finally:
        child.close()


# --------------------------------------------------------------------------- in-process limit

class Timeout(Exception):
    """A call ran past its time limit."""


class _Alarm(BaseException):
    # BaseException so that a learner's ``except Exception`` cannot swallow the time limit.
    pass


def call_with_timeout(fn, args=(), kwargs=None, timeout=DEFAULT_TIMEOUT):
    """Call ``fn(*args, **kwargs)`` in this process; raise :class:`Timeout` after ``timeout``
    seconds.

    On the main thread of a POSIX process SIGALRM interrupts Python code, again every 0.25 s
    while the call goes on (a bare ``except:`` that swallows one alarm meets the next), and a
    call that returns after its limit counts as timed out; any timer set before is restored
    afterwards. Elsewhere the call runs in a daemon thread that is abandoned if it overruns.
    Exceptions raised by ``fn`` propagate unchanged.
    """
    kwargs = kwargs or {}
    if timeout is None:
        return fn(*args, **kwargs)
    if hasattr(signal, 'setitimer') and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(fn, args, kwargs, timeout)
    return _call_in_thread(fn, args, kwargs, timeout)


def _timeout_error(timeout):
    return Timeout(_('no answer within {:g} s (an endless loop?)').format(timeout))


def _call_with_alarm(fn, args, kwargs, timeout):
    def handler(signum, frame):
        raise _Alarm()

    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, timeout, _RETRIES)
    start = time.monotonic()
    try:
        value = fn(*args, **kwargs)
    except _Alarm:
        raise _timeout_error(timeout) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)
    if time.monotonic() - start > timeout:   # an alarm was swallowed, yet it came back late
        raise _timeout_error(timeout)
    return value


def _call_in_thread(fn, args, kwargs, timeout):
    box = {}

    def target():
        try:
            box['value'] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: B036 -- handed to the caller below
            box['error'] = e

    worker = threading.Thread(target=target, daemon=True, name='seglearn-exercise')
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _timeout_error(timeout)
    if 'error' in box:
        raise box['error']
    return box['value']
