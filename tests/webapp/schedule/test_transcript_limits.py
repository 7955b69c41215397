"""Transcript uploads: .docx bombs and huge text nodes get a clear message, the 10 MB limit is reachable,
other forms stay small."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from typing import Any

import docx
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.webapp.schedule.conftest import book_via_client, csrf_of
from webapp.models import Booking
from webapp.schedule.services.docx_text import DocxError, docx_text

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<w:document " + W.encode() + b"><w:body>" + body + b"</w:body></w:document>")
    return buffer.getvalue()


@pytest.fixture
def transcript_url(client: FlaskClient, session: Session, sign_in: Any, setup_booking: Any) -> tuple[str, str]:
    s = setup_booking()
    assert book_via_client(client, s["study"], s["token"]).status_code == 302
    booking = session.exec(select(Booking).where(Booking.participant_id == s["participant"].id)).one()
    sign_in(s["interviewer"])
    url = f"/studies/{s['study'].slug}/schedule/interviews/{booking.id}"
    return url, csrf_of(client.get(url).text)


def _upload(client: FlaskClient, url: str, csrf: str, data: bytes, name: str) -> Any:
    return client.post(f"{url}/transcript", content_type="multipart/form-data", follow_redirects=True,
                       data={"csrf_token": csrf, "transcript": (io.BytesIO(data), name)})


def test_a_docx_bomb_is_refused_before_it_is_unpacked(client: FlaskClient, transcript_url: tuple[str, str],
                                                      session: Session) -> None:
    url, csrf = transcript_url
    bomb = _docx(b"<w:p><w:r><w:t>" + b"a" * (50 * 1024 * 1024) + b"</w:t></w:r></w:p>")
    assert len(bomb) < 200 * 1024
    response = _upload(client, url, csrf, bomb, "bomb.docx")
    assert response.status_code == 200
    assert "unpacks to too much text" in response.text
    assert session.exec(select(Booking)).one().transcript_path is None


def test_a_huge_text_node_is_a_clear_message_not_a_500(client: FlaskClient, transcript_url: tuple[str, str],
                                                       session: Session) -> None:
    url, csrf = transcript_url
    node = base64.b64encode(os.urandom(8 * 1024 * 1024))  # ~11 MB of text that does not pack: no ratio alarm
    upload = _docx(b"<w:p><w:r><w:t>" + node + b"</w:t></w:r></w:p>")
    assert 2 * 1024 * 1024 < len(upload) < 10 * 1024 * 1024  # over the small forms' limit, under the upload's
    response = _upload(client, url, csrf, upload, "huge.docx")
    assert response.status_code == 200
    assert "unpacks to too much text" in response.text
    assert session.exec(select(Booking)).one().transcript_path is None


def test_the_documented_upload_limit_is_reachable(client: FlaskClient, transcript_url: tuple[str, str],
                                                  session: Session) -> None:
    url, csrf = transcript_url
    text = ("Q: Where did you work? A: In a factory in Aichi.\n" * 70_000).encode()  # ~3.4 MB
    response = _upload(client, url, csrf, text, "long.txt")
    assert response.status_code == 200
    assert session.exec(select(Booking)).one().transcript_path is not None
    # Encoded here (in memory): the test client would spool it to a file that a refused request leaves open.
    boundary = "keireki-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="transcript"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode()
    body += b"x" * (11 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    too_large = client.post(f"{url}/transcript", data=body,
                            content_type=f"multipart/form-data; boundary={boundary}")
    assert too_large.status_code == 413
    assert "too large" in too_large.text
    # Every other form keeps the small limit.
    notes = client.post(f"{url}/notes", data={"csrf_token": csrf, "notes": "n" * (3 * 1024 * 1024)})
    assert notes.status_code == 413


def test_text_comes_out_in_document_order_with_tables_as_rows() -> None:
    document = docx.Document()
    document.add_paragraph("Q: Xin chào.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "2019"
    table.rows[0].cells[1].text = "Aichi"
    document.add_paragraph("A: Tôi làm ở nhà máy.")
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_text(buffer.getvalue()).split("\n") == ["Q: Xin chào.", "2019\tAichi", "A: Tôi làm ở nhà máy."]


@pytest.mark.parametrize("data", [b"PK\x03\x04junk", b"", _docx(b"<w:p><w:r><w:t>unclosed</w:r>"),
                                  _docx(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><w:p>&e;</w:p>')])
def test_damaged_documents_are_refused(data: bytes) -> None:
    with pytest.raises(DocxError):
        docx_text(data)
