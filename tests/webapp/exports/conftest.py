"""Fixtures of the exports tests: a study with career records inserted directly into the rec_ tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from tests.workers.exports.test_writers import DATA
from webapp.crypto import encrypt_json
from webapp.models import RECORD_TABLES, Contact, Participant


def insert_records(session: Session, study: Any, data: dict[str, list[dict[str, Any]]] | None = None,
                   *, contacts: bool = True) -> dict[str, int]:
    """Participants of ``data`` (default: the writers' sample) and their rows in every rec_ table."""
    data = data or DATA
    ids: dict[str, int] = {}
    for row in data["participants"]:
        code = row["participant_code"]
        person = Participant(study_id=study.id, code=code, participant_type=row["participant_type"],
                             status=row["status"], form_language=row["form_language"],
                             resume_token_hash=uuid.uuid4().hex, resume_code_hash="x")
        session.add(person)
        session.flush()
        assert person.id is not None
        ids[code] = person.id
        if contacts:
            session.add(Contact(participant_id=person.id, kinds="email,phone", data_enc=encrypt_json(
                {"name": f"Name of {code}", "phone": "+819012345678", "email": f"{code.lower()}@example.org",
                 "messaging_app": "line", "messaging_id": "=x"})))
    for name, rows in data.items():
        table = RECORD_TABLES[name]
        if rows:
            session.execute(table.insert(), [
                {**({**r, "study": study.slug} if name == "participants" else r), "study_id": study.id,
                 "participant_id": ids[r["participant_code"]]}
                for r in rows
            ])
    session.flush()
    return ids


@pytest.fixture
def records_study(make_study: Callable[..., Any], session: Session) -> Any:
    study = make_study(slug=f"exp-{uuid.uuid4().hex[:6]}")
    insert_records(session, study)
    return study


