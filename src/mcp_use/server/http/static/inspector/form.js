// Build an HTML form from a JSON Schema and read a JSON value back from it.
// Handles strings, numbers, integers, booleans, enums, arrays, nested objects,
// `X | None` (anyOf with null), local $refs; anything else is edited as JSON.

let uid = 0;

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function resolve(schema, root, depth = 0) {
  if (!schema || typeof schema !== "object") return {};
  if (typeof schema.$ref === "string" && schema.$ref.startsWith("#/") && depth < 20) {
    let target = root;
    for (const part of schema.$ref.slice(2).split("/")) target = target?.[part];
    const { $ref, ...rest } = schema;
    return resolve({ ...(target || {}), ...rest }, root, depth + 1);
  }
  for (const key of ["anyOf", "oneOf"]) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const rest = options.filter((o) => !(o && o.type === "null"));
      if (rest.length === 1 && rest.length < options.length) {
        const { [key]: _drop, ...others } = schema;
        return { ...resolve(rest[0], root, depth + 1), ...others, nullable: true };
      }
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    const { allOf, ...others } = schema;
    return { ...resolve(allOf[0], root, depth + 1), ...others };
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== "null");
    if (types.length === 1) return { ...schema, type: types[0], nullable: true };
  }
  return schema;
}

function kindOf(schema) {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.type) return Array.isArray(schema.type) ? "json" : schema.type;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  return "json";
}

function typeHint(schema) {
  const kind = kindOf(schema);
  if (kind === "array") return `array of ${kindOf(resolve(schema.items || {}, {})) || "any"}`;
  if (kind === "enum") return "enum";
  return kind;
}

/**
 * A field for `schema`. Returns {el, get()}: get() returns the value, or undefined when
 * left empty; it throws an Error naming the field when the input is not valid.
 */
export function buildField(rawSchema, { name = "", path = "", required = false, root = {}, value } = {}) {
  const schema = resolve(rawSchema, root);
  const kind = kindOf(schema);
  const id = `f${++uid}`;
  const initial = value !== undefined ? value : schema.default;
  const label = name
    ? h(
        "label",
        { for: id, class: "field-label" },
        h("span", { class: "field-name", text: schema.title && schema.title.toLowerCase() !== name.replace(/_/g, " ").toLowerCase() ? `${name} (${schema.title})` : name }),
        required ? h("span", { class: "req", title: "required", text: "*" }) : null,
        h("span", { class: "field-type", text: typeHint(schema) }),
      )
    : null;
  const help = schema.description ? h("div", { class: "field-help", text: schema.description }) : null;
  const wrap = (control, extra = "") => h("div", { class: `field field-${kind} ${extra}`.trim(), "data-path": path }, label, control, help);

  if (kind === "enum") {
    const select = h("select", { id, name: path });
    if (!required || initial === undefined) select.append(h("option", { value: "", text: required ? "— choose —" : "— none —" }));
    schema.enum.forEach((option, i) => {
      select.append(h("option", { value: String(i), text: typeof option === "string" ? option : JSON.stringify(option) }));
    });
    const index = schema.enum.findIndex((o) => JSON.stringify(o) === JSON.stringify(initial));
    if (index >= 0) select.value = String(index);
    return {
      el: wrap(select),
      get() {
        if (select.value === "") {
          if (required) throw new Error(`${path || "value"}: choose a value`);
          return undefined;
        }
        return schema.enum[Number(select.value)];
      },
    };
  }

  if (kind === "boolean") {
    if (required || initial !== undefined) {
      const box = h("input", { id, name: path, type: "checkbox", checked: Boolean(initial) });
      return { el: wrap(h("div", { class: "check" }, box)), get: () => box.checked };
    }
    const select = h(
      "select",
      { id, name: path },
      h("option", { value: "", text: "— unset —" }),
      h("option", { value: "true", text: "true" }),
      h("option", { value: "false", text: "false" }),
    );
    return { el: wrap(select), get: () => (select.value === "" ? undefined : select.value === "true") };
  }

  if (kind === "number" || kind === "integer") {
    const input = h("input", {
      id,
      name: path,
      type: "number",
      step: kind === "integer" ? "1" : "any",
      inputmode: kind === "integer" ? "numeric" : "decimal",
      placeholder: schema.nullable || !required ? "" : kind,
    });
    if (schema.minimum !== undefined) input.min = schema.minimum;
    if (schema.maximum !== undefined) input.max = schema.maximum;
    if (typeof initial === "number") input.value = String(initial);
    return {
      el: wrap(input),
      get() {
        const text = input.value.trim();
        if (text === "") {
          if (required) throw new Error(`${path}: a ${kind} is required`);
          return undefined;
        }
        const number = Number(text);
        if (Number.isNaN(number) || (kind === "integer" && !Number.isInteger(number))) {
          throw new Error(`${path}: not a valid ${kind}`);
        }
        return number;
      },
    };
  }

  if (kind === "string") {
    const long = (schema.maxLength || 0) > 200 || /text|body|content|code|query|prompt/i.test(name);
    const types = { date: "date", "date-time": "datetime-local", email: "email", uri: "url", time: "time" };
    const control = long
      ? h("textarea", { id, name: path, rows: 3 })
      : h("input", { id, name: path, type: types[schema.format] || "text" });
    if (typeof initial === "string") control.value = initial;
    if (schema.examples?.length) control.placeholder = String(schema.examples[0]);
    return {
      el: wrap(control),
      get() {
        const text = control.value;
        if (text === "") {
          if (required) throw new Error(`${path}: required`);
          return undefined;
        }
        return text;
      },
    };
  }

  if (kind === "array") {
    const itemSchema = schema.items || {};
    const items = [];
    const box = h("div", { class: "array-items" });
    const add = (itemValue) => {
      const field = buildField(itemSchema, { path: `${path}[${items.length}]`, required: true, root, value: itemValue });
      const row = h("div", { class: "array-item" }, field.el);
      const entry = { field, row };
      row.append(
        h("button", {
          type: "button",
          class: "icon remove",
          title: "Remove item",
          text: "×",
          onclick: () => {
            items.splice(items.indexOf(entry), 1);
            row.remove();
          },
        }),
      );
      items.push(entry);
      box.append(row);
    };
    if (Array.isArray(initial)) initial.forEach(add);
    const addButton = h("button", { type: "button", class: "small add", text: "+ Add item", onclick: () => add(undefined) });
    return {
      el: wrap(h("div", { id, class: "array" }, box, addButton)),
      get() {
        const values = items.map((item) => item.field.get()).filter((v) => v !== undefined);
        if (values.length === 0 && !required && !Array.isArray(initial)) return undefined;
        return values;
      },
    };
  }

  if (kind === "object" && schema.properties && Object.keys(schema.properties).length) {
    const needed = new Set(schema.required || []);
    const fields = Object.entries(schema.properties).map(([key, sub]) => [
      key,
      buildField(sub, {
        name: key,
        path: path ? `${path}.${key}` : key,
        required: needed.has(key),
        root,
        value: initial && typeof initial === "object" ? initial[key] : undefined,
      }),
    ]);
    const body = h("div", { class: "object-fields" }, fields.map(([, f]) => f.el));
    // An optional object is left out unless its box is ticked.
    const optional = Boolean(name) && !required;
    const toggle = optional
      ? h("input", {
          type: "checkbox",
          class: "include",
          name: `${path}.__include`,
          title: `Include ${name}`,
          checked: initial !== undefined && initial !== null,
          onchange: () => (body.hidden = !toggle.checked),
        })
      : null;
    if (toggle) body.hidden = !toggle.checked;
    const legend = h("legend", {}, h("span", { class: "legend-row" }, toggle, label));
    const el = name ? h("fieldset", { class: "field field-object", "data-path": path }, legend, help, body) : body;
    return {
      el,
      get() {
        if (toggle && !toggle.checked) return undefined;
        const out = {};
        for (const [key, field] of fields) {
          const v = field.get();
          if (v !== undefined) out[key] = v;
        }
        return out;
      },
    };
  }

  // Free-form: JSON text.
  const area = h("textarea", { id, name: path, rows: 3, class: "json", placeholder: "JSON value" });
  if (initial !== undefined) area.value = JSON.stringify(initial, null, 2);
  return {
    el: wrap(area),
    get() {
      const text = area.value.trim();
      if (text === "") {
        if (required) throw new Error(`${path}: required`);
        return undefined;
      }
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`${path}: invalid JSON (${err.message})`);
      }
    },
  };
}

/** A form for an object schema (a tool's inputSchema). */
export function buildForm(schema) {
  const root = schema || {};
  const resolved = resolve(root, root);
  if (!resolved.properties || Object.keys(resolved.properties).length === 0) {
    return { el: h("p", { class: "muted", text: "No arguments." }), get: () => ({}) };
  }
  return buildField({ ...resolved, type: "object" }, { root, required: true });
}
