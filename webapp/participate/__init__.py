"""The participant's journey: link -> language -> screening -> consent -> form -> review -> submit.

Pages under ``/s/<study>``; researchers' recruitment channels under ``/studies/<study>/channels``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, has_request_context, request

bp = Blueprint(
    "participate",
    __name__,
    url_prefix="/s",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
channels_bp = Blueprint("channels", __name__, template_folder="templates")


def relative(url: str) -> str:
    """``url`` relative to the page being drawn when it is under the page's folder (``/s/x/review`` ->
    ``form/a`` for ``/s/x/form/a``): a few bytes less on pages with many links (the 15 kB page budget)."""
    here = request.path.rpartition("/")[0] + "/" if has_request_context() else ""
    return url[len(here):] if here and url.startswith(here) and len(url) > len(here) else url


def init_app(app: Flask) -> None:
    from webapp.participate import channels, intake_routes, personal, routes  # noqa: F401  (registers the views)

    app.register_blueprint(bp)
    from webapp.forms.rows import row_markup, rule_scripts

    app.add_template_global(rule_scripts)
    app.add_template_global(row_markup)
    app.add_template_filter(relative, "rel")  # for the imported _fields.html macros (no context there)
    from webapp.assets import register_file_route

    register_file_route(app, "participate.rules_js", routes.RULES_JS)
    register_file_route(app, "participate.rules_more_js", routes.RULES_MORE_JS)
    register_file_route(app, "participate.rules_lite_js", routes.RULES_LITE_JS)
    app.jinja_env.globals["rule_script_endpoints"] = routes.SCRIPTS
    app.register_blueprint(channels_bp)
