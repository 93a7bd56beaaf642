"""A web page for writing: type a text, choose its legibility and style (your own hand
too), watch it drawn, download it; or let the unconditional model write freely.

    python app.py                      # then open http://127.0.0.1:8000

serves the page (static/: plain HTML, CSS and JavaScript, nothing fetched from
elsewhere), the JSON API it uses (POST /api/write, POST /api/sample, POST /api/read,
GET /api/health, GET /api/style) and the API's docs at /docs, which work offline too. Concurrent
requests are gathered into batched model calls. The app itself is webapp/ (its
__init__ says which module does what); this file reads the flags, builds it and runs it.
"""

import logging

from config import CONFIG_NAME, FREE_MODEL_DIR, RECOGNIZER_DIR, SYNTHESIS_DIR, holds_model
from flags import ArgumentParser, add_flags, between, given
from quiet import add_verbose_flag, quiet_tensorflow
from webapp.schema import Limits


def build_parser():
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=between(1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--model_dir", default=FREE_MODEL_DIR,
                   help=f"the free-writing model (default {FREE_MODEL_DIR})")
    p.add_argument("--synthesis_dir", default=SYNTHESIS_DIR,
                   help=f"the model that writes a text (default {SYNTHESIS_DIR}); without it "
                        f"the page writes freely only")
    p.add_argument("--recognizer_dir", default=RECOGNIZER_DIR,
                   help=f"the recogniser that reads a line written on the page's pad (default "
                        f"{RECOGNIZER_DIR}); without it the page asks what was written")
    p.add_argument("--data_dir", help="IAM-OnDB (with its ascii texts), to offer a random line "
                                      "as a style on this machine")
    p.add_argument("--no_warmup", action="store_true",
                   help="do not compile the page's first requests at start")
    add_flags(p.add_argument_group("limits"), Limits)
    add_verbose_flag(p)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        limits = Limits(**given(args, Limits))
    except ValueError as err:
        parser.error(str(err))
    if not holds_model(args.model_dir):
        parser.error(f"--model_dir {args.model_dir} holds no model ({CONFIG_NAME}): run from "
                     f"the project folder, whose {FREE_MODEL_DIR}/ holds the shipped one")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    quiet_tensorflow(args.verbose)
    import uvicorn

    from webapp.service import create_app

    try:
        app = create_app(args.model_dir, args.synthesis_dir, args.recognizer_dir,
                         data_dir=args.data_dir, limits=limits, warmup=not args.no_warmup)
    except (OSError, ValueError) as err:
        parser.error(f"cannot load the models: {err}")
    models = app.state.models
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"write-rnn: free writing with {args.model_dir}; "
          + ("writing text with " + args.synthesis_dir if models.synthesis is not None
             else models.why_not), flush=True)
    print(f"open http://{host}:{args.port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
