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
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SCALAR_CHARS",
    "ManifestYamlError",
    "NumberText",
    "ParsedYaml",
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
Loader: type[Any] = (
    yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
)

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
    """``repr(value)`` cut to about ``limit`` characters: a 1 MB field makes no 1 MB message."""
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
class ManifestYamlError(Exception):
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
        raise ManifestYamlError(
            f"byte 0x{bad} is not UTF-8: save the manifest as UTF-8 text", line
        ) from None


class _Frame:
    """A mapping or sequence being read: its container, path and the key awaiting a value."""

    __slots__ = ("anchor", "container", "is_map", "key", "path", "start")

    def __init__(
        self, container: dict[str, Any] | list[Any], path: FieldPath, anchor: str | None, start: int
    ) -> None:
        self.container = container
        self.path = path
        self.is_map = isinstance(container, dict)
        self.key: str | None = None
        self.anchor = anchor
        self.start = start

    def place(self, value: Any) -> None:
        if self.is_map:
            self.container[self.key] = value  # type: ignore[call-overload, index]
            self.key = None
        else:
            self.container.append(value)  # type: ignore[union-attr]


def _line(event: Any) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else 1


def _syntax_problem(exc: yaml.YAMLError, text: str) -> ManifestYamlError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        found = exc.character
        char = found if isinstance(found, int) else ord(str(found)[:1] or "?")
        return ManifestYamlError(
            f"not valid YAML: character U+{char:04X} is not allowed in YAML", line
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        where = f" (column {mark.column + 1})" if mark is not None else ""
        return ManifestYamlError(
            f"not valid YAML: {'; '.join(parts) or 'syntax error'}{where}",
            mark.line + 1 if mark is not None else None,
        )
    return ManifestYamlError(f"not valid YAML: {type(exc).__name__}")


class _Reader:
    def __init__(self, text: str) -> None:
        self.loader = Loader(text)
        self.lines: dict[FieldPath, int] = {}
        self.nodes = 0
        # Anchored values and their sizes: an alias shares the value (no copy) and spends its
        # size from the node budget, so an alias bomb is refused after a bounded amount of work.
        self.anchors: dict[str, tuple[Any, int]] = {}

    def _alias(self, event: AliasEvent, line: int, path: FieldPath) -> Any:
        anchor = self.anchors.get(event.anchor or "")
        if anchor is None:
            raise ManifestYamlError(
                f"YAML alias *{shorten(event.anchor, 30).strip(chr(39))} refers to no anchor "
                "defined before it (or to the value that contains it)",
                line,
                path,
            )
        value, size = anchor
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise ManifestYamlError(
                f"YAML aliases expand to more than {MAX_NODES} values (an alias bomb?): write "
                "the values out",
                line,
                path,
            )
        return value

    def scalar(self, event: ScalarEvent, path: FieldPath) -> Any:
        value = event.value
        if len(value) > MAX_SCALAR_CHARS:
            raise ManifestYamlError(
                f"is {len(value)} characters long: expected at most {MAX_SCALAR_CHARS}",
                _line(event),
                path,
            )
        tag = event.tag
        if tag is None or tag == "!":
            if event.style:  # quoted or block: text, whatever it looks like
                return value
            tag = self.loader.resolve(ScalarNode, value, event.implicit)
            if tag == _STR:
                return value
        if tag not in _SCALAR_TAGS:
            raise ManifestYamlError(
                f"the YAML tag {shorten(tag)} is not accepted: write a plain value",
                _line(event),
                path,
            )
        node = ScalarNode(tag, value, None, None, event.style or None)
        try:
            result = self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError, yaml.YAMLError):
            what = "a real date" if tag == _TIMESTAMP else f"a valid {tag.rsplit(':', 1)[-1]}"
            raise ManifestYamlError(f"{shorten(value)} is not {what}", _line(event), path) from None
        plain_decimal = value.isascii() and value.isdigit() and (value[0] != "0" or value == "0")
        if tag == _INT and not plain_decimal:
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
            raise ManifestYamlError(
                "expected one YAML document, found another after it ('---')", _line(extra)
            )
        return data

    def node(self) -> Any:
        # One loop over the events with an explicit stack (no recursion, so no depth at which
        # Python gives up) and a dispatch on the event's exact class: this loop is most of the
        # time spent validating a large manifest (bench/validate.py).
        get_event = self.loader.get_event
        lines = self.lines
        lines[()] = 1
        stack: list[_Frame] = []
        frame: _Frame | None = None
        while True:
            event = get_event()
            cls = event.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                assert frame is not None
                stack.pop()
                value: Any = frame.container
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, self.nodes - frame.start + 1)
                if not stack:
                    return value
                frame = stack[-1]
                frame.place(value)
                continue
            if cls is ScalarEvent and frame is not None and frame.is_map and frame.key is None:
                self._key(frame, event)
                continue
            if not isinstance(event, NodeEvent):
                raise ManifestYamlError("unexpected end of the YAML document", _line(event))
            path: FieldPath
            if frame is None:
                path = ()
            elif frame.is_map:
                path = (*frame.path, frame.key)  # type: ignore[arg-type]
            else:
                path = (*frame.path, len(frame.container))
                lines[path] = _line(event)
            if cls is AliasEvent:
                value = self._alias(event, _line(event), path)  # type: ignore[arg-type]
            elif cls is ScalarEvent:
                self.nodes += 1
                value = self.scalar(event, path)  # type: ignore[arg-type]
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            else:
                self.nodes += 1
                stack.append(self._start(event, path, frame, len(stack)))
                frame = stack[-1]
                continue
            if frame is None:
                return value
            frame.place(value)
            if self.nodes > MAX_NODES:
                raise ManifestYamlError(
                    f"more than {MAX_NODES} values: split the manifest", _line(event), path
                )

    def _start(self, event: Any, path: FieldPath, parent: _Frame | None, depth: int) -> _Frame:
        line = _line(event)
        if depth >= MAX_DEPTH:
            raise ManifestYamlError(
                f"nested deeper than {MAX_DEPTH} levels: a manifest needs far fewer", line, path
            )
        is_map = isinstance(event, MappingStartEvent)
        expected = _MAP if is_map else _SEQ
        if event.tag not in (None, "!", expected):
            raise ManifestYamlError(
                f"the YAML tag {shorten(event.tag)} is not accepted: write a plain "
                f"{'mapping' if is_map else 'list'}",
                line,
                path,
            )
        return _Frame({} if is_map else [], path, event.anchor, self.nodes)

    def _key(self, frame: _Frame, event: ScalarEvent) -> None:
        key = event.value
        line = _line(event)
        if len(key) > 256:
            raise ManifestYamlError(
                f"a key of {len(key)} characters: expected a field name", line, frame.path
            )
        if key == "<<" and not event.style:
            raise ManifestYamlError(
                "YAML merge keys (<<) are not accepted: write the fields out", line, frame.path
            )
        path = (*frame.path, key)
        if key in frame.container:
            raise ManifestYamlError(
                f"key {shorten(key)} appears twice in the same mapping, on lines "
                f"{self.lines[path]} and {line}: YAML would silently keep only the last; "
                "remove one",
                line,
                path,
            )
        self.lines[path] = line
        frame.key = key


def read_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document of ``text`` into plain data and the line of every field path.

    Raises :class:`ManifestYamlError` for anything that stops the file from being read: a
    syntax error, a repeated key, an undefined alias, excessive nesting or size (alias expansion
    included), an impossible date.
    """
    if len(text) > MAX_BYTES:
        raise ManifestYamlError(f"the manifest is larger than {MAX_BYTES // (1024 * 1024)} MiB", 1)
    try:
        reader = _Reader(text)
    except UnicodeError as exc:  # a lone surrogate in a str handed to the API: not encodable
        start = getattr(exc, "start", 0)
        raise ManifestYamlError(
            "the text holds a character that is not valid Unicode (a lone surrogate)",
            text.count("\n", 0, start) + 1,
        ) from None
    except yaml.YAMLError as exc:  # the pure Python reader checks characters as it starts
        raise _syntax_problem(exc, text) from None
    try:
        data = reader.read()
    except yaml.YAMLError as exc:
        raise _syntax_problem(exc, text) from None
    finally:
        reader.loader.dispose()
    return ParsedYaml(data, reader.lines)
