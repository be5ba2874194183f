wrk.method = "GET"
wrk.path = "/hello"
wrk.headers["x-exp"] = "1"