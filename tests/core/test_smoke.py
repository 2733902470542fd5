def test_healthz_reports_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_register_then_see_first_team(client):
    response = client.post("/register", {"school_name": "Het Baken", "name": "Piet",
                                         "email": "piet@baken.nl", "password": "lang-genoeg-ww"})
    assert response.status_code == 303
    page = client.get("/teams").get_data(as_text=True)
    assert "Het Baken" in page and "Mijn team" in page
