"""torch.export's kind enums, with torch's member names and declaration order.

Their values are the member names themselves: torch numbers them with ``auto()``, and those
numbers moved when torch 2.9 added ``PARAMETER_MUTATION``, so no format relies on them.
"""

import enum


class InputKind(enum.Enum):
    """What a graph input is (torch.export's ``InputKind``)."""

    USER_INPUT = "USER_INPUT"
    PARAMETER = "PARAMETER"
    BUFFER = "BUFFER"
    CONSTANT_TENSOR = "CONSTANT_TENSOR"
    CUSTOM_OBJ = "CUSTOM_OBJ"
    TOKEN = "TOKEN"


class OutputKind(enum.Enum):
    """What a graph output is (torch.export's ``OutputKind``)."""

    USER_OUTPUT = "USER_OUTPUT"
    LOSS_OUTPUT = "LOSS_OUTPUT"
    BUFFER_MUTATION = "BUFFER_MUTATION"
    PARAMETER_MUTATION = "PARAMETER_MUTATION"
    GRADIENT_TO_PARAMETER = "GRADIENT_TO_PARAMETER"
    GRADIENT_TO_USER_INPUT = "GRADIENT_TO_USER_INPUT"
    USER_INPUT_MUTATION = "USER_INPUT_MUTATION"
    TOKEN = "TOKEN"
