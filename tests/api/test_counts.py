"""One client's user counts over real HTTP on SQLite and PostgreSQL: PUT and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.test_clients import new_client, new_partner


async def client_url(admin: httpx.AsyncClient) -> str:
    partner_id = await new_partner(admin)
    client = await new_client(admin, partner_id)
    return f"/v1/partners/{partner_id}/clients/{client['id']}"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_put_stores_the_count_and_the_client_shows_the_latest(
    admin: httpx.AsyncClient,
) -> None:
    url = await client_url(admin)
    response = await admin.put(
        url + "/user-count", json={"active_users": 1000, "as_of": "2026-01-01T09:00:00Z"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active_users"] == 1000
    assert body["as_of"] == "2026-01-01T09:00:00Z"
    assert body["client_id"] == url.rsplit("/", 1)[1]

    # Reported out of order: the latest as_of wins, not the latest request.
    await admin.put(url + "/user-count", json={"active_users": 1020, "as_of": "2026-01-15T09:00Z"})
    await admin.put(url + "/user-count", json={"active_users": 970, "as_of": "2026-01-10T09:00Z"})
    client = (await admin.get(url)).json()
    assert client["active_users"] == 1020
    assert client["as_of"] == "2026-01-15T09:00:00Z"


async def test_same_instant_again_replaces_the_value(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    first = await admin.put(
        url + "/user-count", json={"active_users": 5, "as_of": "2026-01-15T10:00:00+01:00"}
    )
    second = await admin.put(
        url + "/user-count", json={"active_users": 7, "as_of": "2026-01-15T09:00:00Z"}
    )
    assert second.status_code == 200
    assert second.json()["as_of"] == first.json()["as_of"] == "2026-01-15T09:00:00Z"

    history = (await admin.get(url + "/user-counts")).json()
    assert history["total"] == 1
    assert [i["active_users"] for i in history["items"]] == [7]


async def test_as_of_defaults_to_now(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    before = datetime.now(UTC)
    response = await admin.put(url + "/user-count", json={"active_users": 12})
    after = datetime.now(UTC)
    assert response.status_code == 200, response.text
    as_of = datetime.fromisoformat(response.json()["as_of"])
    assert before - timedelta(seconds=1) <= as_of <= after + timedelta(seconds=1)


async def test_future_beyond_clock_skew_is_refused(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    for offset, accepted in [
        (timedelta(minutes=4), True),
        (timedelta(minutes=6), False),
        (timedelta(days=400), False),
    ]:
        as_of = iso(datetime.now(UTC) + offset)
        response = await admin.put(url + "/user-count", json={"active_users": 1, "as_of": as_of})
        if accepted:
            assert response.status_code == 200, (offset, response.text)
        else:
            assert response.status_code == 422, (offset, response.text)
            assert response.json()["error"]["code"] == "as_of_out_of_range"
    assert (await admin.get(url + "/user-counts")).json()["total"] == 1


BAD_AS_OF = [
    ("1999-12-31T23:59:59Z", "as_of_out_of_range"),
    ("2000-01-01T00:59:59+01:00", "as_of_out_of_range"),
    ("2026-01-15T09:00:00", "validation_error"),  # naive
    ("2026-01-15", "validation_error"),  # a date is naive midnight
    ("9999-12-31T23:59:59-23:59", "validation_error"),  # no UTC instant
    ("0001-01-01T00:00:00+01:00", "validation_error"),
    ("yesterday", "validation_error"),
    ("", "validation_error"),
    (1_700_000_000.5, "validation_error"),  # no numbers pretending to be instants
]


async def test_as_of_must_be_an_aware_instant_in_range(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    for as_of, code in BAD_AS_OF:
        response = await admin.put(url + "/user-count", json={"active_users": 3, "as_of": as_of})
        assert response.status_code == 422, (as_of, response.text)
        assert response.json()["error"]["code"] == code, as_of
    assert (await admin.get(url + "/user-counts")).json()["total"] == 0
    # null means "now"
    now = await admin.put(url + "/user-count", json={"active_users": 3, "as_of": None})
    assert now.status_code == 200, now.text


BAD_COUNTS: list[object] = [-1, 10_000_001, 5.0, 5.5, True, False, "5", None, [5], {"n": 5}, 2**70]


async def test_counts_are_plain_non_negative_integers(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    for active_users in BAD_COUNTS:
        response = await admin.put(
            url + "/user-count", json={"active_users": active_users, "as_of": "2026-01-15T09:00Z"}
        )
        assert response.status_code == 422, (active_users, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert (await admin.get(url + "/user-counts")).json()["total"] == 0

    for active_users in (0, 10_000_000):  # the bounds are inclusive
        response = await admin.put(
            url + "/user-count", json={"active_users": active_users, "as_of": "2026-01-15T09:00Z"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["active_users"] == active_users


async def test_hostile_bodies_are_422(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    for body in (
        {"active_users": 5, "extra": 1},
        {"as_of": "2026-01-15T09:00Z"},
        [{"active_users": 5}],
        "5",
        5,
        None,
    ):
        response = await admin.put(url + "/user-count", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await admin.get(url + "/user-counts")).json()["total"] == 0


async def test_unknown_client_is_404(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    await admin.delete(url)
    put = await admin.put(url + "/user-count", json={"active_users": 5})
    assert put.status_code == 404
    assert put.json()["error"]["code"] == "client_not_found"
    history = await admin.get(url + "/user-counts")
    assert history.status_code == 404
    assert history.json()["error"]["code"] == "client_not_found"


async def test_history_is_newest_first_and_paged(admin: httpx.AsyncClient) -> None:
    url = await client_url(admin)
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    for day in range(7):
        as_of = iso(start + timedelta(days=day))
        response = await admin.put(url + "/user-count", json={"active_users": day, "as_of": as_of})
        assert response.status_code == 200

    page = (await admin.get(url + "/user-counts", params={"limit": 3, "offset": 2})).json()
    assert page["total"] == 7
    assert [i["active_users"] for i in page["items"]] == [4, 3, 2]
    assert page["items"][0]["as_of"] == "2026-01-05T09:00:00Z"

    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}):
        assert (await admin.get(url + "/user-counts", params=params)).status_code == 422
