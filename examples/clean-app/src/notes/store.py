"""In-memory note storage with input validation."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MAX_TITLE = 120
MAX_BODY = 4000


class ValidationError(ValueError):
    """The client sent a note that does not fit the rules."""


@dataclass(frozen=True)
class Note:
    id: int
    title: str
    body: str


@dataclass
class NoteStore:
    _notes: dict[int, Note] = field(default_factory=dict)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, title: str, body: str) -> Note:
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise ValidationError(f"title must be 1 to {MAX_TITLE} characters")
        if len(body) > MAX_BODY:
            raise ValidationError(f"body must be at most {MAX_BODY} characters")
        with self._lock:
            note = Note(self._next_id, title, body)
            self._notes[note.id] = note
            self._next_id += 1
        return note

    def get(self, note_id: int) -> Note | None:
        return self._notes.get(note_id)

    def all(self) -> list[Note]:
        return sorted(self._notes.values(), key=lambda n: n.id)
