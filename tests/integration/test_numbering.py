"""Concurrent registrations never share or skip a number (petitions and their cases)."""
from __future__ import annotations

import threading

from tests.api_client import ApiClient, deploy_processes
from tests.integration.support import dispose_app, issue_tokens, make_app

THREADS, EACH = 6, 5


def test_concurrent_registrations_get_consecutive_unique_numbers(backend, scratch):
    url = scratch.create(backend)
    tokens = issue_tokens(url, ["designer", "clerk"])
    app = make_app(url)
    try:
        deploy_processes(ApiClient(app.test_client(), tokens, "designer"))
        barrier = threading.Barrier(THREADS)
        results: list[dict] = []
        errors: list = []

        def register():
            clerk = ApiClient(app.test_client(), tokens, "clerk")
            barrier.wait()
            for i in range(EACH):
                resp = clerk.post("/petitions", json={
                    "channel": "online", "reporter": {"anonymous": True},
                    "no_accused_reason": "并发登记测试，不涉及具体人员",
                    "content": f"并发登记 {threading.get_ident()} {i}"})
                (results if resp.status == 201 else errors).append(resp.json)
        threads = [threading.Thread(target=register) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        numbers = sorted(int(r["number"].rsplit("-", 1)[1]) for r in results)
        assert numbers == list(range(1, THREADS * EACH + 1))
        # The readable number people see: the unit's name, the year, the same gap-free count.
        shown = sorted(r["display_number"] for r in results)
        year = results[0]["number"].split("-")[-2]
        assert shown == sorted(f"信访室〔{year}〕信访{n}号" for n in range(1, THREADS * EACH + 1))
        cases = sorted(r["case_id"] for r in results)
        assert len(set(cases)) == THREADS * EACH
    finally:
        dispose_app(app)
