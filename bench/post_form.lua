-- wrk script: POST the same urlencoded survey form with the CSRF cookie (from the environment).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "zona_csrf=" .. os.getenv("BENCH_CSRF")
