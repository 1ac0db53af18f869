"""Reading a manifest's YAML: once, bounded, and with the line of every field.

``yaml.safe_load`` followed by a second ``yaml.compose`` (to find lines for messages) parsed every
manifest twice in pure Python, kept the last of two repeated keys without a word, expanded alias
bombs and recursed on deep nesting. :func:`read_yaml` instead walks the parser's event stream once
(libyaml's C parser when it is installed), with an explicit stack, and:

- refuses a key repeated in a mapping, naming both lines (YAML itself keeps the last one silently);
- expands aliases by sharing the anchored value, counting its size against the node budget, so
  an alias bomb is refused after bounded work instead of taking minutes and gigabytes;
- stops at a nesting depth, a number of nodes and a scalar length far above any real manifest,
  so time and memory are bounded by the size of the file, which is capped too;
- records the line of every mapping key and sequence item, keyed by its field path, so a message
  can say ``rooms.yaml:14: rooms[0].account: ...`` without a second parse;
- reports an impossible date (``2027-02-30``) at its line instead of raising from the constructor;
- marks an integer that YAML read from a non-decimal spelling (``011111111111`` is octal) so the
  account id check can say "quote it".
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SCALAR_CHARS",
    "NumberText",
    "ParsedYaml",
    "YamlProblem",
    "decode",
    "read_yaml",
    "shorten",
]

#: A manifest larger than this is refused before it is parsed (5,000 rooms take about 3 MiB).
MAX_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and sequences (a manifest needs 5).
MAX_DEPTH = 16
#: Most scalars, mappings and sequences in one manifest (5,000 rooms take about 200,000).
MAX_NODES = 2_000_000
#: Longest scalar; longer fields are refused without being echoed.
MAX_SCALAR_CHARS = 64 * 1024
#: Longest echo of a value in a message.
SHOW_CHARS = 60

#: The C loader when libyaml is installed (about ten times faster), the pure Python one otherwise.
Loader: type[Any] = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = frozenset(
    {
        _STR,
        _INT,
        _TIMESTAMP,
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

FieldPath = tuple[str | int, ...]

_repr = reprlib.Repr()
_repr.maxstring = SHOW_CHARS + 2
_repr.maxother = SHOW_CHARS
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 4
_repr.maxlevel = 2


def shorten(value: Any, limit: int = SHOW_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters: a 1 MB field never makes a 1 MB message."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    text = _repr.repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


class NumberText(int):
    """An integer YAML read from a spelling that is not plain decimal (``0123``, ``0x1f``, ``1_0``).

    ``text`` keeps the spelling, so a field that wants digits (an account id) can say "quote it"
    instead of checking the number YAML made of it.
    """

    text: str

    def __new__(cls, value: int, text: str) -> NumberText:
        number = super().__new__(cls, value)
        number.text = text
        return number


@dataclass(frozen=True)
class YamlProblem(Exception):
    """Something that stops the file from being read at all; ``line`` is 1-based."""

    message: str
    line: int | None = None
    path: FieldPath = ()

    def __str__(self) -> str:
        return self.message


@dataclass
class ParsedYaml:
    """The data of a YAML document and the line each field path starts on."""

    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line(self, path: FieldPath | list[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor the file has."""
        path = tuple(path)
        while path:
            found = self.lines.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.lines.get((), 1)


def decode(raw: bytes) -> str:
    """The text of a manifest file, which must be UTF-8 (a leading byte-order mark is allowed)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise YamlProblem(
            f"byte 0x{bad} is not UTF-8: save the manifest as UTF-8 text", line
        ) from None


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    path: FieldPath
    key: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    anchor: str | None = None
    start: int = 0


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 1


def _syntax_problem(exc: yaml.YAMLError, text: str) -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        return YamlProblem(f"not valid YAML: character U+{char:04X} is not allowed in YAML", line)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        where = f" (column {mark.column + 1})" if mark is not None else ""
        return YamlProblem(
            f"not valid YAML: {'; '.join(parts) or 'syntax error'}{where}",
            mark.line + 1 if mark is not None else None,
        )
    return YamlProblem(f"not valid YAML: {type(exc).__name__}")


class _Reader:
    def __init__(self, text: str) -> None:
        self.loader = Loader(text)
        self.lines: dict[FieldPath, int] = {}
        self.nodes = 0
        # Anchored values and their sizes: an alias shares the value (no copy) and spends its
        # size from the node budget, so an alias bomb is refused after a bounded amount of work.
        self.anchors: dict[str, tuple[Any, int]] = {}

    def _alias(self, event: AliasEvent, line: int, path: FieldPath) -> Any:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise YamlProblem(
                f"YAML alias *{shorten(event.anchor, 30).strip(chr(39))} refers to no anchor "
                "defined before it (or to the value that contains it)",
                line,
                path,
            )
        value, size = anchor
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                f"YAML aliases expand to more than {MAX_NODES} values (an alias bomb?): write "
                "the values out",
                line,
                path,
            )
        return value

    def scalar(self, event: ScalarEvent, path: FieldPath) -> Any:
        value = event.value
        if len(value) > MAX_SCALAR_CHARS:
            raise YamlProblem(
                f"is {len(value)} characters long: expected at most {MAX_SCALAR_CHARS}",
                _line(event),
                path,
            )
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, value, event.implicit)
        if tag not in _SCALAR_TAGS:
            raise YamlProblem(
                f"the YAML tag {shorten(tag)} is not accepted: write a plain value",
                _line(event),
                path,
            )
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            result = self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError, yaml.YAMLError):
            what = "a real date" if tag == _TIMESTAMP else f"a valid {tag.rsplit(':', 1)[-1]}"
            raise YamlProblem(
                f"{shorten(value)} is not {what}", _line(event), path
            ) from None
        if tag == _INT and not (value.isascii() and value.isdigit() and value[0] != "0"):
            if value != "0":
                return NumberText(result, value)
        return result

    def read(self) -> Any:
        loader = self.loader
        loader.get_event()  # StreamStartEvent
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # DocumentStartEvent
        data = self.node()
        loader.get_event()  # DocumentEndEvent
        if not loader.check_event(StreamEndEvent):
            extra = loader.peek_event()
            raise YamlProblem(
                "expected one YAML document, found another after it ('---')", _line(extra)
            )
        return data

    def node(self) -> Any:
        loader = self.loader
        stack: list[_Frame] = []
        self.lines[()] = 1
        while True:
            event = loader.get_event()
            frame = stack[-1] if stack else None
            if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                assert frame is not None
                stack.pop()
                if frame.key is not None:  # unreachable: the parser pairs keys and values
                    raise YamlProblem("a key without a value", _line(event), frame.path)
                value: Any = frame.container
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, self.nodes - frame.start + 1)
                if not stack:
                    return value
                self._place(stack[-1], value, _line(event))
                continue
            if isinstance(event, (StreamStartEvent, StreamEndEvent, DocumentStartEvent)):
                raise YamlProblem("unexpected end of the YAML document", _line(event))
            if isinstance(event, DocumentEndEvent):
                raise YamlProblem("unexpected end of the YAML document", _line(event))
            assert isinstance(event, NodeEvent)
            line = _line(event)
            path = self._path_of(frame, event, line)
            if isinstance(event, AliasEvent):
                value = self._alias(event, line, path)
                if frame is None:
                    return value
                self._place(frame, value, line)
                continue
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise YamlProblem(
                    f"more than {MAX_NODES} values: split the manifest", line, path
                )
            if isinstance(event, ScalarEvent):
                if frame is not None and isinstance(frame.container, dict) and frame.key is None:
                    self._key(frame, event, line)
                    continue
                scalar = self.scalar(event, path)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (scalar, 1)
                if frame is None:
                    return scalar
                self._place(frame, scalar, line)
                continue
            assert isinstance(event, CollectionStartEvent)
            if frame is not None and isinstance(frame.container, dict) and frame.key is None:
                raise YamlProblem(
                    "a mapping key must be a plain name, not a list or a mapping", line, path
                )
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(
                    f"nested deeper than {MAX_DEPTH} levels: a manifest needs far fewer",
                    line,
                    path,
                )
            is_map = isinstance(event, MappingStartEvent)
            expected = _MAP if is_map else _SEQ
            if event.tag not in (None, "!", expected):
                raise YamlProblem(
                    f"the YAML tag {shorten(event.tag)} is not accepted: write a plain "
                    f"{'mapping' if is_map else 'list'}",
                    line,
                    path,
                )
            stack.append(_Frame({} if is_map else [], path, anchor=event.anchor, start=self.nodes))

    def _path_of(self, frame: _Frame | None, event: Any, line: int) -> FieldPath:
        if frame is None:
            return ()
        if isinstance(frame.container, list):
            path = (*frame.path, len(frame.container))
            self.lines[path] = line
            return path
        if frame.key is None:
            return frame.path
        return (*frame.path, frame.key)

    def _key(self, frame: _Frame, event: ScalarEvent, line: int) -> None:
        key = event.value
        if len(key) > 256:
            raise YamlProblem(
                f"a key of {len(key)} characters: expected a field name", line, frame.path
            )
        if key == "<<" and not event.style:
            raise YamlProblem(
                "YAML merge keys (<<) are not accepted: write the fields out",
                line,
                frame.path,
            )
        first = frame.key_lines.get(key)
        if first is not None:
            raise YamlProblem(
                f"key {shorten(key)} appears twice in the same mapping, on lines {first} and "
                f"{line}: YAML would silently keep only the last; remove one",
                line,
                (*frame.path, key),
            )
        frame.key_lines[key] = line
        frame.key = key
        self.lines[(*frame.path, key)] = line

    @staticmethod
    def _place(frame: _Frame, value: Any, line: int) -> None:
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            assert frame.key is not None
            frame.container[frame.key] = value
            frame.key = None


def read_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document of ``text`` into plain data and the line of every field path.

    Raises :class:`YamlProblem` for anything that stops the file from being read: a syntax error,
    a repeated key, an undefined alias, excessive nesting or size (alias expansion included), an
    impossible date.
    """
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"the manifest is larger than {MAX_BYTES // (1024 * 1024)} MiB", 1)
    reader = _Reader(text)
    try:
        data = reader.read()
    except yaml.YAMLError as exc:
        raise _syntax_problem(exc, text) from None
    finally:
        reader.loader.dispose()
    return ParsedYaml(data, reader.lines)

