"""The participant's journey: link -> language -> screening -> consent -> form -> review -> submit.

Pages under ``/s/<study>``; researchers' recruitment channels under ``/studies/<study>/channels``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "participate",
    __name__,
    url_prefix="/s",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
channels_bp = Blueprint("channels", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    from webapp.participate import channels, intake_routes, personal, routes  # noqa: F401  (registers the views)

    app.register_blueprint(bp)
    from webapp.forms.rows import rule_scripts

    app.add_template_global(rule_scripts)  # for the imported _fields.html macros (no context there)
    from webapp.assets import register_file_route

    register_file_route(app, "participate.rules_js", routes.RULES_JS)
    register_file_route(app, "participate.rules_more_js", routes.RULES_MORE_JS)
    register_file_route(app, "participate.rules_lite_js", routes.RULES_LITE_JS)
    app.jinja_env.globals["rule_script_endpoints"] = routes.SCRIPTS
    app.register_blueprint(channels_bp)
