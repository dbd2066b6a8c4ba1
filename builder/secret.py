"""A string that does not show itself: eBay credentials, the endpoint's key, SMTP and proxy passwords.

`str()`, `repr()` and f-strings show a mask, never the value, so a setting or a credential can be logged, printed or
put in an error message without leaking; `reveal()` is the one way to the value, for the code that must send it.
"""

from __future__ import annotations

_MASK = "**********"


class Secret:
    """A string that does not print itself: `str()`, `repr()` and f-strings show a mask, never the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> str:  # refuse pickling: a pickle would carry the value to wherever it is written
        raise TypeError("a Secret cannot be pickled")
