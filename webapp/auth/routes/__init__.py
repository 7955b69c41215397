"""The accounts' HTTP, by audience: ``account`` (sign-in, invitations, one's own account: blueprint ``auth``)
and ``admin`` (the global admin's users and studies: blueprint ``admin``). Operations are in
``webapp.auth.services``, permissions in ``webapp.auth.roles``.
"""
