"""HTTP endpoint of the search over petitions, clues and cases the caller may see."""
from marshmallow import Schema, fields, validate

from engine.search.models import KINDS
from engine.views import search as search_view
from web import schemas
from web.api import bp
from web.api.common import dump, query_args
from web.auth import current_user, runtime
from web.openapi import doc


class SearchQuery(schemas.Strict):
    q = fields.String(required=True, validate=validate.Length(max=200),
                      metadata={"description": "words: a number, person, post, place or any "
                                               "two or more characters of the content"})
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SearchHit(Schema):
    kind = fields.String(metadata={"description": "petition, clue or case"})
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True, metadata={
        "description": "the number as the agency writes it (信访室〔2026〕案件8号); null "
                       "for records registered before it was kept"})
    title = fields.String(metadata={"description": "the accused persons and posts"})
    excerpt = fields.String(metadata={"description": "content around the match (never "
                                                     "reporter fields)"})
    date = fields.AwareDateTime()
    case_id = fields.Integer(allow_none=True)
    status = fields.String()


class SearchOut(Schema):
    q = fields.String()
    items = fields.List(fields.Nested(SearchHit))
    more = fields.Boolean(metadata={"description": "more matches than `limit`"})


@bp.get("/search")
@doc(query=SearchQuery, responses={200: SearchOut})
def search():
    """Petitions, clues and cases the caller may see matching every word of `q`, newest first."""
    user = current_user()
    args = query_args(SearchQuery)
    rt = runtime()
    return dump(SearchOut, rt.read(lambda uow: search_view.search(
        uow.session, user, args["q"], kind=args["kind"], limit=args["limit"])))
