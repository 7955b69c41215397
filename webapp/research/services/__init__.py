"""The researchers' area's operations and page data (no HTTP here; the pages are in ``webapp.research.routes``).

- ``dashboard``: a study's figures (quotas, channels, progress)
- ``listing``: the filtered, paged participant list
- ``profile``: one participant's page (answers, records, interviews; contact details: ``webapp.services.contacts``)
- ``answers``: stored answers as labelled items
- ``labels``: code labels of the records' vocabularies (and their template filter)
"""
