from engine.deadlines import extensions
from engine.deadlines import service as deadlines
from engine.inbox import service as inbox
from engine.notifications import service as notifications
from web import schemas
from web.api import bp
from web.api.cases import describe_deadlines
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


@bp.post("/tasks/<task_id>/extension")
@doc(body=schemas.ExtensionIn, responses={201: schemas.TaskOut})
def request_extension(task_id):
    """Ask for more time on a task's deadline: creates an approval task for the supervisor."""
    user = current_user()
    args = json_body(schemas.ExtensionIn)
    rt = runtime()

    def work(uow):
        task = extensions.request_extension(uow, runtime=rt, task_id=task_id, user=user,
                                           amount=args["amount"], unit=args["unit"],
                                           reason=args["reason"])
        return inbox.describe(uow.session, [task], rt)[0]
    return dump(schemas.TaskOut, rt.transact(work)), 201


@bp.post("/deadlines/<int:deadline_id>/suspend")
@doc(body=schemas.SuspendIn, responses={200: schemas.DeadlineOut})
def suspend_deadline(deadline_id):
    """Pause a deadline's clock (a supervisor of its unit)."""
    user = current_user()
    args = json_body(schemas.SuspendIn)
    rt = runtime()
    row = rt.transact(lambda uow: deadlines.suspend(uow.session, rt, deadline_id=deadline_id,
                                                    user=user, reason=args["reason"]))
    return dump(schemas.DeadlineOut, describe_deadlines([row])[0])


@bp.post("/deadlines/<int:deadline_id>/resume")
@doc(responses={200: schemas.DeadlineOut})
def resume_deadline(deadline_id):
    """Restart a suspended deadline; its due date moves by the suspended time."""
    user = current_user()
    rt = runtime()
    row = rt.transact(lambda uow: deadlines.resume(uow.session, rt, deadline_id=deadline_id,
                                                   user=user))
    return dump(schemas.DeadlineOut, describe_deadlines([row])[0])


@bp.get("/notifications")
@doc(responses={200: schemas.NotificationList})
def list_notifications():
    """The caller's newest notifications and the unread count."""
    user = current_user()
    rt = runtime()

    def read(uow):
        return {"unread": notifications.unread_count(uow.session, user.id),
                "items": notifications.list_for(uow.session, user.id)}
    return dump(schemas.NotificationList, rt.read(read))


@bp.post("/notifications/read")
@doc(responses={200: schemas.NotificationList})
def read_notifications():
    """Mark every notification of the caller as read."""
    user = current_user()
    rt = runtime()
    rt.transact(lambda uow: notifications.mark_read(uow.session, user.id, rt.clock.now()))
    return list_notifications()
