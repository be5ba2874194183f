wrk.method = "GET"
wrk.path = "/users/42"
wrk.headers["origin"] = "http://localhost:5173"
