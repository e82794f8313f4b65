// The API's documentation, read from /openapi.json and laid out as text: every operation with
// its token, parameters, request body and answers, then every schema. It needs nothing but this
// server; every value from the document is set as text, never as markup.
"use strict";

const METHODS = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];
const MAX_DEPTH = 4;  // nested objects shown inline; deeper ones by name (a link)
const $ = (id) => document.getElementById(id);

// An element with `props` (text, className or attributes) and children (nodes or strings).
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== "") node.append(child);
  }
  return node;
}

// Text with `code` and ``code`` spans, in paragraphs split at blank lines.
function prose(text, className) {
  const box = el("div", { className: className || "prose" });
  for (const para of String(text || "").split(/\n\s*\n/)) {
    const line = para.replace(/\s*\n\s*/g, " ").trim();
    if (!line) continue;
    const p = el("p");
    for (const part of line.split(/(``[^`]+``|`[^`]+`)/)) {
      if (part.startsWith("`")) p.append(el("code", { text: part.replace(/^`+|`+$/g, "") }));
      else if (part) p.append(part);
    }
    box.append(p);
  }
  return box;
}

const anchor = (prefix, text) => `${prefix}-${text.replace(/[^A-Za-z0-9_-]+/g, "-")}`;

// The schema a `$ref` points at in `doc` (a JSON pointer inside the document).
function lookUp(doc, ref) {
  if (!ref.startsWith("#/")) return undefined;
  return ref.slice(2).split("/").reduce((node, key) => {
    const name = key.replace(/~1/g, "/").replace(/~0/g, "~");
    return node && typeof node === "object" ? node[name] : undefined;
  }, doc);
}

const refName = (ref) => ref.split("/").pop();

// The type of `schema` as a phrase, with links to named schemas.
function typeOf(schema) {
  const out = el("span", { className: "type" });
  if (!schema || typeof schema !== "object") {
    out.append("any");
  } else if (schema.$ref) {
    const name = refName(schema.$ref);
    out.append(el("a", { href: `#${anchor("schema", name)}`, text: name }));
  } else if (schema.anyOf || schema.oneOf) {
    (schema.anyOf || schema.oneOf).forEach((part, i) => {
      if (i > 0) out.append(" or ");
      out.append(typeOf(part));
    });
  } else if (schema.allOf) {
    schema.allOf.forEach((part, i) => {
      if (i > 0) out.append(" and ");
      out.append(typeOf(part));
    });
  } else if ("const" in schema) {
    out.append(JSON.stringify(schema.const));
  } else if (Array.isArray(schema.enum)) {
    out.append(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  } else if (schema.type === "array") {
    out.append("array of ", typeOf(schema.items));
  } else if (schema.type === "object" && schema.additionalProperties
             && typeof schema.additionalProperties === "object" && !schema.properties) {
    out.append("object of ", typeOf(schema.additionalProperties));
  } else if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type;
    out.append(schema.format ? `${types} (${schema.format})` : types);
  } else {
    out.append("any");
  }
  return out;
}

// The limits a value must keep, in words ("1 to 64 characters", "≥ 1", "default 1").
function limits(schema) {
  if (!schema || typeof schema !== "object") return [];
  const said = [];
  const range = (low, high, unit) => {
    const units = (n) => (n === 1 ? unit : `${unit}s`);
    if (low !== undefined && high !== undefined) said.push(`${low} to ${high} ${units(high)}`);
    else if (low !== undefined) said.push(`at least ${low} ${units(low)}`);
    else if (high !== undefined) said.push(`at most ${high} ${units(high)}`);
  };
  range(schema.minLength, schema.maxLength, "character");
  range(schema.minItems, schema.maxItems, "item");
  if (schema.minimum !== undefined) said.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) said.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) said.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) said.push(`< ${schema.exclusiveMaximum}`);
  if (schema.pattern !== undefined) said.push(`matches ${schema.pattern}`);
  if (schema.default !== undefined) said.push(`default ${JSON.stringify(schema.default)}`);
  for (const part of schema.anyOf || schema.oneOf || []) said.push(...limits(part));
  return said;
}

// The object schema behind `schema` (through a $ref, an array's items or an optional), if any.
function objectOf(doc, schema, seen) {
  if (!schema || typeof schema !== "object") return null;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (seen.has(name)) return null;  // a cycle: the link is enough
    return objectOf(doc, lookUp(doc, schema.$ref), new Set([...seen, name]));
  }
  if (schema.type === "array") return objectOf(doc, schema.items, seen);
  for (const part of schema.anyOf || schema.oneOf || []) {
    const found = objectOf(doc, part, seen);
    if (found) return found;
  }
  return schema.properties ? { schema, seen } : null;
}

// The fields of an object schema, nested objects inside their field, `depth` levels deep.
function fields(doc, schema, depth, seen) {
  const list = el("ul", { className: "fields" });
  const required = new Set(schema.required || []);
  for (const [name, field] of Object.entries(schema.properties || {})) {
    const item = el("li", {},
      el("code", { className: "name", text: name }), " ", typeOf(field),
      required.has(name) ? el("span", { className: "required", text: "required" }) : null);
    const said = limits(field);
    if (field.description || field.title || said.length) {
      item.append(el("span", { className: "what" },
        [field.description || "", said.join(", ")].filter(Boolean).join("; ")));
    }
    const inner = depth < MAX_DEPTH ? objectOf(doc, field, seen) : null;
    if (inner) item.append(fields(doc, inner.schema, depth + 1, inner.seen));
    list.append(item);
  }
  return list;
}

// A schema as a block: its type, and its fields when it is (or holds) an object.
function schemaBlock(doc, schema) {
  const box = el("div", { className: "schema" }, el("p", {}, typeOf(schema)));
  const inner = objectOf(doc, schema, new Set());
  if (inner) box.append(fields(doc, inner.schema, 1, inner.seen));
  return box;
}

function securityOf(doc, operation) {
  const required = operation.security || doc.security || [];
  const schemes = (doc.components && doc.components.securitySchemes) || {};
  const names = required.flatMap((choice) => Object.keys(choice));
  if (!names.length) return el("p", { className: "token none", text: "No token needed." });
  const p = el("p", { className: "token" }, "Needs ");
  names.forEach((name, i) => {
    if (i > 0) p.append(" or ");
    const scheme = schemes[name] || {};
    const how = scheme.type === "http" && scheme.scheme === "bearer"
      ? "Authorization: Bearer <token>" : name;
    p.append(el("code", { text: how }), ` (${name})`);
  });
  p.append(".");
  return p;
}

function parameterTable(operation, shared) {
  const params = [...(shared || []), ...(operation.parameters || [])];
  if (!params.length) return null;
  const body = el("tbody");
  for (const param of params) {
    const said = [param.description || "", limits(param.schema).join(", ")].filter(Boolean);
    body.append(el("tr", {},
      el("th", { scope: "row" }, el("code", { text: param.name })),
      el("td", { text: param.in }),
      el("td", {}, typeOf(param.schema)),
      el("td", { text: param.required ? "yes" : "no" }),
      el("td", { text: said.join("; ") })));
  }
  return el("table", { className: "params" },
    el("caption", { text: "Parameters" }),
    el("thead", {}, el("tr", {}, ...["Name", "In", "Type", "Required", "Description"]
      .map((h) => el("th", { scope: "col", text: h })))),
    body);
}

function bodyBlock(doc, operation) {
  const request = operation.requestBody;
  if (!request) return null;
  const content = request.content || {};
  const type = Object.keys(content)[0];
  const box = el("div", { className: "body" },
    el("h4", { text: `Request body (${type || "any"})${request.required ? ", required" : ""}` }));
  if (request.description) box.append(prose(request.description));
  if (type && content[type].schema) box.append(schemaBlock(doc, content[type].schema));
  return box;
}

function responseTable(doc, operation) {
  const body = el("tbody");
  for (const [status, answer] of Object.entries(operation.responses || {})) {
    const content = answer.content || {};
    const type = Object.keys(content)[0];
    const what = el("td", {}, answer.description || "");
    for (const [name, header] of Object.entries(answer.headers || {})) {
      what.append(el("br"), "Header ", el("code", { text: name }),
        header.description ? `: ${header.description}` : "");
    }
    const shape = type ? el("td", {}, `${type}: `,
      content[type].schema ? typeOf(content[type].schema) : "any") : el("td", { text: "–" });
    body.append(el("tr", {}, el("th", { scope: "row", text: status }), what, shape));
  }
  return el("table", { className: "answers" },
    el("caption", { text: "Answers" }),
    el("thead", {}, el("tr", {}, ...["Status", "Meaning", "Body"]
      .map((h) => el("th", { scope: "col", text: h })))),
    body);
}

function operationSection(doc, path, method, operation, shared) {
  const id = anchor("op", `${method}-${path}`);
  const title = el("h3", {},
    el("span", { className: `method ${method}`, text: method.toUpperCase() }), " ",
    el("code", { className: "path", text: path }));
  const section = el("section", { className: "card operation", id, "aria-label":
    `${method.toUpperCase()} ${path}` }, title);
  if (operation.summary) section.append(el("p", { className: "summary", text: operation.summary }));
  if (operation.description) section.append(prose(operation.description));
  section.append(securityOf(doc, operation));
  const params = parameterTable(operation, shared);
  if (params) section.append(params);
  const body = bodyBlock(doc, operation);
  if (body) section.append(body);
  section.append(responseTable(doc, operation));
  return { id, section };
}

function render(doc) {
  const info = doc.info || {};
  document.title = `${info.title || "API"} · docs`;
  $("title").textContent = info.title || "API";
  $("version").textContent = info.version ? `version ${info.version}` : "";
  $("description").replaceChildren(prose(info.description || ""));
  const schemes = (doc.components && doc.components.securitySchemes) || {};
  for (const [name, scheme] of Object.entries(schemes)) {
    $("schemes").append(el("dt", {}, el("code", { text: name })),
      el("dd", {}, prose(scheme.description || `${scheme.type} ${scheme.scheme || ""}`)));
  }
  $("auth").hidden = Object.keys(schemes).length === 0;
  let count = 0;
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const { id, section } = operationSection(doc, path, method, operation, item.parameters);
      $("operations").append(section);
      $("contents").append(el("li", {},
        el("a", { href: `#${id}` }, el("span", { className: `method ${method}`,
          text: method.toUpperCase() }), " ", el("code", { text: path })),
        operation.summary ? ` ${operation.summary}` : ""));
      count += 1;
    }
  }
  const schemas = (doc.components && doc.components.schemas) || {};
  for (const name of Object.keys(schemas).sort()) {
    const schema = schemas[name];
    const section = el("section", { className: "named-schema", id: anchor("schema", name) },
      el("h3", {}, el("code", { text: name })));
    if (schema.description) section.append(prose(schema.description));
    section.append(schemaBlock(doc, schema));
    $("schemas").append(section);
  }
  $("status").textContent = `${count} operations, ${Object.keys(schemas).length} schemas.`;
  if (location.hash) {
    const target = document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  }
}

async function load() {
  try {
    const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    render(await response.json());
  } catch (err) {
    $("status").textContent = "";
    $("error").textContent = `Cannot read /openapi.json: ${err.message}`;
  }
}

load();
