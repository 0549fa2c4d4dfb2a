"""HTTP endpoints of the reviews area: joint reviews (联审会商) and their opinions."""
from marshmallow import Schema, fields

from engine.reviews import service as reviews
from web.api import bp
from web.api.common import dump
from web.auth import current_user, runtime
from web.openapi import doc


class JointReviewOpinionOut(Schema):
    unit = fields.String()
    unit_name = fields.String()
    position = fields.String(allow_none=True, metadata={
        "description": "agree, disagree or supplement; null while the unit has not stated one"})
    reason = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = fields.String(allow_none=True)


class JointReviewOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    instance_id = fields.String(allow_none=True)
    subject = fields.String()
    members = fields.List(fields.String())
    status = fields.String(metadata={"description": "convened or decided"})
    convened_by = fields.String(allow_none=True)
    convened_at = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    opinions = fields.List(fields.Nested(JointReviewOpinionOut))


@bp.get("/cases/<int:case_id>/joint-reviews")
@doc(responses={200: [JointReviewOut]})
def case_joint_reviews(case_id):
    """The case's joint reviews with each member unit's position, oldest first."""
    user = current_user()
    rt = runtime()
    return dump(JointReviewOut, rt.read(lambda uow: reviews.for_case(
        uow.session, rt, user=user, case_id=case_id)), many=True)


@bp.get("/joint-reviews/<int:review_id>")
@doc(responses={200: JointReviewOut})
def get_joint_review(review_id):
    """One joint review (also one run standalone, without a case)."""
    user = current_user()
    rt = runtime()
    return dump(JointReviewOut, rt.read(lambda uow: reviews.for_user(
        uow.session, rt, user=user, review_id=review_id)))
