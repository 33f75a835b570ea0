"""pydantic's core schema of a persona file, generated from model.py by compiled.py; do not edit.

Rewrite it with ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona``.
"""

# ruff: noqa: E501  (nesting as deep as the persona's sections)
from typing import Any

from voicecli.persona import declare, model

DIGEST = 'crc32:2ede2acf:24503'
PYDANTIC_CORE = '2.50.5'
CONFIG: dict[str, Any] = {}
SCHEMA: dict[str, Any] = {
    'type': 'function-before',
    'function': {'type': 'no-info', 'function': model.Document._null_means_unset},
    'schema': {
        'type': 'function-after',
        'function': {'type': 'no-info', 'function': declare._checked},
        'schema': {
            'type': 'dataclass',
            'cls': model.Document,
            'fields': [
                'persona',
                'greeting',
                'rules',
                'guardrails',
                'tools',
                'mcp_servers',
                'handoffs',
                'session',
            ],
            'schema': {
                'type': 'dataclass-args',
                'dataclass_name': 'Document',
                'fields': [
                    {
                        'type': 'dataclass-field',
                        'name': 'persona',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'function-before',
                                'function': {'type': 'no-info', 'function': model.PersonaInfo._null_means_unset},
                                'schema': {
                                    'type': 'dataclass',
                                    'cls': model.PersonaInfo,
                                    'fields': [
                                        'name',
                                        'role',
                                        'description',
                                        'traits',
                                        'language',
                                        'accent',
                                        'voice',
                                    ],
                                    'schema': {
                                        'type': 'dataclass-args',
                                        'dataclass_name': 'PersonaInfo',
                                        'fields': [
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'name',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'role',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'description',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'traits',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'list',
                                                        'items_schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default_factory': list,
                                                    'default_factory_takes_data': False,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'language',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'accent',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'voice',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                        ],
                                        'computed_fields': [],
                                        'collect_init_only': False,
                                    },
                                    'post_init': False,
                                    'frozen': False,
                                    'slots': False,
                                    'config': {'extra_fields_behavior': 'forbid', 'title': 'PersonaInfo'},
                                    'ref': 'voicecli.persona.model.PersonaInfo',
                                },
                            },
                            'default_factory': model.PersonaInfo,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'greeting',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'nullable',
                                'schema': {
                                    'type': 'function-before',
                                    'function': {
                                        'type': 'no-info',
                                        'function': model.Greeting._null_means_unset,
                                    },
                                    'schema': {
                                        'type': 'dataclass',
                                        'cls': model.Greeting,
                                        'fields': ['text', 'facts'],
                                        'schema': {
                                            'type': 'dataclass-args',
                                            'dataclass_name': 'Greeting',
                                            'fields': [
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'text',
                                                    'schema': {
                                                        'type': 'function-after',
                                                        'function': {
                                                            'type': 'no-info',
                                                            'function': model._not_blank,
                                                        },
                                                        'schema': {
                                                            'type': 'str',
                                                            'min_length': 1,
                                                            'strict': True,
                                                        },
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'facts',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'dict',
                                                            'keys_schema': {'type': 'str'},
                                                            'values_schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default_factory': dict,
                                                        'default_factory_takes_data': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                            ],
                                            'computed_fields': [],
                                            'collect_init_only': False,
                                        },
                                        'post_init': False,
                                        'frozen': False,
                                        'slots': False,
                                        'config': {'extra_fields_behavior': 'forbid', 'title': 'Greeting'},
                                        'ref': 'voicecli.persona.model.Greeting',
                                    },
                                },
                            },
                            'default': None,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'rules',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'list',
                                'items_schema': {
                                    'type': 'function-before',
                                    'function': {'type': 'no-info', 'function': model.Step._null_means_unset},
                                    'schema': {
                                        'type': 'dataclass',
                                        'cls': model.Step,
                                        'fields': ['instructions', 'title', 'kind', 'tools'],
                                        'schema': {
                                            'type': 'dataclass-args',
                                            'dataclass_name': 'Step',
                                            'fields': [
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'instructions',
                                                    'schema': {
                                                        'type': 'function-after',
                                                        'function': {
                                                            'type': 'no-info',
                                                            'function': model._not_blank,
                                                        },
                                                        'schema': {
                                                            'type': 'str',
                                                            'min_length': 1,
                                                            'strict': True,
                                                        },
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'title',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'nullable',
                                                            'schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default': None,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'kind',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'literal',
                                                            'expected': ['once', 'loop'],
                                                        },
                                                        'default': 'once',
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'tools',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'list',
                                                            'items_schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default_factory': list,
                                                        'default_factory_takes_data': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                            ],
                                            'computed_fields': [],
                                            'collect_init_only': False,
                                        },
                                        'post_init': False,
                                        'frozen': False,
                                        'slots': False,
                                        'config': {'extra_fields_behavior': 'forbid', 'title': 'Step'},
                                        'ref': 'voicecli.persona.model.Step',
                                    },
                                },
                            },
                            'default_factory': list,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'guardrails',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'nullable',
                                'schema': {
                                    'type': 'function-before',
                                    'function': {
                                        'type': 'no-info',
                                        'function': model.Guardrails._null_means_unset,
                                    },
                                    'schema': {
                                        'type': 'dataclass',
                                        'cls': model.Guardrails,
                                        'fields': ['must_not', 'examples'],
                                        'schema': {
                                            'type': 'dataclass-args',
                                            'dataclass_name': 'Guardrails',
                                            'fields': [
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'must_not',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'list',
                                                            'items_schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default_factory': list,
                                                        'default_factory_takes_data': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'examples',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'list',
                                                            'items_schema': {
                                                                'type': 'function-before',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model.Example._null_means_unset,
                                                                },
                                                                'schema': {
                                                                    'type': 'dataclass',
                                                                    'cls': model.Example,
                                                                    'fields': ['situation', 'response'],
                                                                    'schema': {
                                                                        'type': 'dataclass-args',
                                                                        'dataclass_name': 'Example',
                                                                        'fields': [
                                                                            {
                                                                                'type': 'dataclass-field',
                                                                                'name': 'situation',
                                                                                'schema': {
                                                                                    'type': 'function-after',
                                                                                    'function': {
                                                                                        'type': 'no-info',
                                                                                        'function': model._not_blank,
                                                                                    },
                                                                                    'schema': {
                                                                                        'type': 'str',
                                                                                        'min_length': 1,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'kw_only': False,
                                                                                'init': True,
                                                                                'validation_alias': 'if',
                                                                                'serialization_alias': 'if',
                                                                            },
                                                                            {
                                                                                'type': 'dataclass-field',
                                                                                'name': 'response',
                                                                                'schema': {
                                                                                    'type': 'function-after',
                                                                                    'function': {
                                                                                        'type': 'no-info',
                                                                                        'function': model._not_blank,
                                                                                    },
                                                                                    'schema': {
                                                                                        'type': 'str',
                                                                                        'min_length': 1,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'kw_only': False,
                                                                                'init': True,
                                                                                'validation_alias': 'then',
                                                                                'serialization_alias': 'then',
                                                                            },
                                                                        ],
                                                                        'computed_fields': [],
                                                                        'collect_init_only': False,
                                                                    },
                                                                    'post_init': False,
                                                                    'frozen': False,
                                                                    'slots': False,
                                                                    'config': {
                                                                        'extra_fields_behavior': 'forbid',
                                                                        'title': 'Example',
                                                                    },
                                                                    'ref': 'voicecli.persona.model.Example',
                                                                },
                                                            },
                                                        },
                                                        'default_factory': list,
                                                        'default_factory_takes_data': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                            ],
                                            'computed_fields': [],
                                            'collect_init_only': False,
                                        },
                                        'post_init': False,
                                        'frozen': False,
                                        'slots': False,
                                        'config': {'extra_fields_behavior': 'forbid', 'title': 'Guardrails'},
                                        'ref': 'voicecli.persona.model.Guardrails',
                                    },
                                },
                            },
                            'default': None,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'tools',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'list',
                                'items_schema': {
                                    'type': 'function-before',
                                    'function': {
                                        'type': 'no-info',
                                        'function': model.ToolEntry._null_means_unset,
                                    },
                                    'schema': {
                                        'type': 'function-after',
                                        'function': {'type': 'no-info', 'function': declare._checked},
                                        'schema': {
                                            'type': 'dataclass',
                                            'cls': model.ToolEntry,
                                            'fields': [
                                                'name',
                                                'builtin',
                                                'description',
                                                'when',
                                                'parameters',
                                                'behavior',
                                                'timeout_s',
                                                'handler',
                                            ],
                                            'schema': {
                                                'type': 'dataclass-args',
                                                'dataclass_name': 'ToolEntry',
                                                'fields': [
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'name',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'function-after',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model._not_blank,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'str',
                                                                        'min_length': 1,
                                                                        'strict': True,
                                                                    },
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'builtin',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'literal',
                                                                    'expected': [
                                                                        'google_search',
                                                                        'code_execution',
                                                                    ],
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'description',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'function-after',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model._not_blank,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'str',
                                                                        'min_length': 1,
                                                                        'strict': True,
                                                                    },
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'when',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'function-after',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model._not_blank,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'str',
                                                                        'min_length': 1,
                                                                        'strict': True,
                                                                    },
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'parameters',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'dict',
                                                                    'keys_schema': {'type': 'str'},
                                                                    'values_schema': {'type': 'any'},
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'behavior',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'literal',
                                                                'expected': ['blocking', 'non_blocking'],
                                                            },
                                                            'default': 'blocking',
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'timeout_s',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'float',
                                                                    'allow_inf_nan': False,
                                                                    'gt': 0,
                                                                    'strict': True,
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'handler',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'function-before',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model.HandlerBinding._null_means_unset,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'function-after',
                                                                        'function': {
                                                                            'type': 'no-info',
                                                                            'function': declare._checked,
                                                                        },
                                                                        'schema': {
                                                                            'type': 'dataclass',
                                                                            'cls': model.HandlerBinding,
                                                                            'fields': [
                                                                                'python',
                                                                                'command',
                                                                                'timeout_s',
                                                                                'mcp',
                                                                            ],
                                                                            'schema': {
                                                                                'type': 'dataclass-args',
                                                                                'dataclass_name': 'HandlerBinding',
                                                                                'fields': [
                                                                                    {
                                                                                        'type': 'dataclass-field',
                                                                                        'name': 'python',
                                                                                        'schema': {
                                                                                            'type': 'default',
                                                                                            'schema': {
                                                                                                'type': 'nullable',
                                                                                                'schema': {
                                                                                                    'type': 'function-after',
                                                                                                    'function': {
                                                                                                        'type': 'no-info',
                                                                                                        'function': model._python_binding,
                                                                                                    },
                                                                                                    'schema': {
                                                                                                        'type': 'function-after',
                                                                                                        'function': {
                                                                                                            'type': 'no-info',
                                                                                                            'function': model._not_blank,
                                                                                                        },
                                                                                                        'schema': {
                                                                                                            'type': 'str',
                                                                                                            'min_length': 1,
                                                                                                            'strict': True,
                                                                                                        },
                                                                                                    },
                                                                                                },
                                                                                            },
                                                                                            'default': None,
                                                                                        },
                                                                                        'kw_only': False,
                                                                                        'init': True,
                                                                                    },
                                                                                    {
                                                                                        'type': 'dataclass-field',
                                                                                        'name': 'command',
                                                                                        'schema': {
                                                                                            'type': 'default',
                                                                                            'schema': {
                                                                                                'type': 'nullable',
                                                                                                'schema': {
                                                                                                    'type': 'list',
                                                                                                    'items_schema': {
                                                                                                        'type': 'function-after',
                                                                                                        'function': {
                                                                                                            'type': 'no-info',
                                                                                                            'function': model._not_blank,
                                                                                                        },
                                                                                                        'schema': {
                                                                                                            'type': 'str',
                                                                                                            'min_length': 1,
                                                                                                            'strict': True,
                                                                                                        },
                                                                                                    },
                                                                                                    'min_length': 1,
                                                                                                },
                                                                                            },
                                                                                            'default': None,
                                                                                        },
                                                                                        'kw_only': False,
                                                                                        'init': True,
                                                                                    },
                                                                                    {
                                                                                        'type': 'dataclass-field',
                                                                                        'name': 'timeout_s',
                                                                                        'schema': {
                                                                                            'type': 'default',
                                                                                            'schema': {
                                                                                                'type': 'nullable',
                                                                                                'schema': {
                                                                                                    'type': 'float',
                                                                                                    'allow_inf_nan': False,
                                                                                                    'gt': 0,
                                                                                                    'strict': True,
                                                                                                },
                                                                                            },
                                                                                            'default': None,
                                                                                        },
                                                                                        'kw_only': False,
                                                                                        'init': True,
                                                                                    },
                                                                                    {
                                                                                        'type': 'dataclass-field',
                                                                                        'name': 'mcp',
                                                                                        'schema': {
                                                                                            'type': 'default',
                                                                                            'schema': {
                                                                                                'type': 'nullable',
                                                                                                'schema': {
                                                                                                    'type': 'tuple',
                                                                                                    'items_schema': [
                                                                                                        {
                                                                                                            'type': 'str',
                                                                                                        },
                                                                                                        {
                                                                                                            'type': 'str',
                                                                                                        },
                                                                                                    ],
                                                                                                },
                                                                                            },
                                                                                            'default': None,
                                                                                        },
                                                                                        'kw_only': False,
                                                                                        'init': True,
                                                                                    },
                                                                                ],
                                                                                'computed_fields': [],
                                                                                'collect_init_only': False,
                                                                            },
                                                                            'post_init': False,
                                                                            'frozen': False,
                                                                            'slots': False,
                                                                            'config': {
                                                                                'extra_fields_behavior': 'forbid',
                                                                                'title': 'HandlerBinding',
                                                                            },
                                                                            'ref': 'voicecli.persona.model.HandlerBinding',
                                                                        },
                                                                    },
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                ],
                                                'computed_fields': [],
                                                'collect_init_only': False,
                                            },
                                            'post_init': False,
                                            'frozen': False,
                                            'slots': False,
                                            'config': {
                                                'extra_fields_behavior': 'forbid',
                                                'title': 'ToolEntry',
                                            },
                                            'ref': 'voicecli.persona.model.ToolEntry',
                                        },
                                    },
                                },
                            },
                            'default_factory': list,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'mcp_servers',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'list',
                                'items_schema': {
                                    'type': 'function-before',
                                    'function': {
                                        'type': 'no-info',
                                        'function': model.McpServer._null_means_unset,
                                    },
                                    'schema': {
                                        'type': 'function-after',
                                        'function': {'type': 'no-info', 'function': declare._checked},
                                        'schema': {
                                            'type': 'dataclass',
                                            'cls': model.McpServer,
                                            'fields': ['name', 'command', 'url', 'tools', 'timeout_s'],
                                            'schema': {
                                                'type': 'dataclass-args',
                                                'dataclass_name': 'McpServer',
                                                'fields': [
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'name',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'command',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'list',
                                                                    'items_schema': {
                                                                        'type': 'function-after',
                                                                        'function': {
                                                                            'type': 'no-info',
                                                                            'function': model._not_blank,
                                                                        },
                                                                        'schema': {
                                                                            'type': 'str',
                                                                            'min_length': 1,
                                                                            'strict': True,
                                                                        },
                                                                    },
                                                                    'min_length': 1,
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'url',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'nullable',
                                                                'schema': {
                                                                    'type': 'function-after',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model._http_url,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'function-after',
                                                                        'function': {
                                                                            'type': 'no-info',
                                                                            'function': model._not_blank,
                                                                        },
                                                                        'schema': {
                                                                            'type': 'str',
                                                                            'min_length': 1,
                                                                            'strict': True,
                                                                        },
                                                                    },
                                                                },
                                                            },
                                                            'default': None,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'tools',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'list',
                                                                'items_schema': {
                                                                    'type': 'function-before',
                                                                    'function': {
                                                                        'type': 'no-info',
                                                                        'function': model.McpToolChoice._null_means_unset,
                                                                    },
                                                                    'schema': {
                                                                        'type': 'dataclass',
                                                                        'cls': model.McpToolChoice,
                                                                        'fields': ['name', 'when'],
                                                                        'schema': {
                                                                            'type': 'dataclass-args',
                                                                            'dataclass_name': 'McpToolChoice',
                                                                            'fields': [
                                                                                {
                                                                                    'type': 'dataclass-field',
                                                                                    'name': 'name',
                                                                                    'schema': {
                                                                                        'type': 'function-after',
                                                                                        'function': {
                                                                                            'type': 'no-info',
                                                                                            'function': model._not_blank,
                                                                                        },
                                                                                        'schema': {
                                                                                            'type': 'str',
                                                                                            'min_length': 1,
                                                                                            'strict': True,
                                                                                        },
                                                                                    },
                                                                                    'kw_only': False,
                                                                                    'init': True,
                                                                                },
                                                                                {
                                                                                    'type': 'dataclass-field',
                                                                                    'name': 'when',
                                                                                    'schema': {
                                                                                        'type': 'default',
                                                                                        'schema': {
                                                                                            'type': 'nullable',
                                                                                            'schema': {
                                                                                                'type': 'function-after',
                                                                                                'function': {
                                                                                                    'type': 'no-info',
                                                                                                    'function': model._not_blank,
                                                                                                },
                                                                                                'schema': {
                                                                                                    'type': 'str',
                                                                                                    'min_length': 1,
                                                                                                    'strict': True,
                                                                                                },
                                                                                            },
                                                                                        },
                                                                                        'default': None,
                                                                                    },
                                                                                    'kw_only': False,
                                                                                    'init': True,
                                                                                },
                                                                            ],
                                                                            'computed_fields': [],
                                                                            'collect_init_only': False,
                                                                        },
                                                                        'post_init': False,
                                                                        'frozen': False,
                                                                        'slots': False,
                                                                        'config': {
                                                                            'extra_fields_behavior': 'forbid',
                                                                            'title': 'McpToolChoice',
                                                                        },
                                                                        'ref': 'voicecli.persona.model.McpToolChoice',
                                                                    },
                                                                },
                                                                'min_length': 1,
                                                            },
                                                            'default_factory': list,
                                                            'default_factory_takes_data': False,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                    {
                                                        'type': 'dataclass-field',
                                                        'name': 'timeout_s',
                                                        'schema': {
                                                            'type': 'default',
                                                            'schema': {
                                                                'type': 'float',
                                                                'allow_inf_nan': False,
                                                                'gt': 0,
                                                                'strict': True,
                                                            },
                                                            'default': 20.0,
                                                        },
                                                        'kw_only': False,
                                                        'init': True,
                                                    },
                                                ],
                                                'computed_fields': [],
                                                'collect_init_only': False,
                                            },
                                            'post_init': False,
                                            'frozen': False,
                                            'slots': False,
                                            'config': {
                                                'extra_fields_behavior': 'forbid',
                                                'title': 'McpServer',
                                            },
                                            'ref': 'voicecli.persona.model.McpServer',
                                        },
                                    },
                                },
                            },
                            'default_factory': list,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'handoffs',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'list',
                                'items_schema': {
                                    'type': 'function-before',
                                    'function': {'type': 'no-info', 'function': model.Handoff._null_means_unset},
                                    'schema': {
                                        'type': 'dataclass',
                                        'cls': model.Handoff,
                                        'fields': ['target', 'when', 'summary', 'facts', 'language_switch'],
                                        'schema': {
                                            'type': 'dataclass-args',
                                            'dataclass_name': 'Handoff',
                                            'fields': [
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'target',
                                                    'schema': {
                                                        'type': 'function-after',
                                                        'function': {
                                                            'type': 'no-info',
                                                            'function': model._not_blank,
                                                        },
                                                        'schema': {
                                                            'type': 'str',
                                                            'min_length': 1,
                                                            'strict': True,
                                                        },
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                    'validation_alias': 'to',
                                                    'serialization_alias': 'to',
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'when',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'nullable',
                                                            'schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default': None,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'summary',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {'type': 'bool', 'strict': True},
                                                        'default': True,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'facts',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {
                                                            'type': 'list',
                                                            'items_schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': model._not_blank,
                                                                },
                                                                'schema': {
                                                                    'type': 'str',
                                                                    'min_length': 1,
                                                                    'strict': True,
                                                                },
                                                            },
                                                        },
                                                        'default_factory': list,
                                                        'default_factory_takes_data': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                                {
                                                    'type': 'dataclass-field',
                                                    'name': 'language_switch',
                                                    'schema': {
                                                        'type': 'default',
                                                        'schema': {'type': 'bool', 'strict': True},
                                                        'default': False,
                                                    },
                                                    'kw_only': False,
                                                    'init': True,
                                                },
                                            ],
                                            'computed_fields': [],
                                            'collect_init_only': False,
                                        },
                                        'post_init': False,
                                        'frozen': False,
                                        'slots': False,
                                        'config': {'extra_fields_behavior': 'forbid', 'title': 'Handoff'},
                                        'ref': 'voicecli.persona.model.Handoff',
                                    },
                                },
                            },
                            'default_factory': list,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                    {
                        'type': 'dataclass-field',
                        'name': 'session',
                        'schema': {
                            'type': 'default',
                            'schema': {
                                'type': 'function-before',
                                'function': {'type': 'no-info', 'function': model.Session._null_means_unset},
                                'schema': {
                                    'type': 'dataclass',
                                    'cls': model.Session,
                                    'fields': [
                                        'model',
                                        'vad',
                                        'compression',
                                        'input_transcription_languages',
                                        'output_transcription_languages',
                                        'proactive_audio',
                                        'affective_dialog',
                                        'thinking',
                                        'activity_detection',
                                        'activity_handling',
                                        'media_resolution',
                                        'voice',
                                    ],
                                    'schema': {
                                        'type': 'dataclass-args',
                                        'dataclass_name': 'Session',
                                        'fields': [
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'model',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'vad',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'literal',
                                                        'expected': ['server', 'local'],
                                                    },
                                                    'default': 'server',
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'compression',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'function-before',
                                                        'function': {
                                                            'type': 'no-info',
                                                            'function': model.Compression._null_means_unset,
                                                        },
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': declare._checked,
                                                            },
                                                            'schema': {
                                                                'type': 'dataclass',
                                                                'cls': model.Compression,
                                                                'fields': ['trigger_tokens', 'target_tokens'],
                                                                'schema': {
                                                                    'type': 'dataclass-args',
                                                                    'dataclass_name': 'Compression',
                                                                    'fields': [
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'trigger_tokens',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'int',
                                                                                        'ge': 1,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'target_tokens',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'int',
                                                                                        'ge': 1,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                    ],
                                                                    'computed_fields': [],
                                                                    'collect_init_only': False,
                                                                },
                                                                'post_init': False,
                                                                'frozen': False,
                                                                'slots': False,
                                                                'config': {
                                                                    'extra_fields_behavior': 'forbid',
                                                                    'title': 'Compression',
                                                                },
                                                                'ref': 'voicecli.persona.model.Compression',
                                                            },
                                                        },
                                                    },
                                                    'default_factory': model.Compression,
                                                    'default_factory_takes_data': False,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'input_transcription_languages',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'list',
                                                        'items_schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default_factory': list,
                                                    'default_factory_takes_data': False,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'output_transcription_languages',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'list',
                                                        'items_schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default_factory': list,
                                                    'default_factory_takes_data': False,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'proactive_audio',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {'type': 'bool', 'strict': True},
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'affective_dialog',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {'type': 'bool', 'strict': True},
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'thinking',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-before',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model.Thinking._null_means_unset,
                                                            },
                                                            'schema': {
                                                                'type': 'function-after',
                                                                'function': {
                                                                    'type': 'no-info',
                                                                    'function': declare._checked,
                                                                },
                                                                'schema': {
                                                                    'type': 'dataclass',
                                                                    'cls': model.Thinking,
                                                                    'fields': ['level', 'budget'],
                                                                    'schema': {
                                                                        'type': 'dataclass-args',
                                                                        'dataclass_name': 'Thinking',
                                                                        'fields': [
                                                                            {
                                                                                'type': 'dataclass-field',
                                                                                'name': 'level',
                                                                                'schema': {
                                                                                    'type': 'default',
                                                                                    'schema': {
                                                                                        'type': 'nullable',
                                                                                        'schema': {
                                                                                            'type': 'literal',
                                                                                            'expected': [
                                                                                                'minimal',
                                                                                                'low',
                                                                                                'medium',
                                                                                                'high',
                                                                                            ],
                                                                                        },
                                                                                    },
                                                                                    'default': None,
                                                                                },
                                                                                'kw_only': False,
                                                                                'init': True,
                                                                            },
                                                                            {
                                                                                'type': 'dataclass-field',
                                                                                'name': 'budget',
                                                                                'schema': {
                                                                                    'type': 'default',
                                                                                    'schema': {
                                                                                        'type': 'nullable',
                                                                                        'schema': {
                                                                                            'type': 'int',
                                                                                            'ge': 0,
                                                                                            'strict': True,
                                                                                        },
                                                                                    },
                                                                                    'default': None,
                                                                                },
                                                                                'kw_only': False,
                                                                                'init': True,
                                                                            },
                                                                        ],
                                                                        'computed_fields': [],
                                                                        'collect_init_only': False,
                                                                    },
                                                                    'post_init': False,
                                                                    'frozen': False,
                                                                    'slots': False,
                                                                    'config': {
                                                                        'extra_fields_behavior': 'forbid',
                                                                        'title': 'Thinking',
                                                                    },
                                                                    'ref': 'voicecli.persona.model.Thinking',
                                                                },
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'activity_detection',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-before',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model.ActivityDetection._null_means_unset,
                                                            },
                                                            'schema': {
                                                                'type': 'dataclass',
                                                                'cls': model.ActivityDetection,
                                                                'fields': [
                                                                    'start_sensitivity',
                                                                    'end_sensitivity',
                                                                    'prefix_padding_ms',
                                                                    'silence_duration_ms',
                                                                ],
                                                                'schema': {
                                                                    'type': 'dataclass-args',
                                                                    'dataclass_name': 'ActivityDetection',
                                                                    'fields': [
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'start_sensitivity',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'literal',
                                                                                        'expected': [
                                                                                            'low',
                                                                                            'high',
                                                                                        ],
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'end_sensitivity',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'literal',
                                                                                        'expected': [
                                                                                            'low',
                                                                                            'high',
                                                                                        ],
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'prefix_padding_ms',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'int',
                                                                                        'ge': 0,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                        {
                                                                            'type': 'dataclass-field',
                                                                            'name': 'silence_duration_ms',
                                                                            'schema': {
                                                                                'type': 'default',
                                                                                'schema': {
                                                                                    'type': 'nullable',
                                                                                    'schema': {
                                                                                        'type': 'int',
                                                                                        'ge': 0,
                                                                                        'strict': True,
                                                                                    },
                                                                                },
                                                                                'default': None,
                                                                            },
                                                                            'kw_only': False,
                                                                            'init': True,
                                                                        },
                                                                    ],
                                                                    'computed_fields': [],
                                                                    'collect_init_only': False,
                                                                },
                                                                'post_init': False,
                                                                'frozen': False,
                                                                'slots': False,
                                                                'config': {
                                                                    'extra_fields_behavior': 'forbid',
                                                                    'title': 'ActivityDetection',
                                                                },
                                                                'ref': 'voicecli.persona.model.ActivityDetection',
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'activity_handling',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'literal',
                                                            'expected': ['interrupt', 'no_interrupt'],
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'media_resolution',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'literal',
                                                            'expected': ['low', 'medium', 'high'],
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                            {
                                                'type': 'dataclass-field',
                                                'name': 'voice',
                                                'schema': {
                                                    'type': 'default',
                                                    'schema': {
                                                        'type': 'nullable',
                                                        'schema': {
                                                            'type': 'function-after',
                                                            'function': {
                                                                'type': 'no-info',
                                                                'function': model._not_blank,
                                                            },
                                                            'schema': {
                                                                'type': 'str',
                                                                'min_length': 1,
                                                                'strict': True,
                                                            },
                                                        },
                                                    },
                                                    'default': None,
                                                },
                                                'kw_only': False,
                                                'init': True,
                                            },
                                        ],
                                        'computed_fields': [],
                                        'collect_init_only': False,
                                    },
                                    'post_init': False,
                                    'frozen': False,
                                    'slots': False,
                                    'config': {'extra_fields_behavior': 'forbid', 'title': 'Session'},
                                    'ref': 'voicecli.persona.model.Session',
                                },
                            },
                            'default_factory': model.Session,
                            'default_factory_takes_data': False,
                        },
                        'kw_only': False,
                        'init': True,
                    },
                ],
                'computed_fields': [],
                'collect_init_only': False,
            },
            'post_init': False,
            'frozen': False,
            'slots': False,
            'config': {'extra_fields_behavior': 'forbid', 'title': 'Document'},
            'ref': 'voicecli.persona.model.Document',
        },
    },
}
