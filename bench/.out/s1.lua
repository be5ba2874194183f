wrk.method = "GET"
wrk.path = "/hello"
