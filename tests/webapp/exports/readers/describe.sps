* The SPSS files of an unzipped Keireki export bundle, opened in GNU PSPP (run from the bundle's folder):.
*   pspp -O format=csv -o pspp.csv describe.sps.
* tests/webapp/exports/test_external_readers.py reads the CSV output back.

SYSFILE INFO FILE='participants.sav'.
GET FILE='participants.sav'.
DISPLAY DICTIONARY.
FREQUENCIES VARIABLES=participant_type gender.
DESCRIPTIVES VARIABLES=birth_year years_in_japan.
LIST.

SYSFILE INFO FILE='episodes.sav'.
GET FILE='episodes.sav'.
DISPLAY DICTIONARY.
FREQUENCIES VARIABLES=kind residence_status.
DESCRIPTIVES VARIABLES=start_month end_month.
LIST.
