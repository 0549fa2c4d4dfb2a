from engine.audit import service as audit
from engine.petitions import service as petitions
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


def _localize(fields: dict) -> dict:
    received = fields.get("received_at")
    if received is not None and received.tzinfo is None:
        fields["received_at"] = received.replace(tzinfo=runtime().clock.tz)
    return fields


@bp.post("/petitions")
@doc(body=schemas.PetitionIn, responses={201: schemas.PetitionCreated})
def register_petition():
    """Register a petition from any channel; starts the intake process."""
    user = current_user()
    fields = _localize(json_body(schemas.PetitionIn))
    rt = runtime()

    def work(uow):
        petition = petitions.register(uow, runtime=rt, user=user, fields=fields)
        return {"id": petition.id, "number": petition.number,
                "display_number": petition.display_number, "case_id": petition.case_id,
                "status": petition.status}
    return dump(schemas.PetitionCreated, rt.transact(work)), 201


@bp.post("/petitions/repeat-check")
@doc(body=schemas.RepeatCheckIn, responses={200: [schemas.RepeatCandidate]})
def repeat_check():
    """Likely repeats of petition fields (not saved), most likely first, at most 10."""
    user = current_user()
    fields = _localize(json_body(schemas.RepeatCheckIn))
    rt = runtime()
    return dump(schemas.RepeatCandidate, rt.read(lambda uow: petitions.repeat_check(
        uow.session, rt, user=user, fields=fields)), many=True)


@bp.get("/petitions/<int:petition_id>/repeat-candidates")
@doc(responses={200: [schemas.RepeatCandidate]})
def repeat_candidates(petition_id):
    """Likely repeats of a registered petition, most likely first, at most 10."""
    user = current_user()
    rt = runtime()
    return dump(schemas.RepeatCandidate, rt.read(lambda uow: petitions.repeat_candidates(
        uow.session, rt, user=user, petition_id=petition_id)), many=True)


@bp.get("/petitions/<int:petition_id>")
@doc(responses={200: schemas.PetitionOut})
def get_petition(petition_id):
    """A petition; the reporter's identity is always masked here."""
    user = current_user()
    rt = runtime()

    def read(uow):
        petition = petitions.for_user(uow.session, user, petition_id)
        if petition.case_id is not None:
            audit.record_view(uow.session, at=rt.clock.now(), actor=user.username,
                              case_id=petition.case_id, via="petition", record_id=petition.id)
        return petitions.describe(uow.session, petition, rt)
    return dump(schemas.PetitionOut, rt.transact(read))


@bp.post("/petitions/<int:petition_id>/reveal")
@doc(body=schemas.RevealIn, responses={200: schemas.ReporterOut})
def reveal_reporter(petition_id):
    """The unmasked reporter, for roles allowed to see it; audited with who, when and why."""
    user = current_user()
    args = json_body(schemas.RevealIn)
    rt = runtime()
    return dump(schemas.ReporterOut, rt.transact(lambda uow: petitions.reveal(
        uow.session, rt, user=user, petition_id=petition_id, reason=args["reason"])))


@bp.post("/petitions/<int:petition_id>/repeat-of")
@doc(body=schemas.RepeatOfIn, responses={200: schemas.PetitionOut})
def link_repeat(petition_id):
    """Confirm that this petition repeats another: its case becomes `merged` (audited)."""
    user = current_user()
    args = json_body(schemas.RepeatOfIn)
    rt = runtime()

    def work(uow):
        petition = petitions.link_repeat(uow, runtime=rt, user=user, petition_id=petition_id,
                                         original_id=args["petition_id"])
        return petitions.describe(uow.session, petition, rt)
    return dump(schemas.PetitionOut, rt.transact(work))


@bp.delete("/petitions/<int:petition_id>/repeat-of")
@doc(responses={200: schemas.PetitionOut})
def unlink_repeat(petition_id):
    """Undo a wrong repeat link: the case reopens at classification (audited)."""
    user = current_user()
    rt = runtime()

    def work(uow):
        petition = petitions.undo_repeat(uow, runtime=rt, user=user, petition_id=petition_id)
        return petitions.describe(uow.session, petition, rt)
    return dump(schemas.PetitionOut, rt.transact(work))


@bp.patch("/petitions/<int:petition_id>")
@doc(body=schemas.PetitionPatchIn, responses={200: schemas.PetitionOut})
def correct_petition(petition_id):
    """Correct a registration; old and new values are audited."""
    user = current_user()
    changes = _localize(json_body(schemas.PetitionPatchIn))
    rt = runtime()
    return dump(schemas.PetitionOut, rt.transact(lambda uow: petitions.describe(
        uow.session, petitions.correct(uow.session, rt, user=user, petition_id=petition_id,
                                       changes=changes), rt)))


@bp.post("/petitions/<int:petition_id>/withdraw")
@doc(body=schemas.ReasonIn, responses={200: schemas.PetitionOut})
def withdraw_petition(petition_id):
    """Record the reporter's withdrawal, with a reason."""
    user = current_user()
    args = json_body(schemas.ReasonIn)
    rt = runtime()
    return dump(schemas.PetitionOut, rt.transact(lambda uow: petitions.describe(
        uow.session, petitions.withdraw(uow.session, rt, user=user, petition_id=petition_id,
                                        reason=args["reason"]), rt)))
