"""Bounded input and safe output: what kuayu reads cannot hang or exhaust it, and what it writes
lands inside the results folder, whole, or not at all.

Reading (scenario files, `extends` parents, region files, `--set` values):
- only regular files (never a device, FIFO or folder: `extends: /dev/zero` is refused at once),
  at most MAX_FILE_BYTES, strict UTF-8;
- YAML with safe loading, at most MAX_DEPTH levels of nesting and MAX_NODES values once every
  alias is expanded (a "billion laughs" document is refused before it is built), integers of at
  most 64 bits, no lone surrogates (text that cannot be written back as UTF-8).

Writing (every file of a results folder):
- a temporary file in the same folder (created exclusively, with a random name), then an atomic
  rename: a reader sees the old file or the new one, never half of one, and a symbolic link at the
  destination is replaced, never followed;
- no folder between the results folder and the file may be a symbolic link (so nothing is
  written outside the folder), checked before every write;
- one lock file per results folder, holding the writer's process id and host.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

MAX_FILE_BYTES = 10_000_000  # a scenario or region file (a large plan is a sweep, not a list)
MAX_DEPTH = 50  # nesting of mappings and lists
MAX_NODES = 1_000_000  # values in a document once every alias is expanded
MAX_INT_BITS = 64  # integers in a scenario (seeds, counts, parameter values)
MAX_EXTENDS = 20  # length of an `extends` chain
LOCK = ".kuayu.lock"
_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it) ...
os.umask(_UMASK)  # ... and put back at once


class InputError(ValueError):
    """A file or value that kuayu refuses to read; str() says which, where and why."""


class UnsafeFolder(Exception):
    """A results folder that cannot be written safely (a symbolic link inside it, a file
    where a folder should be), or that another live process is writing."""


# --- reading ---------------------------------------------------------------------------------
def read_text(path: str | Path, limit: int = MAX_FILE_BYTES, what: str = "file") -> str:
    """The text of a regular file of at most `limit` bytes (strict UTF-8, a BOM dropped)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: expected a {what}, found a folder")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: expected a regular {what}, found a device, pipe or socket "
                         "(kuayu reads only ordinary files)")
    if info.st_size > limit:
        raise InputError(f"{path}: the {what} has {info.st_size:,} bytes, more than the "
                         f"{limit:,} kuayu reads")
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after stat, open does not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"{path}: expected a regular {what}")
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise InputError(f"{path}: the {what} has more than the {limit:,} bytes kuayu reads")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x} at "
                         f"offset {exc.start}); save the file as UTF-8") from None


def _surrogate(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"\\u{ord(text[exc.start]):04x}"
    return None


def check_yaml(text: str, where: str = "<text>") -> None:
    """Refuse, before anything is built, a document nested deeper than MAX_DEPTH, one that
    expands (through aliases) to more than MAX_NODES values, or text that is not valid UTF-8
    once unescaped. Raises InputError with the line; YAML syntax errors are left to the
    loader (yaml.YAMLError)."""
    sizes: dict[str, int] = {}  # anchor -> expanded size of the node it names
    stack: list[list] = [[0, None]]  # per open collection: [expanded size so far, anchor]
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.ScalarEvent):
            bad = _surrogate(event.value)
            if bad:
                raise InputError(f"{where}:{line}: text with a lone surrogate ({bad}), which "
                                 "cannot be written as UTF-8")
            if event.anchor:
                sizes[event.anchor] = 1
            stack[-1][0] += 1
        elif isinstance(event, yaml.AliasEvent):
            stack[-1][0] += sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{where}:{line}: nested more than {MAX_DEPTH} levels deep")
            stack.append([1, event.anchor])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
            size, anchor = stack.pop()
            if anchor:
                sizes[anchor] = size
            stack[-1][0] += size
        elif isinstance(event, yaml.DocumentEndEvent):
            stack = [[stack[0][0], None]]
        if stack[-1][0] > MAX_NODES or sum(s for s, _ in stack) > MAX_NODES:
            raise InputError(f"{where}:{line}: the document expands to more than "
                             f"{MAX_NODES:,} values (YAML aliases repeat what they name); "
                             "write the values out, or use a sweep range")


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose integers are at most MAX_INT_BITS bits (checked on the digits, before
    Python converts them)."""

    def construct_yaml_int(self, node):
        digits = node.value.replace("_", "").lstrip("+-")
        if len(digits) > 40:
            raise InputError(f"line {node.start_mark.line + 1}: an integer of {len(digits):,} "
                             f"digits; integers must fit in {MAX_INT_BITS} bits")
        value = super().construct_yaml_int(node)
        if not -(2 ** (MAX_INT_BITS - 1)) <= value < 2 ** (MAX_INT_BITS - 1):
            raise InputError(f"line {node.start_mark.line + 1}: the integer {value} does not "
                             f"fit in {MAX_INT_BITS} bits")
        return value


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def load_yaml(text: str, where: str = "<text>") -> Any:
    """Safe-load bounded YAML (check_yaml first). Raises InputError or yaml.YAMLError."""
    check_yaml(text, where)
    try:
        return yaml.load(text, Loader=_BoundedLoader)
    except InputError as exc:
        raise InputError(f"{where}:{str(exc).removeprefix('line ')}") from None


# --- writing ---------------------------------------------------------------------------------
def check_inside(root: Path, path: Path) -> None:
    """Refuse to write `path` unless every folder from `root` down to it is a real folder (not
    a symbolic link): a link planted in a results folder must not make kuayu write outside."""
    root = Path(root)
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        raise UnsafeFolder(f"{path} is outside the results folder {root}") from None
    if any(part == ".." for part in rel.parts):
        raise UnsafeFolder(f"{path} is outside the results folder {root}")
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise UnsafeFolder(f"{current} is a symbolic link; kuayu does not write through "
                               "links inside a results folder (remove it)")
        if current.exists() and not current.is_dir():
            raise UnsafeFolder(f"{current} is a file where kuayu keeps a folder (remove it)")


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any], root: Path | None = None
                 ) -> Path:
    """Write `path` through `write(file)`: into a new temporary file beside it, then renamed
    into place. Never follows a link at `path` (the rename replaces the link itself); with
    `root`, refuses links in the folders between (check_inside). On any error the temporary
    file is removed and the old file, if any, is left as it was."""
    path = Path(path)
    if root is not None:
        check_inside(root, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.tmp-")
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; results are as readable as any file
            os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_text(path: Path, text: str, root: Path | None = None) -> Path:
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), root)


def sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def links_in(folder: Path, depth: int = 2) -> list[Path]:
    """Symbolic links inside `folder` (to `depth` levels): places a write could escape by."""
    found: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return found
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if entry.is_symlink():
            found.append(Path(entry.path))
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            found.extend(links_in(Path(entry.path), depth - 1))
    return sorted(found)


def refuse_links(folder: Path) -> None:
    links = links_in(folder)
    if links:
        shown = ", ".join(str(p.relative_to(folder)) for p in links[:5])
        more = f" and {len(links) - 5} more" if len(links) > 5 else ""
        raise UnsafeFolder(f"{folder} holds symbolic links ({shown}{more}); kuayu writes "
                           "only real files inside a results folder, so that nothing outside "
                           "it is overwritten: remove the links (or copy the folder without "
                           "them) and try again")


# --- the lock of a results folder --------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@contextlib.contextmanager
def folder_lock(folder: Path, name: str = LOCK, conflicts: tuple[str, ...] = (),
                notice: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold `folder/name` (created exclusively, holding pid, host and time) while the block
    runs. A lock of a dead process on this host is taken over (with a notice); a live one, or
    one of another host, is refused with UnsafeFolder. Locks named in `conflicts` (whatever
    their owner) also refuse, if live."""
    folder = Path(folder)
    host = socket.gethostname()
    me = {"pid": os.getpid(), "host": host, "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path = folder / name

    def holder(lock: Path) -> dict | None:
        """The live owner of `lock`, or None (absent, or stale and removed)."""
        try:
            owner = json.loads(lock.read_text(encoding="utf-8"))
            pid, where = int(owner["pid"]), str(owner["host"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            owner, pid, where = {}, -1, host  # unreadable: written by a process killed at once
        if where == host and (pid < 0 or not _alive(pid)):
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            if notice:
                notice(f"note: {lock} was left by process {pid if pid >= 0 else '?'}, which "
                       "is no longer running; taking it over")
            return None
        return owner

    def refuse(lock: Path, owner: dict) -> None:
        raise UnsafeFolder(
            f"{folder} is being written by another kuayu process (pid {owner.get('pid')} on "
            f"{owner.get('host')}, since {owner.get('since')}); wait for it to finish, or, if "
            f"that process is gone, delete {lock} and try again")

    for other in conflicts:
        owner = holder(folder / other)
        if owner is not None:
            refuse(folder / other, owner)
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            owner = holder(path)
            if owner is not None:
                refuse(path, owner)
            continue
        except OSError as exc:
            if exc.errno in (errno.ELOOP,):
                raise UnsafeFolder(f"{path} is a symbolic link; remove it") from None
            raise
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    else:
        raise UnsafeFolder(f"cannot take the lock {path}; try again")
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            current = json.loads(path.read_text(encoding="utf-8"))
            if current.get("pid") == me["pid"] and current.get("host") == host:
                path.unlink()
