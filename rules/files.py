"""Files the engine reads from users and files it writes for them, done safely.

Reading (`read_text`): only regular files (a FIFO, a device, a folder or a dangling or looping
symbolic link is refused with one line saying which), at most `limits.MAX_TEXT_BYTES` (the size is
checked before reading and the read itself is capped), and strict UTF-8 (a byte-order mark is
allowed); a bad byte is reported with its line and column.

Writing (`check_output`, `atomic_path`, `atomic_open`, `write_text`): every output is checked
before anything is touched (its suffix, that it is not a folder or a device, that it is not one
of the command's inputs, by resolved path and by inode), then written to a temporary file in the
target folder, flushed to disk (fsync) and renamed over the target. The rename is atomic, so the
target is always either the complete previous file or the complete new one: an error, a full
disk, Ctrl-C or SIGTERM in the middle leaves the previous output as it was (and the temporary file
is removed when the process can still run its clean-up).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from rules.language.source import RulesError
from rules.limits import MAX_TEXT_BYTES


class FileError(RulesError):
    """A file that cannot be read or written, with its path and why, in one line."""


# ---- reading --------------------------------------------------------------------------------


def describe_os_error(error: OSError) -> str:
    """An OS error in words, without Python's `[Errno 28]` prefix (nor Rust's `(os error 28)`:
    polars and pyarrow raise OSError with only a message)."""
    reason = error.strerror or str(error)
    code = error.errno
    if code is None:
        found = re.search(r"os error (\d+)", str(error))
        code = int(found.group(1)) if found else None
        reason = re.sub(r"\s*\(os error \d+\)", "", reason)
    if code in (errno.ENOSPC, errno.EDQUOT):
        reason = "the disk is full"
    elif code == errno.EFBIG:
        reason = "the file would exceed the file-size limit (the disk or quota is full)"
    elif code == errno.EROFS:
        reason = "the folder is on a read-only file system"
    elif code in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    return reason


def regular_file(path: Path, what: str = "file") -> os.stat_result:
    """The status of `path` if it is a regular file (links followed); else `FileError`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise FileError(f"{path}: a symbolic link to a {what} that does not exist") from None
        raise FileError(f"{path}: no such {what}") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileError(f"{path}: a loop of symbolic links, not a {what}") from None
        raise FileError(f"{path}: cannot read: {describe_os_error(error)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileError(f"{path}: a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise FileError(f"{path}: not a regular file (a pipe, socket or device); "
                        f"give a {what} on disk")
    return info


def read_bytes(path: Path, what: str = "file", limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    info = regular_file(path, what)
    if info.st_size > limit:
        raise FileError(f"{path}: {info.st_size:,} bytes; a {what} may have at most "
                        f"{limit:,} bytes")
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise FileError(f"{path}: cannot read: {describe_os_error(error)}") from None
    if len(data) > limit:
        raise FileError(f"{path}: more than {limit:,} bytes; a {what} may have at most "
                        f"{limit:,} bytes")
    return data


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (an initial byte-order mark is dropped); a bad byte is located."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:start]
        line = before.count(b"\n") + 1
        column = start - (before.rfind(b"\n") + 1) + 1
        raise FileError(f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[start]:02x}); "
                        "save the file as UTF-8") from None


def decode_line(data: bytes) -> str:
    """One line of a corpus as UTF-8; `ValueError` with the reason of a rejected row."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte 0x{data[error.start]:02x}) at column "
                         f"{error.start + 1}") from None


def read_text(path: Path, what: str = "file", limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; `FileError` otherwise."""
    return decode(read_bytes(path, what, limit), str(path))


def read_stdin(limit: int = MAX_TEXT_BYTES) -> str:
    """Standard input as UTF-8 text, at most `limit` bytes."""
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise FileError(f"<stdin>: more than {limit:,} bytes; the limit is {limit:,}")
    return decode(data, "<stdin>")


# ---- signals --------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP, raised like Ctrl-C so that every `atomic_path` cleans up;
    `signum` gives the exit code (128 + signum)."""

    def __init__(self, signum: int):
        super().__init__(f"signal {signum}")
        self.signum = signum


_received: list[int] = []
_deferring = [0]


def _terminate(signum: int, frame: Any) -> None:
    _received.append(signum)
    if not _deferring[0]:
        raise Terminated(signum)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Steps a signal must not cut in two (create a temporary file and know its name; rename
    it over the target), or long work in native code (polars, pyarrow) whose callbacks into
    Python cannot carry an exception out (polars panics, pyo3 drops it): a signal arriving
    inside is only recorded, raised at the next `check_interrupted` or right after the block."""
    _deferring[0] += 1
    try:
        yield
    finally:
        _deferring[0] -= 1
    if not _deferring[0]:
        check_interrupted()


def check_interrupted() -> None:
    """Raise `Terminated` if a signal arrived, even one whose exception was lost (raised in a
    callback from native code, which swallows it): no output is committed after a signal."""
    if _received:
        raise Terminated(_received[-1])


def stop_cleanly_on_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into `Terminated`, remembered so that a command stopped
    by them never commits an output (`check_interrupted`), removes its temporary files and
    leaves outputs as they were. An interrupt that native code swallows is not reported as an
    "exception ignored" traceback."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _terminate)
    default = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            default(unraisable)

    sys.unraisablehook = hook


# ---- writing --------------------------------------------------------------------------------


def check_output(path: Path, suffixes: Iterable[str] | None = None,
                 inputs: Iterable[Path | None] = (), what: str = "output",
                 make_folder: bool = False) -> Path:
    """Refuse an output before anything is written: the path to write to (links resolved).

    Refused: an empty path, a suffix not in `suffixes`, a folder, anything that is not a regular
    file, a dangling link, a file that is one of `inputs` (or a folder of inputs that would
    contain it), a folder that does not exist (unless `make_folder`) or is not a folder.
    """
    text = str(path)
    if text in ("", ".") or text.endswith(os.sep):
        raise FileError(f"{what} {text!r}: give a file name")
    allowed = tuple(s.lower() for s in suffixes) if suffixes is not None else None
    if allowed is not None and path.suffix.lower() not in allowed:
        raise FileError(f"{path}: write the {what} to a {' or '.join(allowed)} file")
    target = path
    if path.is_symlink():
        resolved = Path(os.path.realpath(path))
        if not resolved.exists():
            raise FileError(f"{path}: a symbolic link to a file that does not exist")
        target = resolved
    if target.exists():
        if target.is_dir():
            raise FileError(f"{path}: a folder; give a file name for the {what}")
        if not stat.S_ISREG(target.stat().st_mode):
            raise FileError(f"{path}: not a regular file; the {what} must be a file on disk")
    _refuse_inputs(path, target, inputs, what)
    folder = target.parent
    if not folder.exists():
        if not make_folder:
            raise FileError(f"{path}: the folder {folder} does not exist")
    elif not folder.is_dir():
        raise FileError(f"{path}: {folder} is not a folder")
    return target


def _refuse_inputs(path: Path, target: Path, inputs: Iterable[Path | None], what: str) -> None:
    resolved = Path(os.path.realpath(target))
    for source in inputs:
        if source is None:
            continue
        real = Path(os.path.realpath(source))
        same = real == resolved
        if not same and target.exists() and source.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(source, target)
        if same:
            raise FileError(f"{path}: the {what} would overwrite the input {source}; "
                            "write it to another file")
        if real.is_dir() and resolved.is_relative_to(real):
            raise FileError(f"{path}: the {what} would be written inside the input folder "
                            f"{source}; write it elsewhere")


def _temporary(target: Path) -> Path:
    import tempfile

    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise FileError(f"{target}: cannot write in {folder}: {describe_os_error(error)}") \
            from None
    os.close(handle)
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        os.chmod(name, mode)
    except OSError:
        pass
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _commit(temp: Path, target: Path) -> None:
    check_interrupted()
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)
    with contextlib.suppress(OSError):    # make the rename itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write to; renamed over `target` if the block ends
    normally, removed if it raises (or is interrupted). Disk errors become `FileError`."""
    temp: Path | None = None
    try:
        with signals_deferred():
            temp = _temporary(target)
        yield temp
        with signals_deferred():
            _commit(temp, target)
    except OSError as error:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise FileError(f"{target}: cannot write: {describe_os_error(error)}; "
                        "the previous file, if any, is unchanged") from None
    except BaseException:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """An empty temporary folder beside `target`, for a writer that makes a folder of files
    (Spark, DuckDB's partitioned COPY); put in place of `target` (a previous folder or file
    removed only then) if the block ends normally, removed if it raises or is interrupted."""
    import shutil
    import tempfile

    try:
        with signals_deferred():
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp"))
    except OSError as error:
        raise FileError(f"{target}: cannot write in {target.parent}: "
                        f"{describe_os_error(error)}") from None
    try:
        yield temp
        with signals_deferred():
            check_interrupted()
            old = temp.with_name(temp.name.removesuffix(".tmp") + ".old")
            if target.exists() or target.is_symlink():
                os.replace(target, old)
            os.replace(temp, target)
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    except OSError as error:
        shutil.rmtree(temp, ignore_errors=True)
        raise FileError(f"{target}: cannot write: {describe_os_error(error)}; "
                        "the previous output, if any, is unchanged") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_open(target: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """`open(target, mode)` for writing, whole or not at all (see `atomic_path`)."""
    with atomic_path(target) as temp:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
        with open(temp, mode, **kwargs) as handle:
            yield handle
            handle.flush()


def write_text(path: Path, text: str, suffixes: Iterable[str] | None = None,
               inputs: Iterable[Path | None] = (), what: str = "output") -> None:
    """Check `path` as an output and write `text` to it atomically."""
    target = check_output(path, suffixes, inputs, what)
    with atomic_open(target) as handle:
        handle.write(text)


__all__ = [
    "FileError",
    "Terminated",
    "atomic_folder",
    "atomic_open",
    "atomic_path",
    "check_interrupted",
    "check_output",
    "decode",
    "decode_line",
    "describe_os_error",
    "read_bytes",
    "read_stdin",
    "read_text",
    "regular_file",
    "signals_deferred",
    "stop_cleanly_on_signals",
    "write_text",
]
