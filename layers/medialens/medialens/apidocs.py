"""GET /docs: the OpenAPI document (generated from schemas.py) as one self-contained HTML page.

Inline CSS, no scripts, no external assets: it works offline and needs only the standard
library. Every value taken from the document is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .tenancy import KEY_HEADER, OPEN_PATHS

# (path prefix, group title), first match wins; the index and the body follow this order.
GROUPS = [("/v1/images", "Images"), ("/v1/videos", "Videos"), ("/v1/uploads", "Videos"),
          ("/v1/allowlist", "Allowlist"), ("/v1/jobs", "Jobs"), ("/batch/", "Batch moderation"), ("", "Service")]
METHODS = ("get", "post", "put", "patch", "delete")
CONSTRAINTS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
               "minItems", "maxItems", "pattern", "format")

CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:1.5em 2em}header p{margin:.3em 0;color:#cfd5e0}
main{max-width:70em;margin:0 auto;padding:1em 2em 4em}
h2{border-bottom:2px solid #d7dbe2;padding-bottom:.2em;margin-top:2em}
section.op{background:#fff;border:1px solid #d7dbe2;border-radius:6px;padding:.8em 1.2em;margin:1em 0}
h3{margin:.2em 0;font-size:1.1em}h4{margin:1em 0 .3em;font-size:.95em;color:#4a5366}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f1f3f6;border:1px solid #e0e3e8;padding:.6em;overflow:auto;max-height:30em}
table{border-collapse:collapse;width:100%;margin:.3em 0;font-size:14px}
th,td{border:1px solid #e0e3e8;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f1f3f6}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-weight:600;
font-size:.85em;padding:.1em .4em;margin-right:.5em}
.get{background:#2f7ed8}.post{background:#2b9a5b}.put,.patch{background:#c47f17}.delete{background:#c8373b}
.auth{font-size:.85em;color:#8a5a00}.open{font-size:.85em;color:#2b7a4b}.muted{color:#6b7385}
nav ul{list-style:none;padding-left:0}nav li{margin:.15em 0}a{color:#1f5fae;text-decoration:none}
"""


def render(openapi: dict[str, Any]) -> str:
    """The whole page for one OpenAPI 3.x document."""
    info = openapi.get("info", {})
    schemas = openapi.get("components", {}).get("schemas", {})
    groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {title: [] for _, title in GROUPS}
    for path, item in sorted(openapi.get("paths", {}).items()):
        for method in METHODS:
            if method in item:
                groups[_group(path)].append((method, path, item[method]))
    groups = {title: ops for title, ops in groups.items() if ops}

    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
             f"<title>{escape(str(info.get('title', 'API')))} API reference</title><style>{CSS}</style></head><body>",
             f"<header><h1>{escape(str(info.get('title', 'API')))} "
             f"<small class='muted'>{escape(str(info.get('version', '')))}</small></h1>",
             f"<p>{escape(str(info.get('description', '')))}</p>",
             f"<p>{_auth_summary()} Machine-readable: <a style='color:#9cc3ff' href='/openapi.json'>"
             f"/openapi.json</a>.</p></header><main><nav><h2>Endpoints</h2>"]
    for title, ops in groups.items():
        parts.append(f"<h4>{escape(title)}</h4><ul>")
        parts += [f"<li><a href='#{_anchor(m, p)}'><span class='m {m}'>{m.upper()}</span><code>{escape(p)}</code>"
                  f"</a> <span class='muted'>{escape(str(op.get('summary', '')))}</span></li>" for m, p, op in ops]
        parts.append("</ul>")
    parts.append("</nav>")
    for title, ops in groups.items():
        parts.append(f"<h2>{escape(title)}</h2>")
        parts += [_operation(m, p, op, openapi, schemas) for m, p, op in ops]
    parts.append("<h2 id='schemas'>Schemas</h2>")
    parts += [_schema_section(name, schema, schemas) for name, schema in sorted(schemas.items())]
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _group(path: str) -> str:
    return next(title for prefix, title in GROUPS if path.startswith(prefix))


def _anchor(method: str, path: str) -> str:
    return escape(f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""), quote=True)


def _auth_summary() -> str:
    open_paths = ", ".join(sorted(OPEN_PATHS))
    return (f"Every endpoint needs the header <code>{escape(KEY_HEADER)}: &lt;your key&gt;</code> except "
            f"{escape(open_paths)}; without a valid key the answer is <code>401</code> with "
            f"<code>{{&quot;error&quot;: {{&quot;code&quot;: &quot;unauthorized&quot;}}}}</code>.")


def _needs_key(path: str, op: dict[str, Any], openapi: dict[str, Any]) -> bool:
    """The document's own security declaration if it has one, else the service's rule."""
    security = op.get("security", openapi.get("security"))
    if security is not None:
        return bool(security) and all(bool(requirement) for requirement in security)
    return path not in OPEN_PATHS


def _operation(method: str, path: str, op: dict[str, Any], openapi: dict[str, Any], schemas: dict) -> str:
    auth = (f"<span class='auth'>needs {escape(KEY_HEADER)}</span>" if _needs_key(path, op, openapi)
            else "<span class='open'>no API key needed</span>")
    out = [f"<section class='op' id='{_anchor(method, path)}'>",
           f"<h3><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code> {auth}</h3>"]
    if op.get("summary"):
        out.append(f"<p><strong>{escape(str(op['summary']))}</strong></p>")
    if op.get("description"):
        out.append(f"<p>{escape(str(op['description']))}</p>")
    params = op.get("parameters", [])
    if params:
        out.append("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>type</th>"
                   "<th>description</th></tr>")
        for p in params:
            schema = p.get("schema", {})
            out.append(f"<tr><td><code>{escape(str(p.get('name', '')))}</code></td><td>{escape(str(p.get('in', '')))}"
                       f"</td><td>{'yes' if p.get('required') else 'no'}</td><td>{_type(schema)}</td>"
                       f"<td>{escape(str(p.get('description') or schema.get('description', '')))}"
                       f"{_constraints(schema)}</td></tr>")
        out.append("</table>")
    body = op.get("requestBody")
    if body:
        out.append(f"<h4>Request body{' (required)' if body.get('required') else ''}</h4>")
        if body.get("description"):
            out.append(f"<p>{escape(str(body['description']))}</p>")
        out += [_content(ctype, media, schemas, tables=True) for ctype, media in body.get("content", {}).items()]
    out.append("<h4>Responses</h4>")
    for status, response in sorted(op.get("responses", {}).items(), key=lambda kv: str(kv[0])):
        out.append(f"<p><strong>{escape(str(status))}</strong> {escape(str(response.get('description', '')))}</p>")
        out += [_content(ctype, media, schemas, tables=False) for ctype, media in response.get("content", {}).items()]
    out.append("</section>")
    return "\n".join(out)


def _content(ctype: str, media: dict[str, Any], schemas: dict, tables: bool) -> str:
    """One media type: its schema (a field table for request bodies, a link otherwise) and examples."""
    schema = media.get("schema", {})
    out = [f"<p><code>{escape(ctype)}</code>{' — ' + _type(schema) if schema else ''}</p>"]
    resolved = _resolve(schema, schemas)
    if tables and resolved.get("properties"):
        out.append(_fields(resolved))
    examples = ([media["example"]] if "example" in media else
                [e.get("value") for e in media.get("examples", {}).values()] or resolved.get("examples", []))
    for i, example in enumerate(examples, 1):
        label = f"Example {i}" if len(examples) > 1 else "Example"
        out.append(f"<p class='muted'>{label}</p><pre>{escape(json.dumps(example, indent=2, ensure_ascii=False))}"
                   f"</pre>")
    return "\n".join(out)


def _schema_section(name: str, schema: dict[str, Any], schemas: dict) -> str:
    out = [f"<section class='op' id='schema-{escape(name, quote=True)}'><h3><code>{escape(name)}</code></h3>"]
    if schema.get("description"):
        out.append(f"<p>{escape(str(schema['description']))}</p>")
    out.append(_fields(schema) if schema.get("properties") else f"<p>{_type(schema)}</p>")
    out.append("</section>")
    return "\n".join(out)


def _fields(schema: dict[str, Any]) -> str:
    """A table of an object schema's fields."""
    required = set(schema.get("required", []))
    rows = ["<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>"]
    for name, prop in schema.get("properties", {}).items():
        default = f" <span class='muted'>default: <code>{escape(json.dumps(prop['default']))}</code></span>" \
            if "default" in prop else ""
        rows.append(f"<tr><td><code>{escape(name)}</code></td><td>{_type(prop)}</td>"
                    f"<td>{'yes' if name in required else 'no'}</td><td>{escape(str(prop.get('description', '')))}"
                    f"{_constraints(prop)}{default}</td></tr>")
    if schema.get("additionalProperties") is False:
        rows.append("<tr><td colspan='4' class='muted'>No other fields are accepted.</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _resolve(schema: dict[str, Any], schemas: dict) -> dict[str, Any]:
    """The component a $ref (or an optional one: anyOf [$ref, null]) points to; else the schema."""
    refs = [s for s in schema.get("anyOf", []) if "$ref" in s]
    if len(refs) == 1 and all("$ref" in s or s.get("type") == "null" for s in schema["anyOf"]):
        schema = refs[0]
    ref = schema.get("$ref", "")
    return schemas.get(ref.rsplit("/", 1)[-1], {}) if ref.startswith("#/components/schemas/") else schema


def _type(schema: dict[str, Any]) -> str:
    """A short readable type; component names link to their table in the Schemas section."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"<a href='#schema-{escape(name, quote=True)}'><code>{escape(name)}</code></a>"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return (" &amp; " if key == "allOf" else " | ").join(_type(s) for s in schema[key])
    if "const" in schema:
        return f"<code>{escape(json.dumps(schema['const']))}</code>"
    if "enum" in schema:
        return " | ".join(f"<code>{escape(json.dumps(v))}</code>" for v in schema["enum"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(escape(str(k)) for k in kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type(schema['additionalProperties'])}"
    return escape(str(kind))


def _constraints(schema: dict[str, Any]) -> str:
    found = [f"{key} {json.dumps(schema[key])}" for key in CONSTRAINTS if key in schema]
    return f" <span class='muted'>({escape(', '.join(found))})</span>" if found else ""
