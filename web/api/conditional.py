"""Conditional GETs: every JSON answer to a GET carries an ETag (a hash of its body), and a
request whose If-None-Match names it gets 304 with no body, so a client that polls (every 30 s
on the pages) moves nothing while nothing changed."""
from __future__ import annotations

from flask import request

from web.api import bp


@bp.after_request
def _etag(response):
    if request.method == "GET" and response.status_code == 200 and response.is_json \
            and not response.direct_passthrough:
        response.add_etag()
        response.make_conditional(request)
    return response
