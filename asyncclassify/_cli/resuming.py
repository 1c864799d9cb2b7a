"""Keeping the user's data: which output a run may write, what run wrote an output, and what
`--resume` keeps of it."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .._errors import ConfigurationError
from .._job.mistakes import TRANSIENT_CODES

RECORD_SUFFIX = ".run.json"
DUPLICATE_ID = "DuplicateId"
"""The error code of a record that repeats an id an earlier record of the input has."""
RESENT_CODES = TRANSIENT_CODES | {"DeadlineExceeded", "MalformedInput"}
"""What `--resume` takes out and does again: what another attempt may answer (the library's
transient codes, and a call cut short by its deadline), and malformed records, which are
read again from the input."""
TASK_FIELDS = {"single": "classes", "multi": "classes", "entities": "entities"}


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a run is: kept beside its output (`OUTPUT.run.json`) so `--resume` can tell."""

    tasks: tuple[str, ...]
    api_version: str
    endpoint: str
    """The endpoint's host (or "embedded emulator"): never a key."""
    input: str
    """The input's absolute path, or "-" for stdin."""

    def differences(self, other: RunRecord) -> list[str]:
        """What differs from `other`, as "name: ours (theirs)" phrases."""
        ours, theirs = asdict(self), asdict(other)
        return [
            f"{name} {_shown(ours[name])}, not {_shown(theirs[name])}"
            for name in ours
            if ours[name] != theirs[name]
        ]


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(repr(item) for item in value)
    return repr(value)


def record_path(output: str) -> Path:
    """Where the run record of `output` is kept."""
    return Path(output + RECORD_SUFFIX)


def write_record(output: str, record: RunRecord) -> None:
    """Keep the run record beside `output` (replaced whole, never torn)."""
    path = record_path(output)
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(orjson.dumps(asdict(record), option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(partial, path)


def read_record(output: str) -> RunRecord | None:
    """The run record kept beside `output`, or None if there is none (or it is unreadable)."""
    try:
        data: Any = orjson.loads(record_path(output).read_bytes())
        return RunRecord(tuple(data["tasks"]), data["api_version"], data["endpoint"], data["input"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None


def check_output(
    source: str, output: str, record: RunRecord, *, resume: bool, overwrite: bool
) -> None:
    """Refuse an output that would destroy data or mix runs, before anything is sent."""
    if output == "-":
        if resume:
            raise ConfigurationError("--resume needs an output file, not stdout")
        return
    path = Path(output)
    directory = path.parent
    if not directory.is_dir():
        raise ConfigurationError(f"the output's directory {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise ConfigurationError(f"the output's directory {str(directory)!r} is not writable")
    if path.is_dir():
        raise ConfigurationError(f"the output {output!r} is a directory")
    if not path.exists():
        return
    if source != "-" and Path(source).exists() and os.path.samefile(source, output):
        raise ConfigurationError(
            f"the output {output!r} is the input file: writing it would destroy the input"
        )
    if resume:
        earlier = read_record(output)
        if earlier is not None:
            differences = record.differences(earlier)
            if differences:
                raise ConfigurationError(
                    f"--resume: {output!r} was written by another run: this one has "
                    + "; ".join(differences)
                    + "; give another output, or --overwrite to start it over"
                )
        return
    if path.stat().st_size and not overwrite:
        raise ConfigurationError(
            f"the output {output!r} exists; pass --resume to finish that run, or --overwrite "
            "to replace it"
        )


@dataclass(slots=True)
class Kept:
    """The lines `--resume` keeps of an earlier run's output."""

    firsts: set[str] = field(default_factory=set)
    """Ids whose first record has its line (an answer, or an error of its own)."""
    repeats: Counter[str] = field(default_factory=Counter)
    """Lines kept of records that repeat an id, by id."""
    answered: int = 0
    """Kept lines that hold an answer (the rest hold errors)."""

    @property
    def total(self) -> int:
        """Lines kept."""
        return len(self.firsts) + self.repeats.total()


class InputIds(Container[str]):
    """The input's ids as the reader meets them: whether a record already has its line in the
    output (`in`: the first records of an id, as many as lines kept), and which records
    repeat an id an earlier record has (each gets its own error line, never an answer: the
    answer of an id is its first record's, whether it was kept or is sent now)."""

    def __init__(self, kept: Kept) -> None:
        self._kept = kept
        self._seen: Counter[str] = Counter()

    def __contains__(self, document_id: object) -> bool:
        assert isinstance(document_id, str)
        seen = self._seen[document_id] = self._seen[document_id] + 1
        if seen == 1:
            return document_id in self._kept.firsts
        return seen - 1 <= self._kept.repeats[document_id]

    def repeated(self, document_id: str) -> bool:
        """Whether the record just read repeats an id an earlier record has."""
        return self._seen[document_id] > 1

    @property
    def unseen(self) -> int:
        """Kept ids the input did not hold (once it is read to its end)."""
        kept = self._kept.firsts | self._kept.repeats.keys()
        return sum(1 for document_id in kept if not self._seen[document_id])


def recover(path: str, *, resend_errors: bool, tasks: Sequence[tuple[str, str]] = ()) -> Kept:
    """What `--resume` keeps of `path`.

    A torn last line is cut. Lines that another run may turn into answers (transient errors,
    or every error with `resend_errors`) are taken out of the file, so their documents are
    sent again and each document ends with exactly one line; so are the error lines of
    malformed records, which the input says again (or, read another way, answers). `tasks`
    ((name, kind) of each task of this run) must match the shape of every line.
    """
    done = Kept()
    if not os.path.exists(path):
        return done
    kept_end = 0
    dropped = False
    partial = path + ".resume.tmp"
    with open(path, "rb") as handle, open(partial, "wb") as rewritten:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                break  # the last line, torn by a crash: cut
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                rewritten.close()
                os.remove(partial)
                raise ConfigurationError(
                    f"{path} line {number} is not a result line; fix or remove it, then resume"
                ) from None
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                mismatch = _shape_problem(record, tasks) if tasks else None
                if mismatch is not None:
                    rewritten.close()
                    os.remove(partial)
                    raise ConfigurationError(
                        f"--resume: {path} line {number} is not this run's: {mismatch}; "
                        "give another output, or --overwrite to start over"
                    )
                errors = _error_codes(record)
                if errors and (resend_errors or errors & RESENT_CODES):
                    dropped = True
                    continue
                if errors == {DUPLICATE_ID}:
                    done.repeats[record["id"]] += 1
                else:
                    done.firsts.add(record["id"])
                    done.answered += not errors
            rewritten.write(line)
            kept_end += len(line)
    if dropped:
        os.replace(partial, path)
        return done
    os.remove(partial)
    if kept_end != os.path.getsize(path):
        with open(path, "r+b") as handle:
            handle.truncate(kept_end)
    return done


def _shape_problem(record: dict[str, Any], tasks: Sequence[tuple[str, str]]) -> str | None:
    """Why a line cannot be one of a run with `tasks`, or None."""
    if record.get("error") is not None and "tasks" not in record:
        return None  # a document's error: any run writes it so
    if len(tasks) == 1:
        kind = tasks[0][1]
        field = TASK_FIELDS[kind]
        if field not in record:
            return f"it holds no {field!r}, as a {kind} task's answer does"
        return None
    outcomes = record.get("tasks")
    names = sorted(name for name, _ in tasks)
    if not isinstance(outcomes, dict) or sorted(outcomes) != names:
        found = sorted(outcomes) if isinstance(outcomes, dict) else "none"
        return f"its tasks are {found}, not {names}"
    return None


def _error_codes(record: dict[str, Any]) -> set[str]:
    outcomes = record["tasks"].values() if isinstance(record.get("tasks"), dict) else [record]
    codes: set[str] = set()
    for outcome in outcomes:
        error = outcome.get("error") if isinstance(outcome, dict) else None
        if isinstance(error, dict):
            codes.add(str(error.get("code")))
    return codes
