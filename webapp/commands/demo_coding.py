"""Demo coding: synthetic transcripts (several languages, with an English translation) of the interviews held,
coded by two coders who mostly agree, and a consensus on some of them.

Run by ``keireki demo seed`` after the interviews, once the interviewed participants' career records exist, so
the codings name their own episodes: with ``--inline`` they were converted in the process; otherwise
:func:`await_records` waits while the running worker (``make run``) converts them, and converts here whoever it
has not converted after :data:`PATIENCE` seconds without progress (no worker running). Deterministic for a seed:
the records, and so the episodes a coding names, are.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The same interview in four languages, paragraph by paragraph (so a translation aligns).
TEXTS: dict[str, list[str]] = {
    "en": ["I: How did you learn your work at the company?",
           "P: My senpai showed me welding step by step, every morning for three months.",
           "I: Did your manager notice your progress?",
           "P: Yes, the manager said my welding was the best in the team and gave me a certificate.",
           "I: And your Japanese?",
           "P: They said foreigners only need simple Japanese, so I was not sent to the language course.",
           "I: How do you see your future?",
           "P: I want to become a team leader 😀 and teach the new interns myself."],
    "ja": ["I: 会社でどのように仕事を覚えましたか？",
           "P: 先輩が三か月間、毎朝ひとつずつ溶接を教えてくれました。",
           "I: 上司はあなたの成長に気づきましたか？",
           "P: はい、部長は私の溶接がチームで一番だと言って、修了証をくれました。",
           "I: 日本語はどうですか？",
           "P: 外国人は簡単な日本語だけでいいと言われて、日本語の講座には行かせてもらえませんでした。",
           "I: 将来についてどう考えていますか？",
           "P: 班長になって 😀 新しい実習生に自分で教えたいです。"],
    "vi": ["I: Anh đã học công việc ở công ty như thế nào?",
           "P: Senpai chỉ cho tôi hàn từng bước, mỗi sáng trong ba tháng.",
           "I: Quản lý có nhận ra sự tiến bộ của anh không?",
           "P: Có, trưởng phòng nói tay nghề hàn của tôi giỏi nhất nhóm và trao chứng chỉ cho tôi.",
           "I: Còn tiếng Nhật thì sao?",
           "P: Họ nói người nước ngoài chỉ cần tiếng Nhật đơn giản nên tôi không được đi học lớp tiếng.",
           "I: Anh nghĩ gì về tương lai?",
           "P: Tôi muốn trở thành tổ trưởng 😀 và tự dạy các thực tập sinh mới."],
    "my": ["I: ကုမ္ပဏီမှာ အလုပ်ကို ဘယ်လို သင်ယူခဲ့သလဲ။",
           "P: စီနီယာက သုံးလလုံး မနက်တိုင်း ဂဟေဆော်နည်းကို တစ်ဆင့်ချင်း သင်ပေးခဲ့တယ်။",
           "I: မန်နေဂျာက သင့်တိုးတက်မှုကို သတိထားမိသလား။",
           "P: ဟုတ်ကဲ့၊ မန်နေဂျာက ကျွန်တော့် ဂဟေဆော်တာ အဖွဲ့ထဲမှာ အကောင်းဆုံးလို့ ပြောပြီး လက်မှတ်ပေးခဲ့တယ်။",
           "I: ဂျပန်စကားကော။",
           "P: နိုင်ငံခြားသားတွေ ရိုးရှင်းတဲ့ ဂျပန်စကားပဲ လိုတယ်ဆိုပြီး ဘာသာစကားသင်တန်း မပို့ခဲ့ဘူး။",
           "I: အနာဂတ်ကို ဘယ်လိုမြင်လဲ။",
           "P: အဖွဲ့ခေါင်းဆောင် ဖြစ်ချင်ပြီး 😀 အလုပ်သင်အသစ်တွေကို ကိုယ်တိုင် သင်ပေးချင်တယ်။"],
}
#: Paragraph (1-based) -> (code, actor, skill domain) that coder A applies.
PLAN = {2: ("cultivate", "coworkers", "technical"), 4: ("recognise", "employer_manager", "technical"),
        6: ("limit_deny", "employer_manager", "language"), 8: ("ascribe", "self", "managerial")}
OTHER_CODES = ("recognise", "cultivate", "ascribe", "limit_deny")


#: Seconds the demo waits for the worker's next conversion before it converts the rest itself.
PATIENCE = 30.0
_POLL = 0.5


def _unconverted(session: Any, participant_ids: Sequence[int]) -> set[int]:
    from sqlmodel import col, select

    from webapp.models import Response

    pending = set(session.exec(select(Response.participant_id).where(
        col(Response.participant_id).in_(list(participant_ids)), Response.status == "submitted")).all())
    session.commit()  # each look is its own short transaction: the worker's writes go on between them
    return pending


@dataclass
class Awaited:
    by_worker: int = 0
    here: int = 0


def await_records(*, session: Any, participant_ids: Sequence[int], patience: float | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> Awaited:
    """Wait until these participants' responses are converted (by the running worker); whoever is still
    unconverted after ``patience`` seconds without progress is converted here."""
    from workers.tasks.records import convert_batch

    patience = PATIENCE if patience is None else patience
    pending = _unconverted(session, participant_ids)
    start = len(pending)
    quiet = 0.0
    while pending and quiet < patience:
        sleep(_POLL)
        now = _unconverted(session, participant_ids)
        quiet = 0.0 if len(now) < len(pending) else quiet + _POLL
        pending = now
    outcome = Awaited(by_worker=start - len(pending), here=len(pending))
    if pending:
        convert_batch(session=session, participant_ids=sorted(pending))
    return outcome


@dataclass
class CodingOutcome:
    transcripts: int = 0
    codings: int = 0
    consensus: int = 0
    coders: list[str] = field(default_factory=list)
    skipped: str | None = None


def _coders(session: Any, study: Any) -> list[Any]:
    from sqlmodel import col, select

    from webapp.models import Membership, User

    rows = session.exec(select(User).join(Membership, col(Membership.user_id) == User.id)
                        .where(Membership.study_id == study.id, col(Membership.role).in_(("owner", "researcher",
                                                                                         "interviewer")))
                        .order_by(col(User.id))).all()
    unique: dict[int, Any] = {}
    for user in rows:
        unique.setdefault(user.id, user)
    return list(unique.values())


def _code_transcript(session: Any, transcript: Any, coder: Any, codes: dict[str, Any], episodes: list[int],
                     rng: random.Random, agree: float) -> list[Any]:
    from webapp.coding.services import codings

    made = []
    for paragraph, (name, actor, domain) in PLAN.items():
        if paragraph > len(transcript.paragraphs):
            continue
        if rng.random() > agree:
            if rng.random() < 0.5:
                continue  # this coder left the passage uncoded
            name = rng.choice([c for c in OTHER_CODES if c != name])
        _number, span = codings.span_of(transcript=transcript, first_paragraph=paragraph)
        episode = episodes[min(paragraph // 3, len(episodes) - 1)] if episodes else None
        made.append(codings.apply(session=session, transcript=transcript, code=codes[name], coder=coder, span=span,
                                  actor=actor, skill_domain=domain, episode_no=episode, queue=False))
    return made


def seed_coding(*, session: Any, study: Any, booking_ids: Sequence[int], rng: random.Random) -> CodingOutcome:
    """Transcripts for the completed bookings, codings by two coders, consensus on about half."""
    from webapp.coding.services import codebook, codings, consensus
    from webapp.coding.services import transcripts as sources
    from webapp.models import Booking, Participant
    from workers.jobs import enqueue_conversion

    outcome = CodingOutcome()
    coders = _coders(session, study)
    if not coders:
        outcome.skipped = "the study has no coder"
        return outcome
    codes = {c.name: c for c in codebook.codes(session=session, study=study)}
    for n, booking_id in enumerate(booking_ids):
        booking = session.get(Booking, booking_id)
        if booking is None or booking.status != "completed" or sources.of_booking(session=session, booking=booking):
            continue
        person = session.get(Participant, booking.participant_id)
        language = person.form_language if person and person.form_language in TEXTS else "en"
        original = sources.add(session=session, booking=booking, text="\n".join(TEXTS[language]),
                               name=f"interview-{booking.id}.txt", language=language, user=None)
        outcome.transcripts += 1
        if language != "en":
            sources.add(session=session, booking=booking, text="\n".join(TEXTS["en"]), name="translation (en)",
                        language="en", user=None, translation_of=original)
        episodes = codings.episodes_of(session=session, participant_id=booking.participant_id)
        first = session.get(type(coders[0]), booking.interviewer_id) or coders[0]
        second = next((c for c in coders if c.id != first.id), None)
        mine = _code_transcript(session, original, first, codes, episodes, rng, agree=1.0)
        outcome.codings += len(mine)
        if second is not None:
            outcome.codings += len(_code_transcript(session, original, second, codes, episodes, rng, agree=0.75))
            if n % 2 == 0:
                for coding in mine:
                    consensus.adopt(session=session, coding=coding, lead=second)
                    outcome.consensus += 1
        session.commit()
        enqueue_conversion(session=session, participant_id=booking.participant_id, study_id=study.id)
    outcome.coders = [c.email for c in coders[:2]]
    return outcome
