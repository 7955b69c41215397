"""The API's HTTP, by audience: ``data`` (the JSON API under ``/api/v1/`` for scripts, with ``bearer``
authentication) and ``tokens`` (the owners' pages that create and revoke tokens). Token operations are in
``webapp.api.services``, the OpenAPI document in ``webapp.api.openapi``.
"""
