-- wrk script: every request is the same signed POST with a JSON body (BENCH_BODY), so each one is a state change
-- (CreateHostedCheckout opens a new session each time). Date and Authorization come as -H headers.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
