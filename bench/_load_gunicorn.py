"""gunicorn settings of bench/load.py: ``gunicorn -c bench/_load_gunicorn.py om_portal.wsgi``.

With OM_BENCH_AUDIT_OFF=1, each worker disconnects the audit trail's model-save receivers once
the application is loaded, so that the bench can measure what the locked chain head costs. The
portal itself has no such switch (the trail is an obligation, not an option): this is bench code,
and only the bench's own gunicorn reads it.
"""

import os


def post_worker_init(worker):
    if os.environ.get("OM_BENCH_AUDIT_OFF") != "1":
        return
    from django.db.models.signals import post_delete, post_save

    # The dispatch_uids under which OmPortalConfig.ready connects them.
    saved = post_save.disconnect(dispatch_uid="audit-save")
    deleted = post_delete.disconnect(dispatch_uid="audit-delete")
    worker.log.info("bench: audit receivers disconnected (save %s, delete %s)", saved, deleted)
