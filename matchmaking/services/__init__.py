"""Domain operations, one module per concept. Views, viewsets, forms, the admin and commands
validate input and call these functions; they take instances and the acting user, run in a
transaction, lock the rows they change, write the audit log, and raise `errors.ServiceError`.

    errors.py         the one domain exception (Conflict: the state refuses; NotAllowed: the user may not)
    opportunities.py  create, change, close and delete offers and requests
    embeddings.py     the stored vectors of opportunities, and the task that makes them
    matches.py        the match lifecycle, from an expression of interest to its outcome
    outcomes.py       what completed matches achieved
    contacts.py       who may see hidden contact details
    alerts.py         the daily run: expiries, reminders, digests of suggestions
    moderation.py     staff approve, hide, verify
    organizations.py  register and change organizations
    memberships.py    members and their roles, requests to join
    notifications.py  in-app notifications and e-mails
    ranking.py        learned ranking weights: train, use, stop using
    audit.py          the audit log every operation writes
"""
