"""Pages people use on this machine, served by FastAPI on 127.0.0.1: the review page
(`web.review`, `foto review`), where analysts decide the pairs the model cannot.

Above every stage (it reads the published warehouse and stores judgements through
`judgements`), below `foto`, which starts the server. Plain Python: no Dagster here, so a page
never waits for a run, and a run never for a page.

`web.app` keeps strangers out (a per-start token, a cookie, a CSRF header, local hosts only);
`web.pair_view` reads an item's data, `web.effect` says what a decision changes,
`web.waterfall` draws Splink's waterfall chart offline, `web.worker` runs what follows a
judgement, one at a time."""
