"""The vocabulary ``model.py`` declares the persona's shape with, without importing pydantic.

The sections are plain (stdlib) dataclasses, quick to create; pydantic reads them only when a
validator or the JSON Schema is built: a field's description, alias and constraints from
``spec()`` (``dataclasses.field`` metadata, which pydantic honours), a reusable type's core schema
from an ``Annotated`` marker, and each section's cross-field rule from ``Shape.__get_pydantic_core_schema__``.
Importing pydantic at start-up costs ~0.1 s and creating pydantic dataclasses ~0.07 s more;
``voicecli lint-persona`` has 0.3 s in all (issue 11).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema, PydanticCustomError

# Unknown keys are errors; read by pydantic from each class (a plain dict is a valid ConfigDict).
STRICT: dict[str, Any] = {"extra": "forbid"}
# Marks (in a field's metadata) a field that code sets but a file never writes: left out of the keys
# an "unknown key" message lists; its type's ``RuntimeOnly`` marker leaves it out of the JSON Schema.
RUNTIME_ONLY = "voicecli_runtime_only"


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """A cross-field problem, reported at ``at`` below the object being validated."""
    from pydantic_core import PydanticCustomError

    return PydanticCustomError("persona", "{message}", {"message": message, "at": at})


def spec(description: str | None = None, *, default: Any = dataclasses.MISSING,
         default_factory: Any = dataclasses.MISSING, runtime_only: bool = False, **pydantic_field: Any) -> Any:
    """A dataclass field with what pydantic's ``Field`` takes (alias, min_length, ...) as its metadata.

    ``runtime_only``: code sets the field, a file never writes it (see ``RuntimeOnly``).
    """
    metadata = {**pydantic_field, **({"description": description} if description else {})}
    if runtime_only:
        metadata[RUNTIME_ONLY] = True
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Core:
    """An ``Annotated`` marker: the type's core schema, made by ``build`` when a validator is built."""

    build: Callable[[], CoreSchema]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return self.build()


@dataclasses.dataclass(frozen=True)
class RuntimeOnly:
    """An ``Annotated`` marker: the field is validated like any other but has no place in the JSON Schema."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        from pydantic_core import PydanticOmit

        raise PydanticOmit


class Shape:
    """Shared by every section: an explicit null means "unset" for a key that has a default, and the
    section's cross-field rule (``check``, raising ``problem``) runs after its fields validated."""

    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    def check(self) -> None:
        """Rules across fields; the default has none."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        schema = handler(source)  # pydantic's own schema of the dataclass
        if cls.check is not Shape.check:
            schema = core_schema.no_info_after_validator_function(_checked, schema)
        return core_schema.no_info_before_validator_function(cls._null_means_unset, schema)

    @classmethod
    def _null_means_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        optional = {
            field.metadata.get("alias", field.name)
            for field in dataclasses.fields(cls)  # type: ignore[arg-type]
            if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        }
        return {key: value for key, value in data.items() if not (value is None and key in optional)}


def _checked(shape: Shape) -> Shape:
    shape.check()
    return shape


def file_keys(shape: type) -> list[str]:
    """The keys a file may write for a section, as the file spells them (aliases), in declaration order."""
    return [
        field.metadata.get("alias", field.name)
        for field in dataclasses.fields(shape)
        if not field.metadata.get(RUNTIME_ONLY)
    ]
