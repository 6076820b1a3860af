from tests.factories import login, make_geography


def test_login_me_locate(client):
    make_geography()
    headers = login(client, "alice")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["verified"] is False
    hit = client.get("/api/v1/grids/locate?lat=31.305&lng=120.615", headers=headers)
    assert hit.status_code == 200, hit.json
    assert hit.json["grid"]["code"] == "320506-001-001-02"
