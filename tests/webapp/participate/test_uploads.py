"""Upload questions (XLSForm image/photo, audio, video, file) in the participant flow: a multipart page that
works without JavaScript, files checked by their content, stored encrypted, shown back with remove/replace,
exported (the files only with personal data), erased on withdrawal, downloaded by researchers with an audit."""

from __future__ import annotations

import gc
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from flask import Flask
from PIL import Image
from sqlmodel import Session, select

from tests.webapp.participate.journey import STUDY, Journey, fill
from tests.webapp.participate.test_flow import _draft, _participant
from tests.webapp.participate.test_xlsform_flow import GEO, _xlsform_intake
from webapp.crypto import decrypt_bytes
from webapp.forms import pages
from webapp.models import AuditEvent, Participant, Response, Upload
from webapp.services import uploads
from webapp.services.studies import current_version, instrument_of


def png(width: int = 1) -> bytes:
    """A real 1-pixel-high PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(1))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(size: tuple[int, int] = (8, 8), quality: int = 90, **save: Any) -> bytes:
    """A real JPEG (noise over a gradient, so that resizing and re-encoding show), saved with ``save``'s
    options."""
    picture = Image.blend(Image.linear_gradient("L").resize(size), Image.effect_noise(size, 60), 0.5)
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=quality, **save)
    return out.getvalue()


def phone_photo(size: tuple[int, int] = (3000, 2000), orientation: int = 6, quality: int = 90) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, the time and the GPS position, stored sideways with
    an orientation tag, XMP and a comment."""
    exif = Image.Exif()
    exif[0x0110] = "Pixel 7a"  # model
    exif[0x0112] = orientation
    exif[0x0132] = "2026:11:30 08:15:00"
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 22.2), 3: "E", 4: (139.0, 41.0, 30.1)}  # GPS IFD
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>35,41.37N</exif:GPSLatitude></x:xmpmeta>'
    return jpeg(size, quality, exif=exif.tobytes(), xmp=xmp, comment=b"home, Kawaguchi")


def heic_photo(size: tuple[int, int] = (600, 400), orientation: int = 6) -> bytes:
    """A HEIC photo as an iPhone writes it: EXIF with the camera, the time and the GPS position, stored sideways
    (EXIF orientation), encoded by libheif (x265)."""
    exif = Image.Exif()
    exif[0x0110] = "iPhone 13"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 22.2), 3: "E", 4: (139.0, 41.0, 30.1)}
    picture = Image.blend(Image.linear_gradient("L").resize(size), Image.effect_noise(size, 60), 0.5).convert("RGB")
    out = io.BytesIO()  # through pillow-heif's own API: Pillow itself is left as the app finds it
    pillow_heif.from_pillow(picture).save(out, quality=80, exif=exif.tobytes())
    return out.getvalue()


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _walk_to_photo(journey: Journey, intake: Any, answers: Any) -> None:
    """From the form's first page, answer each page (``answers()``: the answers so far) until one asks for
    ``photo``."""
    journey.get(f"/s/{STUDY}/form/_first", follow_redirects=True)
    for _ in range(10):
        if 'name="photo"' in journey.last.get_data(as_text=True):
            break
        group = pages.find_page(intake, journey.path().rsplit("/", 1)[1])
        assert group is not None
        data = fill(intake, group, answers(), overrides=GEO)
        journey.post(journey.path(), {**data, "action": "next"}, follow_redirects=True)
    assert 'name="photo"' in journey.last.get_data(as_text=True)


def _to_upload_page(journey: Journey, session: Session, study: Any) -> tuple[Participant, Any, str]:
    """Screen, consent and walk to the page that asks for ``photo``."""
    _xlsform_intake(session, study)
    journey.screen("ti")
    journey.consent()
    person = _participant(session)
    intake = instrument_of(current_version(session=session, study_id=study.id, instrument_id="ti_intake"))
    _walk_to_photo(journey, intake, lambda: _draft(session, person).answers)
    return person, intake, journey.path()


def _page_data(intake: Any, path: str, **files: Any) -> dict[str, Any]:
    group = pages.find_page(intake, path.rsplit("/", 1)[1])
    data = fill(intake, group, {}, overrides=GEO)
    for name in ("photo", "voice", "doc"):
        data.pop(name, None)
    return {**data, **files}


def _stored(app: Flask, upload: Upload) -> Path:
    return Path(app.config["KEIREKI"].data_dir) / upload.path


def test_the_page_is_multipart_with_a_file_input_by_type(journey: Journey, session: Session,
                                                          bundled_study: Any) -> None:
    _to_upload_page(journey, session, bundled_study)
    page = journey.last.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page  # a plain form post: no JavaScript needed
    assert 'type="file" id="f-photo" name="photo" accept="image/*"' in page
    assert 'name="voice" accept="audio/*"' in page
    assert 'name="doc" accept=".pdf,' in page


def test_a_file_is_stored_encrypted_and_a_refused_one_keeps_the_other_answers(
        journey: Journey, session: Session, bundled_study: Any, app: Flask) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    data = _page_data(intake, path, photo=(io.BytesIO(png()), "me.png"),
                      voice=(io.BytesIO(EXE), "song.mp3"), action="next")
    response = journey.post(path, data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(path)  # the refused recording stops the page
    draft = _draft(session, person)
    key = draft.answers["photo"]
    assert key.endswith(".png")
    assert len(key) == 36
    assert "voice" not in draft.answers
    typed = [k for k in data if k not in ("photo", "voice", "action")]
    assert all(k in draft.answers for k in typed if data[k] not in ("", []))  # nothing else was lost
    upload = session.exec(select(Upload).where(Upload.key == key)).one()
    assert (upload.name, upload.media_type, upload.size, upload.question) == ("me.png", "image/png", len(png()),
                                                                              "photo")
    on_disk = _stored(app, upload).read_bytes()
    assert b"PNG" not in on_disk
    assert decrypt_bytes(on_disk) == png()
    body = journey.get(path).get_data(as_text=True)
    assert "This file is not a sound recording this form can take" in body
    assert "File received: me.png (1 kB)" in body
    assert 'name="photo__remove"' in body


def test_the_content_decides_not_the_name(journey: Journey, session: Session, bundled_study: Any) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(PDF), "holiday.jpg"),
                                  doc=(io.BytesIO(PDF), "letter.bin"), action="save"))
    answers = _draft(session, person).answers
    assert "photo" not in answers  # a PDF named .jpg is not a picture
    assert answers["doc"].endswith(".pdf")  # a PDF with any name is a PDF
    assert "This file is not a picture this form can take" in journey.get(path).get_data(as_text=True)


def test_too_large_and_empty_files_are_refused(journey: Journey, session: Session, bundled_study: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    monkeypatch.setattr(uploads, "max_bytes", lambda: 50)
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(JPEG), "big.jpg"),
                                  doc=(io.BytesIO(b""), "empty.txt"), action="next"))
    answers = _draft(session, person).answers
    assert "photo" not in answers
    assert "doc" not in answers
    body = journey.get(path).get_data(as_text=True)
    assert "The file is too large" in body
    assert "The file is empty." in body


def test_replace_and_remove(journey: Journey, session: Session, bundled_study: Any, app: Flask) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(png()), "one.png"), action="save"))
    first = session.exec(select(Upload).where(Upload.key == _draft(session, person).answers["photo"])).one()
    first_key, first_file = first.key, _stored(app, first)
    assert first_file.exists()
    # a post without a file keeps the file (the browser never sends the key: a posted key is ignored)
    journey.post(path, _page_data(intake, path, action="save"))
    assert _draft(session, person).answers["photo"] == first_key
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(jpeg()), "two.jpg"), action="save"))
    second_key = _draft(session, person).answers["photo"]
    assert second_key != first_key
    assert second_key.endswith(".jpg")
    session.expire_all()
    assert session.exec(select(Upload).where(Upload.key == first_key)).first() is None
    assert not first_file.exists()  # the replaced file is deleted
    second_file = _stored(app, session.exec(select(Upload).where(Upload.key == second_key)).one())
    journey.post(path, _page_data(intake, path, photo__remove="1", action="save"))
    assert "photo" not in _draft(session, person).answers
    session.expire_all()
    assert session.exec(select(Upload).where(Upload.key == second_key)).first() is None
    assert not second_file.exists()


def test_a_key_posted_by_the_browser_is_not_taken(journey: Journey, session: Session, bundled_study: Any) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    journey.post(path, _page_data(intake, path, photo="0" * 32 + ".png", action="save"))
    assert "photo" not in _draft(session, person).answers


def _submitted_with_files(journey: Journey, session: Session, study: Any) -> tuple[Participant, Upload]:
    from tests.webapp.participate.test_flow import complete_intake

    person, intake, path = _to_upload_page(journey, session, study)
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(png(3)), "me.png"), action="save"))
    person = complete_intake(journey, session, study, jobs=0, overrides=GEO)
    assert journey.post(f"/s/{STUDY}/submit", {}).status_code == 303
    response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    upload = session.exec(select(Upload).where(Upload.key == response.answers["photo"])).one()
    return person, upload


def test_exports_reference_the_files_and_hold_them_only_with_personal_data(
        journey: Journey, session: Session, bundled_study: Any) -> None:
    person, upload = _submitted_with_files(journey, session, bundled_study)
    plain = uploads.bundle_files(bundled_study, session=session, with_pii=False)
    assert set(plain) == {"uploads.csv"}
    lines = plain["uploads.csv"].decode().splitlines()
    assert lines[0] == "participant_code,question,file,media_type,size_bytes,uploaded_at"
    assert lines[1].startswith(f"{person.code},photo,upload-{upload.key},image/png,{len(png(3))},")
    assert "me.png" not in plain["uploads.csv"].decode()
    personal = uploads.bundle_files(bundled_study, session=session, with_pii=True)
    assert personal["uploads.csv"].decode().splitlines()[1].endswith(",me.png")  # type: ignore[union-attr]
    written = io.BytesIO()
    personal[f"upload-{upload.key}"](written)  # type: ignore[operator]
    assert written.getvalue() == png(3)


def test_a_bundle_decrypts_one_upload_at_a_time(journey: Journey, session: Session, bundled_study: Any,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A study's files are written into the bundle one by one, each decrypted when its turn comes (a
    study's photos never all in the worker's memory), and arrive whole in the zip."""
    import zipfile

    from webapp.exports import services

    _person, upload = _submitted_with_files(journey, session, bundled_study)
    read = uploads.read
    reads: list[str] = []
    monkeypatch.setattr(uploads, "read", lambda u: reads.append(u.key) or read(u))
    listed = uploads.bundle_files(bundled_study, session=session, with_pii=True)
    assert len(listed) == 2
    assert reads == []  # listed, not read
    result = services.build_study_bundle(session=session, study=bundled_study, out_dir=tmp_path,
                                         request=services.ExportRequest(with_pii=True, reason="check the files"))
    assert reads == [upload.key]
    with zipfile.ZipFile(result.path) as zf:
        assert zf.read(f"upload-{upload.key}") == png(3)
        assert zf.read("uploads.csv").decode().splitlines()[1].endswith(",me.png")
        assert f"upload-{upload.key}" in zf.read("README.txt").decode()  # its SHA-256 is listed


def test_withdrawal_with_erasure_deletes_the_files(journey: Journey, session: Session, bundled_study: Any,
                                                   app: Flask) -> None:
    from webapp.models import Consent, utcnow
    from webapp.services.withdrawal import withdraw

    person, upload = _submitted_with_files(journey, session, bundled_study)
    stored = _stored(app, upload)
    assert stored.exists()
    for consent in session.exec(select(Consent).where(Consent.participant_id == person.id)):
        consent.withdrawal_data = "erase"
        session.add(consent)
    withdraw(session=session, participant=person, actor="test", now=utcnow())
    session.commit()
    assert session.exec(select(Upload).where(Upload.participant_id == person.id)).first() is None
    assert not stored.exists()


def test_researchers_download_with_an_audit(journey: Journey, session: Session, bundled_study: Any,
                                            make_user: Any, sign_in: Any, client: Any) -> None:
    person, upload = _submitted_with_files(journey, session, bundled_study)
    from webapp.models import Membership

    researcher = make_user(email="r@example.org")
    session.add(Membership(user_id=researcher.id, study_id=bundled_study.id, role="researcher"))
    session.commit()
    sign_in(researcher)
    page = client.get(f"/studies/{STUDY}/participants/{person.code}").get_data(as_text=True)
    link = f"/studies/{STUDY}/participants/{person.code}/uploads/{upload.key}"
    assert link in page
    got = client.get(link)
    assert got.status_code == 200
    assert got.data == png(3)
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "upload.view")).one()
    assert event.detail == {"question": "photo", "file": upload.key}
    assert client.get(f"/studies/{STUDY}/participants/{person.code}/uploads/{'0' * 32}.png").status_code == 404


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # werkzeug's test client leaves its >500 kB body open
def test_only_pages_asking_for_files_take_large_bodies(journey: Journey, session: Session, bundled_study: Any,
                                                       app: Flask) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = png() + b"\x00" * (limit + 10)  # a photo larger than any other page may send
    assert journey.post(path, _page_data(intake, path, photo=(io.BytesIO(big), "big.png"),
                                         action="save")).status_code == 303
    assert _draft(session, person).answers["photo"].endswith(".png")
    # the same body to a page without an upload question is refused as before
    assert journey.post(f"/s/{STUDY}/form/_first", {"x": "1" * (limit + 10)}).status_code == 413
    gc.collect()  # here, where the warning is ignored, not in the next test


def test_a_file_no_answer_refers_to_is_deleted_at_submission(journey: Journey, session: Session,
                                                             bundled_study: Any, app: Flask) -> None:
    """A file whose answer was taken back (a removed entry, a question left out) is not kept after the
    participant submits; a file an answer refers to stays."""
    from tests.webapp.participate.test_flow import complete_intake

    person, intake, path = _to_upload_page(journey, session, bundled_study)
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(png(2)), "gone.png"), action="save"))
    draft = _draft(session, person)
    dropped = session.exec(select(Upload).where(Upload.key == draft.answers["photo"])).one()
    dropped_file, dropped_key = _stored(app, dropped), dropped.key
    # the answer no longer names the file, as after removing the entry that held it
    draft.answers = {k: v for k, v in draft.answers.items() if k != "photo"}
    session.add(draft)
    session.commit()
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(png(4)), "kept.png"), action="save"))
    kept_key = _draft(session, person).answers["photo"]
    assert dropped_file.exists()  # still in the draft's reach (an undo) until the participant submits
    complete_intake(journey, session, bundled_study, jobs=0, overrides=GEO)
    assert journey.post(f"/s/{STUDY}/submit", {}).status_code == 303
    session.expire_all()
    assert session.exec(select(Upload).where(Upload.key == dropped_key)).first() is None
    assert not dropped_file.exists()
    kept = session.exec(select(Upload).where(Upload.key == kept_key)).one()
    assert _stored(app, kept).exists()
    response = session.exec(select(Response).where(Response.participant_id == person.id)).one()
    assert response.answers["photo"] == kept_key


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # werkzeug's test client leaves its >500 kB body open
def test_a_phone_photo_is_stored_upright_without_its_place_and_at_the_size_the_form_asks(
        journey: Journey, session: Session, bundled_study: Any, app: Flask) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)  # photo: max-pixels=1024
    sent = phone_photo((3000, 2000), orientation=6)
    assert b"Kawaguchi" in sent
    assert b"GPSLatitude" in sent
    assert Image.open(io.BytesIO(sent)).getexif()
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(sent), "IMG_2041.jpg"), action="save"))
    upload = session.exec(select(Upload).where(Upload.key == _draft(session, person).answers["photo"])).one()
    kept = decrypt_bytes(_stored(app, upload).read_bytes())
    picture = Image.open(io.BytesIO(kept))
    assert picture.format == "JPEG"
    assert picture.size == (683, 1024)  # turned upright (orientation 6: 90° clockwise), longest side 1,024
    assert not picture.getexif()  # no GPS, camera or time
    assert not {"exif", "xmp", "comment", "photoshop"} & set(picture.info)
    for hidden in (b"Kawaguchi", b"GPS", b"Pixel 7a"):
        assert hidden not in kept
    assert (upload.size, upload.media_type, upload.name) == (len(kept), "image/jpeg", "IMG_2041.jpg")
    assert "File received: IMG_2041.jpg" in journey.get(path).get_data(as_text=True)
    gc.collect()  # here, where the warning is ignored, not in the next test


def test_a_heic_photo_is_stored_as_an_upright_jpeg_without_its_place(
        journey: Journey, session: Session, bundled_study: Any, app: Flask) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    sent = heic_photo((600, 400), orientation=6)
    assert b"iPhone 13" in sent  # the EXIF, with the place, is in it
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(sent), "IMG_0042.HEIC"), action="save"))
    upload = session.exec(select(Upload).where(Upload.key == _draft(session, person).answers["photo"])).one()
    kept = decrypt_bytes(_stored(app, upload).read_bytes())
    picture = Image.open(io.BytesIO(kept))
    assert picture.format == "JPEG"  # every researcher's browser shows it
    assert picture.size == (400, 600)  # upright
    assert not picture.getexif()
    assert b"iPhone" not in kept
    assert (upload.media_type, upload.name, upload.size) == ("image/jpeg", "IMG_0042.jpg", len(kept))
    assert upload.key.endswith(".jpg")
    assert "File received: IMG_0042.jpg" in journey.get(path).get_data(as_text=True)


def test_a_picture_that_cannot_be_read_is_refused_and_the_page_is_kept(
        journey: Journey, session: Session, bundled_study: Any) -> None:
    person, intake, path = _to_upload_page(journey, session, bundled_study)
    broken = phone_photo((600, 400))[:2000]  # the upload cut short: a JPEG's header, half its pixels
    data = _page_data(intake, path, photo=(io.BytesIO(broken), "cut.jpg"), action="next")
    response = journey.post(path, data)
    assert response.headers["Location"].endswith(path)  # the page is shown again
    answers = _draft(session, person).answers
    assert "photo" not in answers
    assert session.exec(select(Upload).where(Upload.participant_id == person.id)).first() is None
    typed = [k for k in data if k not in ("photo", "voice", "doc", "action")]
    assert all(k in answers for k in typed if data[k] not in ("", []))  # nothing else was lost
    assert "This picture could not be read. Please take it again or choose another one." in (
        journey.get(path).get_data(as_text=True))


def _pixels(data: bytes) -> list[int]:
    return list(Image.open(io.BytesIO(data)).convert("L").tobytes())


def test_clean_picture_keeps_clean_pictures_as_sent_and_jpeg_detail_when_only_metadata_goes() -> None:
    clean_png, clean_jpeg = png(3), jpeg((64, 48))
    assert uploads.clean_picture(clean_png, "image/png") == clean_png
    assert uploads.clean_picture(clean_jpeg, "image/jpeg", longest=1024) == clean_jpeg
    still, moving = io.BytesIO(), io.BytesIO()
    Image.new("P", (4, 3), 1).save(still, "GIF")
    frames = [Image.new("RGB", (4, 3), colour) for colour in ("red", "blue")]
    frames[0].save(moving, "GIF", save_all=True, append_images=frames[1:], comment=b"home, Kawaguchi")
    assert uploads.clean_picture(still.getvalue(), "image/gif") == still.getvalue()  # clean: as sent
    assert uploads.clean_picture(moving.getvalue(), "image/gif") == moving.getvalue()  # an animation: as sent
    tagged = phone_photo((64, 48), orientation=1, quality=60)
    cleaned = uploads.clean_picture(tagged, "image/jpeg")
    assert not Image.open(io.BytesIO(cleaned)).getexif()
    assert b"Kawaguchi" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).size == (64, 48)
    # saved with the original's own coding (its quantisation tables, quality 60): no larger without the
    # metadata, and the same pixels but for rounding; saved at another quality it would be neither
    before, after = _pixels(tagged), _pixels(cleaned)
    assert len(cleaned) < len(tagged)
    assert sum(abs(a - b) for a, b in zip(before, after, strict=True)) / len(before) < 0.5


def test_clean_picture_drops_png_text_and_exif_and_keeps_transparency() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Kawaguchi, Saitama")
    picture = Image.new("RGBA", (4, 3), (255, 0, 0, 0))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 22.2)}
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    cleaned = uploads.clean_picture(out.getvalue(), "image/png")
    again = Image.open(io.BytesIO(cleaned))
    assert b"Kawaguchi" not in cleaned
    assert not again.getexif()
    assert not again.text
    assert again.mode == "RGBA"
    assert again.getpixel((0, 0)) == (255, 0, 0, 0)


def test_clean_picture_drops_a_gifs_comment_and_turns_a_heic_into_a_jpeg() -> None:
    out = io.BytesIO()
    Image.new("P", (4, 3), 1).save(out, "GIF", comment=b"home, Kawaguchi", transparency=1)
    cleaned = uploads.clean_picture(out.getvalue(), "image/gif")
    again = Image.open(io.BytesIO(cleaned))
    assert (again.format, again.size) == ("GIF", (4, 3))
    assert again.convert("RGBA").getpixel((0, 0))[3] == 0  # still transparent
    assert b"Kawaguchi" not in cleaned
    sent = heic_photo((300, 200), orientation=1)
    as_jpeg = uploads.clean_picture(sent, "image/heic", longest=150)
    picture = Image.open(io.BytesIO(as_jpeg))
    assert (picture.format, picture.size) == ("JPEG", (150, 100))
    assert not picture.getexif()
    assert uploads.STORED_AS["image/heic"] == ("image/jpeg", "jpg")
    with pytest.raises(uploads.UploadRefused):
        uploads.clean_picture(sent[: len(sent) // 2], "image/heic")  # cut short


def test_clean_picture_bounds_the_pixels_it_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_PICTURE_PIXELS", 1_000)
    big_png = io.BytesIO()
    Image.new("RGB", (50, 40)).save(big_png, "PNG", pnginfo=None)
    with pytest.raises(uploads.UploadRefused) as refused:  # 2,000 pixels: not decoded
        uploads.clean_picture(big_png.getvalue(), "image/png")
    assert refused.value.code == "picture_unreadable"
    small = Image.open(io.BytesIO(uploads.clean_picture(jpeg((80, 50)), "image/jpeg")))  # read smaller
    assert small.width * small.height <= 1_000
    assert small.width > small.height
    with pytest.raises(uploads.UploadRefused):
        uploads.clean_picture(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png")


@pytest.mark.parametrize(("parameters", "expected"), [
    ("max-pixels=1024", 1024), ("max-pixels=640 other=1", 640), ('{"max-pixels": "800"}', 800),
    ("", None), ("max-pixels=big", None), ("max-pixels=0", None), ("other=3", None),
])
def test_max_pixels_is_read_from_the_xlsform_parameters(parameters: str, expected: int | None) -> None:
    from instruments.model import Question, max_pixels

    question = Question(name="photo", type="image", label={"en": "A photo"}, xlsform={"parameters": parameters})
    assert max_pixels(question) == expected



def test_a_photo_is_cleaned_outside_sqlites_write_lock(fresh_database: str, tmp_path: Path, backend: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding and saving a photo (0.1-0.2 s) does not keep every other participant's save waiting."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    from flask import g

    from tests.conftest import make_test_app
    from tests.support.write_lock import spy_write_lock_during
    from webapp.db import db_session
    from webapp.services.studies import load_bundled_study

    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    with app.app_context():
        session = db_session()
        _xlsform_intake(session, load_bundled_study(session=session))
        intake = instrument_of(current_version(session=session, study_id=1, instrument_id="ti_intake"))
        session.commit()
        g.pop("db_session").close()
    journey = Journey(app.test_client())
    journey.screen("ti")
    journey.consent()
    _walk_to_photo(journey, intake, dict)
    path = journey.path()
    seen = spy_write_lock_during(monkeypatch, fresh_database, uploads, "clean_picture")
    journey.post(path, _page_data(intake, path, photo=(io.BytesIO(phone_photo((900, 600))), "a.jpg"),
                                  action="save"))
    assert seen == [True]  # another writer (a second phone, the worker) could take the lock meanwhile
    with app.app_context():
        assert db_session().exec(select(Upload)).one().key.endswith(".jpg")


def test_uploads_clean_strips_pictures_stored_before_and_changes_nothing_twice(
        fresh_database: str, tmp_path: Path) -> None:
    from flask import g

    from tests.conftest import make_test_app
    from webapp.commands.uploads import uploads_group
    from webapp.crypto import encrypt_bytes
    from webapp.db import db_session
    from webapp.models import AuditEvent
    from webapp.services.studies import load_bundled_study

    app = make_test_app(database_url=fresh_database, instance_dir=tmp_path / "instance")
    sideways, clean_png = phone_photo((300, 200), orientation=6), png(3)
    with app.app_context():
        session = db_session()
        study = load_bundled_study(session=session)
        person = Participant(study_id=study.id, code="TI-0042", participant_type="ti", form_language="en",
                             resume_token_hash="t",
                             resume_code_hash="c")
        session.add(person)
        session.flush()
        rows = []
        for n, (data, media) in enumerate([(sideways, "image/jpeg"), (clean_png, "image/png"),
                                           (b"\xff\xd8\xff\xe0 not really", "image/jpeg"), (PDF, "application/pdf"),
                                           (heic_photo((30, 20)), "image/heic")]):
            path = Path(app.config["KEIREKI"].data_dir) / f"uploads/{n:032x}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encrypt_bytes(data))  # as files were stored before they were cleaned
            rows.append(Upload(participant_id=person.id, key=f"{n:032x}.x", path=f"uploads/{n:032x}.bin",
                               name=f"f{n}.HEIC" if media == "image/heic" else f"f{n}",
                               media_type=media, size=len(data), question="photo"))
        session.add_all(rows)
        session.commit()
        g.pop("db_session").close()
    runner = app.test_cli_runner()
    first = runner.invoke(uploads_group, ["clean"])
    assert first.exit_code == 0, first.output
    assert "4 checked, 2 cleaned, 1 could not be read" in first.output
    with app.app_context():
        session = db_session()
        stored = {u.name: u for u in session.exec(select(Upload))}
        picture = Image.open(io.BytesIO(uploads.read(stored["f0"])))
        assert picture.size == (200, 300)  # upright
        assert not picture.getexif()
        assert stored["f0"].size == len(uploads.read(stored["f0"])) < len(sideways)
        assert uploads.read(stored["f1"]) == clean_png  # clean already: untouched
        heic = stored["f4.jpg"]  # a HEIC stored as sent: now a JPEG, its key (which answers hold) kept
        assert (heic.media_type, heic.key) == ("image/jpeg", f"{4:032x}.x")
        assert Image.open(io.BytesIO(uploads.read(heic))).format == "JPEG"
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "upload.clean")).one().detail == {
            "checked": 4, "cleaned": 2, "unreadable": 1}
        g.pop("db_session").close()
    assert "4 checked, 0 cleaned" in runner.invoke(uploads_group, ["clean"]).output
