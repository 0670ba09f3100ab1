"""What a decoded event says of its person: whether their data was erased."""

from typing import ClassVar


class Erasable:
    """Mixed into the events that belong to a Cliente: one decoded after the Cliente's
    data was erased says so (commands/sealing.py sets it), its personal values None."""

    erased: ClassVar[bool] = False
