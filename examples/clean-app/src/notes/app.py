"""HTTP API: list, create and read notes; a health probe for the container."""

from __future__ import annotations

import os
from dataclasses import asdict

from flask import Flask, abort, jsonify, request

from notes.store import NoteStore, ValidationError

app = Flask(__name__)
# The session key comes from the environment (a secret store in production), never from the code.
app.config["SECRET_KEY"] = os.environ.get("NOTES_SESSION_KEY")

store = NoteStore()


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/notes")
def list_notes():
    return jsonify([asdict(n) for n in store.all()])


@app.post("/notes")
def create_note():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, description="expected a JSON object")
    try:
        note = store.add(str(payload.get("title", "")), str(payload.get("body", "")))
    except ValidationError as exc:
        abort(422, description=str(exc))
    return jsonify(asdict(note)), 201


@app.get("/notes/<int:note_id>")
def get_note(note_id: int):
    note = store.get(note_id)
    if note is None:
        abort(404)
    return jsonify(asdict(note))
