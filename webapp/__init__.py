"""The web page's server (app.py runs it): the page in ../static (plain HTML, CSS and
JavaScript, nothing fetched from elsewhere), the JSON API it uses and the API's docs.

    schema.py      what a request may hold, its checks, what the app answers; Limits
    batcher.py     concurrent requests' rows gathered into batched model calls
    service.py     the models, the routes, the page plan carried out; create_app
    middleware.py  the body limit, the error answers, who is asking
    harness.py     app.py in a subprocess, for tests, bench.py and docs/
"""
