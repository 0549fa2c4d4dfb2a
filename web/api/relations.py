"""Declared relations (recusal data): list, declare, decide a requested one, end."""
from engine.admin import service as admin
from engine.org import service as org
from engine.org.models import User
from engine.access import recusal
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


def _describe(uow, rows) -> list[dict]:
    return admin.describe_relations(uow.session, runtime(), rows)


@bp.get("/relations")
@doc(responses={200: [schemas.RelationOut]})
def list_relations():
    """Declared relations: the caller's own; supervisors and administrators see all."""
    user = current_user()
    rt = runtime()
    return dump(schemas.RelationOut, rt.read(lambda uow: admin.list_relations(
        uow.session, rt, actor=user)), many=True)


@bp.post("/relations")
@doc(body=schemas.RelationIn, responses={201: schemas.RelationOut})
def declare_relation():
    """Declare a relation to an accused person or a reporter (recusal)."""
    actor = current_user()
    args = json_body(schemas.RelationIn)
    rt = runtime()

    def work(uow):
        subject = org.get_user(uow.session, args["username"]) if args.get("username") else \
            uow.session.get(User, actor.id)
        row = recusal.declare(uow.session, rt, actor=actor, user=subject,
                              person_name=args["person_name"], person_kind=args["person_kind"],
                              relation=args["relation"], reason=args["reason"],
                              requested=args["requested"])
        return _describe(uow, [row])[0]
    return dump(schemas.RelationOut, rt.transact(work)), 201


@bp.post("/relations/<int:relation_id>/decision")
@doc(body=schemas.DecisionIn, responses={200: schemas.RelationOut})
def decide_relation(relation_id):
    """A supervisor approves or rejects a requested recusal."""
    actor = current_user()
    args = json_body(schemas.DecisionIn)
    rt = runtime()
    return dump(schemas.RelationOut, rt.transact(lambda uow: _describe(uow, [recusal.decide(
        uow.session, rt, actor=actor, relation_id=relation_id, approve=args["approve"],
        reason=args["reason"])])[0]))


@bp.post("/relations/<int:relation_id>/end")
@doc(body=schemas.EndRelationIn, responses={200: schemas.RelationOut})
def end_relation(relation_id):
    """End a relation, saying why (kept in the history)."""
    actor = current_user()
    args = json_body(schemas.EndRelationIn)
    rt = runtime()
    return dump(schemas.RelationOut, rt.transact(lambda uow: _describe(uow, [recusal.end(
        uow.session, rt, actor=actor, relation_id=relation_id, reason=args["reason"])])[0]))
