"""GraphiQL on GET /graphql: its scripts from a CDN under subresource integrity, and a clear
message on the page when they cannot load.

No maintained Python package ships a GraphiQL build (offapi, behind /docs and /redoc, ships
Swagger UI, ReDoc and Scalar only), and copying GraphiQL's npm build into this repository would
copy a project's code into ours. So the page loads the files that GraphiQL and React publish on
npm, through unpkg, each pinned to an exact version and locked by its sha384 digest: a changed or
tampered file is refused by the browser. Offline, or with the CDN blocked, the page names what
failed and points to what works without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from starlette.requests import Request

CDN = "https://unpkg.com"


@dataclass(frozen=True)
class Asset:
    """One published npm file: `package` as name@version, `path` inside that package."""

    package: str
    path: str
    integrity: str

    @property
    def url(self) -> str:
        return f"{CDN}/{self.package}/{self.path}"

    @property
    def is_stylesheet(self) -> bool:
        return self.path.endswith(".css")


# GraphiQL 4.1 is the last line with a build for a plain <script> tag (5.x is ES modules only),
# and it needs React 18, the last React with such a build. All of them are MIT licensed.
ASSETS = (
    Asset(
        "graphiql@4.1.2",
        "graphiql.min.css",
        "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr",
    ),
    Asset(
        "@graphiql/plugin-explorer@4.0.6",
        "dist/style.css",
        "sha384-XffIsImDMwexX8UM/Bg3tss0MZOeQmZcnHzk0avUrw9ff0IQ2g9j7QLA6m2lz5D0",
    ),
    Asset(
        "react@18.3.1",
        "umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    ),
    Asset(
        "react-dom@18.3.1",
        "umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    ),
    Asset(
        "graphiql@4.1.2",
        "graphiql.min.js",
        "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B",
    ),
    Asset(
        "@graphiql/plugin-explorer@4.0.6",
        "dist/index.umd.js",
        "sha384-gXYG2RCFRuAiKUaKTbKxOVlvr0U9z0D/V/l5jdvRSH46vQ+9cpkG2d3ByiggUYvD",
    ),
)

DEFAULT_QUERY = """\
# The referral service's GraphQL API. Run with Ctrl-Enter or the run button.
# Signed-in queries (me, createCode...) need the access token that `login` returns:
# open Headers below and write {"Authorization": "Bearer <accessToken>"}.
{
  __typename
}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral service - GraphiQL</title>
<style>
  body {{ margin: 0; height: 100vh; font-family: system-ui, sans-serif; }}
  #graphiql {{ height: 100vh; }}
  #graphiql-status {{ max-width: 44rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }}
  #graphiql-status code {{ background: #f3f3f3; padding: 0 .2em; }}
</style>
<script>
  // Resource errors do not bubble: catch them on the way down, whichever tag failed.
  window.graphiqlFailed = [];
  window.addEventListener("error", function (event) {{
    var source = event.target && (event.target.src || event.target.href);
    if (source) {{ window.graphiqlFailed.push(source); }}
  }}, true);
</script>
{stylesheets}
{scripts}
</head>
<body>
<div id="graphiql">
  <div id="graphiql-status" role="status">
    <p>Loading GraphiQL from {cdn}&hellip;</p>
    <div id="graphiql-failed" hidden>
      <h1>GraphiQL could not load</h1>
      <p>This page loads GraphiQL's scripts and styles from <code>{cdn}</code>, and this browser
      could not get them: it is offline, a proxy or firewall blocks the CDN, or a file failed its
      integrity check. What failed:</p>
      <ul id="graphiql-failed-list"></ul>
      <p>The API works all the same: send queries to <code>POST {endpoint}</code> with curl or
      any GraphQL client. The REST documentation, <a href="{root}/docs">Swagger UI</a> and
      <a href="{root}/redoc">ReDoc</a>, works offline.</p>
    </div>
  </div>
</div>
<script>
document.addEventListener("DOMContentLoaded", function () {{
  var missing = window.graphiqlFailed.slice();
  var loaded = window.React && window.ReactDOM && window.GraphiQL && window.GraphiQLPluginExplorer;
  if (!loaded && !missing.length) {{
    missing.push("a script loaded but did not run (see the browser console)");
  }}
  if (missing.length) {{
    document.querySelector("#graphiql-status > p").hidden = true;
    var list = document.getElementById("graphiql-failed-list");
    missing.forEach(function (item) {{
      var entry = document.createElement("li");
      entry.textContent = item;
      list.appendChild(entry);
    }});
    document.getElementById("graphiql-failed").hidden = false;
    return;
  }}

  // The query travels as ?q=, not ?query=: GET /graphql?query=... runs that query.
  var parameters = new URLSearchParams(window.location.search);
  function remember(name, value) {{
    if (value) {{ parameters.set(name, value); }} else {{ parameters.delete(name); }}
    history.replaceState(null, "", "?" + parameters.toString());
  }}

  var fetcher = GraphiQL.createFetcher({{ url: {endpoint_json} }});
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {{
    fetcher: fetcher,
    plugins: [explorer],
    defaultQuery: {default_query_json},
    query: parameters.get("q") || undefined,
    variables: parameters.get("variables") || undefined,
    onEditQuery: function (query) {{ remember("q", query); }},
    onEditVariables: function (variables) {{ remember("variables", variables); }},
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
  }}));
}});
</script>
</body>
</html>
"""


@cache
def graphiql_page(root_path: str = "") -> str:
    """The page, for a service mounted at `root_path` ("" at the top)."""
    endpoint = f"{root_path}/graphql"
    stylesheets = "\n".join(_tag(asset) for asset in ASSETS if asset.is_stylesheet)
    scripts = "\n".join(_tag(asset) for asset in ASSETS if not asset.is_stylesheet)
    return PAGE.format(
        stylesheets=stylesheets,
        scripts=scripts,
        cdn=CDN,
        root=escape(root_path),
        endpoint=escape(endpoint),
        endpoint_json=_script_literal(endpoint),
        default_query_json=_script_literal(DEFAULT_QUERY),
    )


def graphiql_response(request: Request) -> HTMLResponse:
    """GraphiQL for this request, wherever the service is mounted."""
    return HTMLResponse(graphiql_page(request.scope.get("root_path", "")))


def _tag(asset: Asset) -> str:
    # `defer` keeps the order and lets the loading message show while the files arrive.
    common = f'integrity="{asset.integrity}" crossorigin="anonymous" referrerpolicy="no-referrer"'
    if asset.is_stylesheet:
        return f'<link rel="stylesheet" href="{asset.url}" {common}>'
    return f'<script defer src="{asset.url}" {common}></script>'


def _script_literal(value: str) -> str:
    """A JavaScript string literal that cannot close the <script> element it sits in."""
    return json.dumps(value).replace("<", "\\u003c")
