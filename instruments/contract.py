"""The career-records contract (../shared/spec/records.md) as data.

Both the instrument checker (is a mapped field part of the contract? does a choice list match its
vocabulary?) and the records pipeline and exports (column order, types, code lists, labels) read
this module, so the contract is written down exactly once.

Column kinds: ``string``, ``integer``, ``number``, ``boolean``, ``date`` (partial ISO date),
``datetime`` (ISO 8601 UTC), ``code`` (one value of ``vocab``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Code lists. Order matters: SPSS/Stata integer codes are the 1-based position in the list.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "participant_type": ("ti", "sie", "manager"),
    "participant_status": ("screened", "consented", "submitted", "interviewed", "withdrawn"),
    "gender": ("female", "male", "other", "undisclosed"),
    "japanese_level": ("n1", "n2", "n3", "n4", "n5", "none", "unknown"),
    "education_level": ("0", "1", "2", "3", "4", "5", "6", "7", "8"),
    "precision": ("year", "month", "day"),
    "episode_kind": ("job", "pre_departure_training", "study", "unemployed", "family", "other"),
    "employer_size": ("micro", "small", "medium", "large", "unknown"),
    "industry": tuple("ABCDEFGHIJKLMNOPQRST"),
    "occupation": tuple(str(i) for i in range(10)),
    "prefecture": tuple(f"{i:02d}" for i in range(1, 48)),
    "residence_status": (
        "ti_1", "ti_2", "ti_3", "esd", "ssw_1", "ssw_2", "eng_hum", "hsp", "intra_company", "student",
        "designated", "dependent", "spouse", "long_term", "permanent", "not_in_japan", "other", "unknown",
    ),
    "ti_type": ("a", "b", "unknown"),
    "entry_route": (
        "sending_org", "supervising_org", "private_agency", "direct_hire", "referral", "intra_company",
        "school", "other",
    ),
    "employment_type": (
        "regular", "fixed_term", "dispatch", "part_time", "internship", "self_employed", "other",
    ),
    "transition_kind": (
        "status_change", "employer_change", "occupation_change", "return_home", "to_overseas_subsidiary",
        "ti_to_ssw_same_employer", "ti_to_ssw_new_employer", "promotion", "entry_to_japan",
    ),
    "skill_event": ("recognise", "cultivate", "ascribe", "limit_deny"),
    "skill_actor": (
        "employer_manager", "coworkers", "supervising_org", "sending_org", "private_agency", "government",
        "self", "other",
    ),
    "skill_domain": ("technical", "language", "interpersonal", "managerial", "digital", "other"),
    "skill_source": ("intake", "interview", "coding"),
    "capital_band": ("lt_10m", "10m_50m", "50m_100m", "100m_300m", "gt_300m", "unknown"),
    "quality_flag": (
        "overlap", "end_before_start", "future_date", "gap_over_12_months", "under_15_at_start",
        "missing_required", "zawgyi_converted", "era_date_parsed", "unparsed_date", "conversion_note",
        "skill_event_episode_missing",
    ),
    "state": (
        "home_work", "home_study", "pre_departure", "ti", "esd", "ssw", "eng_hum", "student_jp", "other_jp",
        "unemployed", "abroad_other",
    ),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    label: str
    vocab: str | None = None
    #: True for columns that may identify a person; dropped from de-identified exports.
    pii: bool = False
    #: True for free text that is dropped from de-identified exports unless cleared.
    free_text: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    #: (column, foreign table, foreign column)
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    #: Inputs an instrument may map to that are not output columns; the pipeline derives columns from
    #: them (e.g. an employer's name becomes a pseudonymous ``employer_ref``) and never exports them.
    inputs: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns + self.inputs:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, kind: str, label: str, vocab: str | None = None, **kw: bool) -> Column:
    return Column(name=name, kind=kind, label=label, vocab=vocab, **kw)


PARTICIPANTS = Table(
    name="participants",
    label="Participants",
    primary_key=("participant_code",),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("study", "string", "Study"),
        _c("participant_type", "code", "Participant type", "participant_type"),
        _c("form_language", "string", "Language of the form (BCP 47)"),
        _c("recruitment_channel", "string", "Recruitment channel"),
        _c("consent_version", "string", "Consent version"),
        _c("consented_at", "datetime", "Time of consent (UTC)"),
        _c("status", "code", "Participation status", "participant_status"),
        _c("nationality", "string", "Nationality (ISO 3166-1 alpha-3)"),
        _c("gender", "code", "Gender", "gender"),
        _c("birth_year", "integer", "Year of birth"),
        _c("education_level", "code", "Highest education (ISCED 2011 level)", "education_level"),
        _c("japanese_level", "code", "Japanese level (JLPT)", "japanese_level"),
        _c("first_arrival_ym", "string", "First arrival in Japan (YYYY-MM)"),
        _c("current_residence_status", "code", "Current residence status", "residence_status"),
        _c("years_in_japan", "number", "Years spent in Japan"),
        _c("n_employers_japan", "integer", "Number of employers in Japan"),
        _c("n_episodes", "integer", "Number of career episodes"),
        _c("interview_date", "date", "Date of the in-depth interview"),
        _c("timeline_confirmed", "boolean",
           "Participant confirmed the drawn timeline of their career (false: shown, not confirmed)"),
        _c("instrument_versions", "string", "Instrument versions answered"),
        _c("pipeline_version", "string", "Records pipeline version"),
    ),
)

EPISODES = Table(
    name="episodes",
    label="Career episodes",
    primary_key=("participant_code", "episode_no"),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("episode_no", "integer", "Episode number, in time order"),
        _c("kind", "code", "Kind of episode", "episode_kind"),
        _c("start", "date", "Start (partial ISO date)"),
        _c("start_precision", "code", "Precision of start", "precision"),
        _c("end", "date", "End (partial ISO date)"),
        _c("end_precision", "code", "Precision of end", "precision"),
        _c("ongoing", "boolean", "Still ongoing at the response"),
        _c("start_month", "integer", "Start month index (Jan 1900 = 1)"),
        _c("end_month", "integer", "End month index (Jan 1900 = 1)"),
        _c("country", "string", "Country (ISO 3166-1 alpha-3)"),
        _c("prefecture", "code", "Prefecture (JIS X 0401)", "prefecture"),
        _c("employer_ref", "string", "Pseudonymous employer reference"),
        _c("employer_size", "code", "Employer size (SME Basic Act)", "employer_size"),
        _c("industry", "code", "Industry (JSIC division)", "industry"),
        _c("occupation", "code", "Occupation (ISCO-08 major group)", "occupation"),
        _c("job_title", "string", "Job title", free_text=True),
        _c("residence_status", "code", "Residence status", "residence_status"),
        _c("ti_type", "code", "Technical intern training type", "ti_type"),
        _c("entry_route", "code", "Route into the job", "entry_route"),
        _c("employment_type", "code", "Employment type", "employment_type"),
        _c("reason_left", "string", "Reason for leaving", free_text=True),
    ),
    inputs=(
        _c("employer_name", "string", "Employer name (pseudonymised into employer_ref)", pii=True),
        _c("employer_employees", "integer", "Employer's regular employees"),
        _c("employer_capital_band", "code", "Employer's capital band", "capital_band"),
        _c("overseas_subsidiary", "boolean", "Job at the Japanese employer's overseas subsidiary"),
        _c("promotion", "boolean", "Promoted within the employer"),
    ),
)

TRANSITIONS = Table(
    name="transitions",
    label="Transitions between episodes",
    primary_key=("participant_code", "from_episode", "to_episode", "kind"),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("from_episode", "integer", "Episode before"),
        _c("to_episode", "integer", "Episode after"),
        _c("month", "integer", "Month index of the transition"),
        _c("kind", "code", "Kind of transition", "transition_kind"),
        _c("from_status", "code", "Residence status before", "residence_status"),
        _c("to_status", "code", "Residence status after", "residence_status"),
    ),
)

SKILL_EVENTS = Table(
    name="skill_events",
    label="Skill events",
    primary_key=("participant_code", "event_no"),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("event_no", "integer", "Event number within the participant"),
        _c("episode_no", "integer", "Episode the event belongs to"),
        _c("event", "code", "What happened to the skill", "skill_event"),
        _c("actor", "code", "Who did it", "skill_actor"),
        _c("skill_domain", "code", "Skill domain", "skill_domain"),
        _c("source", "code", "Source of the record", "skill_source"),
        _c("note", "string", "Note", free_text=True),
        _c("transcript_ref", "string", "Coded transcript (pseudonymous reference)"),
        _c("paragraph", "integer", "Paragraph of the transcript"),
        _c("start", "integer", "First character of the coded passage (offset)"),
        _c("end", "integer", "Character after the coded passage (offset)"),
        _c("coder", "string", "Coder (pseudonymous reference, or consensus)"),
    ),
)

CODED_SEGMENTS = Table(
    name="coded_segments",
    label="Coded passages of transcripts (personal data)",
    primary_key=("segment_id",),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("segment_id", "string", "Coded passage"),
        _c("participant_code", "string", "Participant code"),
        _c("transcript_ref", "string", "Coded transcript (pseudonymous reference)"),
        _c("language", "string", "Language of the transcript (BCP 47)"),
        _c("paragraph", "integer", "Paragraph of the transcript"),
        _c("start", "integer", "First character of the passage (offset)"),
        _c("end", "integer", "Character after the passage (offset)"),
        _c("code", "string", "Code"),
        _c("coder", "string", "Coder (pseudonymous reference, or consensus)"),
        _c("episode_no", "integer", "Episode the passage is about"),
        _c("quote", "string", "The coded passage", pii=True),
        _c("memo", "string", "Memo on the passage", pii=True),
    ),
)

#: Study-level tables of the coding (one set per study, not per participant): written by the exports.
CODES = Table(
    name="codes",
    label="Codebook of the qualitative coding",
    primary_key=("code",),
    columns=(
        _c("code", "string", "Code"),
        _c("parent", "string", "Parent code"),
        _c("label", "string", "Label (study default language)"),
        _c("description", "string", "Description"),
        _c("is_skill_event", "boolean", "A skill-construction code (becomes skill_events)"),
        _c("codebook_version", "integer", "Version of the codebook"),
    ),
)

AGREEMENT_BY_CODE = Table(
    name="agreement_by_code",
    label="Agreement between coders per code",
    primary_key=("coder_a", "coder_b", "code"),
    columns=(
        _c("coder_a", "string", "First coder of the pair compared (pseudonymous reference)"),
        _c("coder_b", "string", "Second coder of the pair compared (pseudonymous reference)"),
        _c("n_transcripts", "integer", "Transcripts both coders coded (the figures rest on these)"),
        _c("code", "string", "Code (_overall: every code pooled)"),
        _c("n_units", "integer", "Paragraphs compared"),
        _c("n_coders", "integer", "Coders compared"),
        _c("kappa", "number", "Cohen's kappa (two coders)"),
        _c("alpha", "number", "Krippendorff's alpha (nominal)"),
        _c("overlap", "number", "Character overlap of passages (Jaccard)"),
    ),
)

FIRMS = Table(
    name="firms",
    label="Firms described by managers",
    primary_key=("firm_ref", "participant_code"),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("firm_ref", "string", "Pseudonymous firm reference"),
        _c("participant_code", "string", "Manager's participant code"),
        _c("industry", "code", "Industry (JSIC division)", "industry"),
        _c("prefecture", "code", "Prefecture (JIS X 0401)", "prefecture"),
        _c("employees", "integer", "Regular employees"),
        _c("capital_band", "code", "Capital band", "capital_band"),
        _c("sme", "boolean", "SME under the SME Basic Act"),
        _c("n_ti", "integer", "Technical interns employed"),
        _c("n_ssw", "integer", "Specified skilled workers employed"),
        _c("n_sie", "integer", "Self-initiated expatriates employed"),
        _c("uses_supervising_org", "boolean", "Uses a supervising organisation"),
        _c("has_overseas_subsidiary", "boolean", "Has an overseas subsidiary"),
        _c("retains_ti_as_ssw", "boolean", "Retains technical interns as SSW"),
        _c("hires_for_subsidiary", "boolean", "Hires for an overseas subsidiary"),
    ),
    inputs=(_c("firm_name", "string", "Firm name (pseudonymised into firm_ref)", pii=True),),
)

QUALITY_FLAGS = Table(
    name="quality_flags",
    label="Quality flags",
    primary_key=("participant_code", "flag_no"),
    foreign_keys=(("participant_code", "participants", "participant_code"),),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("flag_no", "integer", "Flag number within the participant"),
        _c("episode_no", "integer", "Episode concerned"),
        _c("flag", "code", "Flag", "quality_flag"),
        _c("detail", "string", "Detail"),
    ),
)

SEQUENCES_SPELL = Table(
    name="sequences_spell",
    label="State sequences, SPELL format",
    primary_key=("participant_code", "begin"),
    columns=(
        _c("participant_code", "string", "Participant code"),
        _c("begin", "integer", "First month index of the spell"),
        _c("end", "integer", "Last month index of the spell"),
        _c("status", "code", "State", "state"),
        _c("first_episode", "integer", "Episode holding the spell's first month (episode_no)"),
        _c("last_episode", "integer", "Episode holding the spell's last month (episode_no)"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (PARTICIPANTS, EPISODES, TRANSITIONS, SKILL_EVENTS, FIRMS, QUALITY_FLAGS)
}
#: Per-participant tables that hold personal data throughout: only in a bundle with personal data.
PII_TABLES: dict[str, Table] = {CODED_SEGMENTS.name: CODED_SEGMENTS}
#: Tables of a whole study (not built per participant).
STUDY_TABLES: dict[str, Table] = {t.name: t for t in (CODES, AGREEMENT_BY_CODE)}

#: Tables an instrument question may feed (the others are derived by the pipeline).
MAPPABLE_TABLES = ("participants", "episodes", "skill_events", "firms")


def resolve(target: str) -> tuple[Table, Column]:
    """Resolve ``"table.column"`` to its table and column; raise KeyError if not in the contract."""
    table_name, _, column_name = target.partition(".")
    table = TABLES[table_name]
    return table, table.column(column_name)


def vocabulary(name: str) -> tuple[str, ...]:
    return VOCABULARIES[name]
