"""A Python handler's declaration from its signature: the description and the JSON schema of its parameters.

A handler written with one typed parameter per argument needs no ``description`` or ``parameters``
in the persona::

    def lookup_order(order_id: str, include_items: bool = False) -> dict:
        '''Look an order up by its number.

        Args:
            order_id: The order number the caller reads out, e.g. "A-1042".
            include_items: Whether to list the items too.
        '''

The docstring's summary is the description; its ``Args:`` (Google), ``Parameters`` (NumPy) or
``:param x:`` (Sphinx) entries describe the parameters. Types: ``str``, ``int``, ``float``,
``bool``, ``Literal[...]`` and string ``Enum``\\ s (an enum), ``X | None`` (nullable), ``list[X]``,
``datetime``/``date`` (ISO 8601 text), a ``TypedDict``, a dataclass or a pydantic model (an object),
``Annotated[X, "description"]``. A parameter with a default is not required.

A handler of the older form, one parameter taking the whole arguments dict (``def f(args)``),
cannot be described: its persona declares ``parameters``. ``takes_arguments_dict`` tells the two
apart, and ``call_arguments`` turns the model's arguments into keyword arguments for the newer form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from voicecli.tools.docstrings import parse_docstring
from voicecli.tools.live_schema import to_live_schema
from voicecli.tools.modules import load_python_function

_DICT_TYPES: tuple[Any, ...] = (dict, Mapping, MutableMapping, typing.Dict)  # noqa: UP006
_LIST_TYPES: tuple[Any, ...] = (list, set, frozenset, Sequence, Iterable, typing.List, typing.Set)  # noqa: UP006
SUPPORTED = "str, int, float, bool, Literal, list[...], X | None, a TypedDict, a dataclass or a pydantic model"


class SignatureError(ValueError):
    """A handler whose signature cannot be declared to the Live API; the message names the parameter."""


class ArgumentError(ValueError):
    """Arguments from the model that do not fit the handler's signature."""


def describe_python_handler(ref: str, folder: Path) -> tuple[str | None, dict[str, Any]]:
    """Description and parameters schema of the handler ``module:function`` beside a persona.

    The module is imported (as ``talk`` does). LookupError for a missing module or function,
    SignatureError for a signature that cannot be declared; the module's own import errors propagate.
    """
    return describe_function(load_python_function(folder, ref))


def describe_function(function: Callable[..., Any]) -> tuple[str | None, dict[str, Any]]:
    target = inspect.unwrap(function)
    label = getattr(target, "__qualname__", getattr(target, "__name__", "handler"))
    if takes_arguments_dict(function):
        raise SignatureError(
            f"{label} takes the whole arguments dict, so its parameters cannot be derived: declare "
            "'parameters' in the persona, or give the function one typed parameter per argument"
        )
    doc = parse_docstring(target.__doc__)
    hints = _hints(target, label)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in inspect.signature(target).parameters.values():
        where = f"{label}: parameter {parameter.name!r}"
        if parameter.kind is parameter.VAR_POSITIONAL or parameter.kind is parameter.VAR_KEYWORD:
            raise SignatureError(f"{where} collects any arguments (*/**); declare each argument as a parameter")
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise SignatureError(f"{where} is positional-only; the model passes arguments by name")
        if parameter.name not in hints:
            raise SignatureError(f"{where} has no type hint (one of {SUPPORTED})")
        schema = _Describer(where).schema(hints[parameter.name])
        described = doc.params.get(parameter.name)
        if described:
            prior = schema.pop("description", None)
            schema["description"] = f"{described} ({prior})" if prior and prior != described else described
        properties[parameter.name] = schema
        if parameter.default is parameter.empty:
            required.append(parameter.name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    return doc.summary, parameters


def takes_arguments_dict(function: Callable[..., Any]) -> bool:
    """True for the older handler form: exactly one parameter, untyped or typed as a dict (or Any)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: call it the old way
        return True
    if len(parameters) != 1:
        return False
    (parameter,) = parameters
    if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
        return False
    if parameter.annotation is parameter.empty:
        return True
    try:
        annotation = typing.get_type_hints(function).get(parameter.name, parameter.annotation)
    except Exception:  # an unresolvable hint: judge by its text
        annotation = parameter.annotation
    if isinstance(annotation, str):
        return annotation.split("[")[0].split(".")[-1] in ("Any", "dict", "Dict", "Mapping", "MutableMapping")
    if annotation is Any:
        return True
    return typing.get_origin(annotation) in _DICT_TYPES or annotation in _DICT_TYPES


def call_arguments(function: Callable[..., Any], args: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``function`` from the model's ``args``: names checked, values converted.

    Enums, dataclasses, pydantic models, dates and tuples are built from their JSON form; an int
    where a float is declared becomes a float. ArgumentError names what does not fit.
    """
    target = inspect.unwrap(function)
    signature = inspect.signature(target)
    try:
        signature.bind(**args)
    except TypeError as error:
        raise ArgumentError(str(error)) from None
    hints = _hints(target, getattr(target, "__name__", "handler"))
    converted = {}
    for name, value in args.items():
        try:
            converted[name] = _convert(value, hints.get(name, Any))
        except (TypeError, ValueError) as error:
            raise ArgumentError(f"argument {name!r}: {error}") from None
    return converted


def _hints(target: Callable[..., Any], label: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # name the parameter whose hint does not resolve
        pass
    namespace = getattr(target, "__globals__", {})
    hints = {}
    for name, hint in getattr(target, "__annotations__", {}).items():
        annotation = hint
        try:
            for _ in range(2):  # "'Node'" under `from __future__ import annotations` is a string twice
                if isinstance(annotation, str):
                    annotation = eval(annotation, namespace)  # noqa: S307 - the handler's own type hint
            hints[name] = annotation
        except Exception as error:
            raise SignatureError(f"{label}: parameter {name!r} has a type hint that does not resolve "
                                 f"({hint!r}: {error})") from None
    return hints


def _strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        return base, metadata
    return annotation, []


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_pydantic(annotation: Any) -> bool:
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover - pydantic comes with google-genai
        return False
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class _Describer:
    """JSON schema of one parameter's type; errors name the parameter."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._seen: list[Any] = []

    def fail(self, message: str) -> SignatureError:
        return SignatureError(f"{self.where} {message}")

    def schema(self, annotation: Any) -> dict[str, Any]:
        annotation, metadata = _strip_annotated(annotation)
        schema = self._schema(annotation)
        for item in metadata:
            text = item if isinstance(item, str) else getattr(item, "description", None)
            if isinstance(text, str) and text.strip():
                schema["description"] = text.strip()
        return schema

    def _schema(self, annotation: Any) -> dict[str, Any]:
        origin = typing.get_origin(annotation)
        if annotation is Any or annotation is object:
            raise self.fail(f"has type {getattr(annotation, '__name__', annotation)}: give it a concrete type "
                            f"({SUPPORTED})")
        if annotation is None or annotation is type(None):
            raise self.fail("has type None, which cannot be declared")
        if _is_union(annotation):
            return self._union(annotation)
        if origin is typing.Literal:
            values = list(typing.get_args(annotation))
            if not all(isinstance(value, str) for value in values):
                raise self.fail("is a Literal of values other than strings; the Live API declares enums as "
                                "strings: use Literal['a', 'b']")
            return {"type": "string", "enum": values}
        if annotation is bool:
            return {"type": "boolean"}
        if annotation is int:
            return {"type": "integer"}
        if annotation is float:
            return {"type": "number"}
        if annotation is str:
            return {"type": "string"}
        if annotation is dt.datetime:
            return {"type": "string", "format": "date-time"}
        if annotation is dt.date:
            return {"type": "string", "description": "a date, YYYY-MM-DD"}
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            values = [member.value for member in annotation]
            if not all(isinstance(value, str) for value in values):
                raise self.fail(f"is the enum {annotation.__name__}, whose values are not all strings")
            return {"type": "string", "enum": values}
        if origin is tuple:
            args = typing.get_args(annotation)
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.schema(args[0])}
            raise self.fail("is a fixed-length tuple, which cannot be declared; use tuple[X, ...] or list[X]")
        if origin in _LIST_TYPES or annotation in _LIST_TYPES or annotation is tuple:
            args = typing.get_args(annotation)
            if not args:
                raise self.fail("is a list without an item type; say which, e.g. list[str]")
            return {"type": "array", "items": self.schema(args[0])}
        if origin in _DICT_TYPES or annotation in _DICT_TYPES:
            raise self.fail("is a dict with free keys, which the Live API cannot declare; "
                            "use a TypedDict or a dataclass")
        if typing.is_typeddict(annotation) or dataclasses.is_dataclass(annotation) or _is_pydantic(annotation):
            return self._object(annotation)
        raise self.fail(f"has type {getattr(annotation, '__name__', annotation)!s}, which cannot be declared "
                        f"({SUPPORTED})")

    def _union(self, annotation: Any) -> dict[str, Any]:
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        nullable = len(options) < len(typing.get_args(annotation))
        schema: dict[str, Any] = (
            self.schema(options[0]) if len(options) == 1 else {"anyOf": [self.schema(o) for o in options]}
        )
        if nullable:
            schema["nullable"] = True
        return schema

    def _object(self, annotation: Any) -> dict[str, Any]:
        if annotation in self._seen:
            raise self.fail(f"refers to {annotation.__name__} inside itself, which cannot be declared")
        if _is_pydantic(annotation):
            schema, problems = to_live_schema(annotation.model_json_schema())
            if problems:
                raise self.fail(f"is the model {annotation.__name__}, which cannot be declared whole: {problems[0]}")
            return schema
        self._seen.append(annotation)
        try:
            hints = typing.get_type_hints(annotation, include_extras=True)
            doc = parse_docstring(annotation.__doc__)
            if typing.is_typeddict(annotation):
                names = list(hints)
                required = [name for name in names if name in annotation.__required_keys__]
            else:
                fields = [field for field in dataclasses.fields(annotation) if field.init]
                names = [field.name for field in fields]
                required = [
                    field.name for field in fields
                    if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
                ]
            properties = {}
            for name in names:
                schema = self.schema(hints[name])
                if doc.params.get(name):
                    schema["description"] = doc.params[name]
                properties[name] = schema
        finally:
            self._seen.pop()
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        return result


def _convert(value: Any, annotation: Any) -> Any:
    """``value`` (parsed JSON) as an instance of ``annotation`` where that differs from the JSON form."""
    annotation, _ = _strip_annotated(annotation)
    if value is None or annotation is Any:
        return value
    if _is_union(annotation):
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        return _convert(value, options[0]) if len(options) == 1 else value
    origin = typing.get_origin(annotation)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if annotation is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(value)
    if _is_pydantic(annotation):
        return annotation.model_validate(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type) and isinstance(value, dict):
        hints = typing.get_type_hints(annotation)
        return annotation(**{key: _convert(item, hints.get(key, Any)) for key, item in value.items()})
    if typing.is_typeddict(annotation) and isinstance(value, dict):
        hints = typing.get_type_hints(annotation)
        return {key: _convert(item, hints.get(key, Any)) for key, item in value.items()}
    if isinstance(value, list) and (origin in (*_LIST_TYPES, tuple) or annotation in (*_LIST_TYPES, tuple)):
        args = typing.get_args(annotation)
        items = [_convert(item, args[0] if args else Any) for item in value]
        container = origin or annotation
        return container(items) if container in (tuple, set, frozenset) else items
    return value
