// cardgen studio: the page's form edits a JSON copy of the YAML file; every edit asks the
// server to check it and picture the card (same checker, same renderer as the command line).
// Every input's name is its dotted YAML path; problems appear beside the field they name.
"use strict";

const state = {
  doc: {},            // the document as the page edits it (plain JSON)
  options: {},        // built-in designs, sizes, fonts, sheets
  variant: "",        // which variant the preview shows ("" = the main card)
  inFlight: false,
  pending: false,
  editedAt: null,     // performance.now() of the edit the next render answers
  dirty: false,
  renders: 0,
};
window.cardgenTimings = [];  // ms from an edit to its picture on screen (bench_studio.py)

const FACE_FIELDS = [
  ["language", "Language of this side (leave empty for the card's)", "language"],
  ["title", "Title", "text"], ["text", "Text", "textarea"], ["qr", "QR code opens", "qr"],
  ["helplines", "Helplines listed", "facehelplines"], ["write_in", "Write-in line", "text"],
  ["footer", "Footer", "text"], ["silent_call", "Print how to call 999 without speaking (UK)", "checkbox"],
];
const HELPLINE_FIELDS = [
  ["name", "Name", "text"], ["phone", "Phone number", "tel"], ["sms", "Text (SMS) number", "tel"],
  ["sms_body", "Text message it starts", "text"], ["whatsapp", "WhatsApp number", "tel"],
  ["email", "Email address", "email"], ["email_subject", "Email subject", "text"],
  ["chat", "Web chat address (https://)", "url"], ["hours", "Opening hours", "text", hoursHint],
  ["shows_on_bill", "Calls show on the phone bill", "checkbox-true"],
  ["contact_name", "Neutral name to save it under in contacts", "text"],
  ["verified_on", "Number checked on", "date"],
];
// The hours words come from the server (cardgen/templates/labels/hours.yaml), not a list here.
function hoursHint() {
  const words = (state.options.hours_words || []).map((word) => `{${word}}`);
  return words.length ? `Words in braces print in the language of each face: ${words.join(", ")}, as in "{free}, 9am–5pm".` : "";
}
const LINK_FIELDS = [["name", "Name", "text"], ["url", "Web address", "url"],
  ["track", "Add the batch code to this link", "checkbox"]];
const DEFAULTS = {
  "card.orientation": "portrait", "card.design": "discreet", "card.size": "phone-case",
  "card.font": "Atkinson Hyperlegible", "card.colours.ink": "#1d1d1b",
  "card.colours.paper": "#ffffff", "card.colours.accent": "#5b2c83", "print.sheet": "a4-10up",
  "print.duplex": "long-edge", "print.crop_marks": true, "print.pack": false, "region": "GB",
  "language": "en", "tracking.param": "b",
};

// --- the document ---------------------------------------------------------------------

function getPath(path) {
  let node = state.doc;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[key];
  }
  return node;
}

function setPath(path, value) {
  const empty = value === "" || value === null || value === undefined ||
    (Array.isArray(value) && value.length === 0 && path[path.length - 1] !== "helplines");
  let node = state.doc;
  const parents = [];
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object") {
      if (empty) return;
      node[key] = {};
    }
    parents.push([node, key]);
    node = node[key];
  }
  const last = path[path.length - 1];
  if (empty) {
    delete node[last];
    // A mapping emptied by the page goes too (a back with nothing on it is a one-sided card),
    // but a helpline or link being filled in stays.
    for (let i = parents.length - 1; i >= 0; i--) {
      const [parent, key] = parents[i];
      const isEntry = i === 1 && (path[0] === "helplines" || path[0] === "links");
      if (isEntry || Object.keys(parent[key]).length) break;
      delete parent[key];
    }
  } else {
    node[last] = value;
  }
  markDirty();
}

function markDirty() {
  state.dirty = true;
  document.getElementById("file-name").dataset.dirty = "true";
  // "Saved" and "Built" are about the card as it was: they go once it changes.
  const shown = document.querySelector("#notices .notice.status");
  if (shown) shown.remove();
}

const dotted = (path) => path.join(".");

// --- building the form ----------------------------------------------------------------

let uid = 0;
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function fieldBox(path, labelText, control, hint) {
  const box = el("div", { class: "field", "data-path": dotted(path) });
  const id = control.id || `f${++uid}`;
  control.id = id;
  if (control.type === "checkbox") {
    box.classList.add("check");
    box.append(control, el("label", { for: id, text: labelText }));
  } else {
    box.append(el("label", { for: id, text: labelText }), control);
  }
  if (hint) {
    const hintId = `${id}-hint`;
    box.append(el("p", { class: "hint", id: hintId, text: hint }));
    control.setAttribute("aria-describedby", hintId);
  }
  box.append(el("div", { class: "problems" }));
  return box;
}

function bind(control, path, read) {
  control.name = dotted(path);
  control.dataset.path = JSON.stringify(path);
  control.addEventListener(control.type === "checkbox" || control.tagName === "SELECT" ||
    control.type === "radio" || control.type === "color" || control.type === "date"
    ? "change" : "input", () => {
    setPath(path, read(control));
    edited();
  });
  if (control.type === "color") control.addEventListener("input", () => {
    setPath(path, read(control));
    showContrast();
    edited();
  });
}

function textInput(path, label, type = "text", hint) {
  const value = getPath(path);
  // dir=auto: a line typed in Urdu or Arabic reads right to left as it is typed, as it prints.
  const control = type === "textarea" ? el("textarea", { rows: 2, dir: "auto" }) :
    el("input", { type, autocomplete: "off", dir: type === "text" ? "auto" : null });
  control.value = value === undefined || value === null ? "" : String(value);
  const fallback = DEFAULTS[dotted(path)];
  if (fallback !== undefined && type !== "date") control.placeholder = String(fallback);
  bind(control, path, (c) => c.value.trim() === "" ? "" : c.value);
  return fieldBox(path, label, control, hint);
}

function numberInput(path, label, hint) {
  const control = el("input", { type: "number", min: 1, inputmode: "numeric" });
  const value = getPath(path);
  control.value = value === undefined ? "" : String(value);
  bind(control, path, (c) => c.value === "" ? "" :
    (/^\d+$/.test(c.value) ? parseInt(c.value, 10) : c.value));
  return fieldBox(path, label, control, hint);
}

function checkbox(path, label, fallback) {
  const control = el("input", { type: "checkbox" });
  const value = getPath(path);
  const unset = fallback ?? Boolean(DEFAULTS[dotted(path)]);
  control.checked = value === undefined ? unset : Boolean(value);
  bind(control, path, (c) => c.checked);
  return fieldBox(path, label, control);
}

function select(path, label, choices, hint) {
  const control = el("select");
  const value = getPath(path);
  const current = value === undefined ? DEFAULTS[dotted(path)] : value;
  const names = choices.map((c) => c.name);
  if (current !== undefined && typeof current === "string" && !names.includes(current)) {
    choices = [{ name: current, description: "your own" }, ...choices];
  }
  if (value === undefined && DEFAULTS[dotted(path)] === undefined) {
    control.append(el("option", { value: "", text: "(none)" }));
  }
  for (const choice of choices) {
    const text = choice.description ? `${choice.name} — ${choice.description}` : choice.name;
    control.append(el("option", { value: choice.name, text }));
  }
  control.value = current === undefined ? "" : String(current);
  bind(control, path, (c) => c.value);
  return fieldBox(path, label, control, hint);
}

function colourInput(path, label) {
  const value = getPath(path) ?? DEFAULTS[dotted(path)];
  const hex = /^#[0-9a-fA-F]{6}$/.test(value);
  const control = el("input", { type: hex ? "color" : "text" });
  control.value = value;
  bind(control, path, (c) => c.value);
  return fieldBox(path, label, control, hex ? null : "cmyk(c, m, y, k) in percent, or #rrggbb");
}

function designPicker() {
  const path = ["card", "design"];
  const current = getPath(path) ?? "discreet";
  const group = el("fieldset", { class: "field designs", "data-path": "card.design" },
    el("legend", { text: "Design" }));
  const designs = [...state.options.designs];
  if (!designs.some((d) => d.name === current)) designs.unshift({ name: current, description: "your own design file" });
  for (const design of designs) {
    const id = `design-${design.name.replace(/[^a-z0-9]/gi, "-")}`;
    const radio = el("input", { type: "radio", id, value: design.name });
    radio.checked = design.name === current;
    bind(radio, path, (c) => c.value);
    const builtin = state.options.designs.some((d) => d.name === design.name);
    group.append(el("div", { class: "design" }, radio,
      el("label", { for: id },
        builtin ? el("img", { src: `/api/design/${encodeURIComponent(design.name)}.png`, alt: "", loading: "lazy" }) : null,
        el("span", { class: "name", text: design.name }),
        el("span", { class: "hint", text: design.description }))));
  }
  group.append(el("div", { class: "problems" }));
  return group;
}

function uploadField(path, label, kind, accept, hint, beforeSet) {
  const control = el("input", { type: "file", accept });
  control.name = dotted(path);
  control.dataset.path = JSON.stringify(path);
  const box = fieldBox(path, label, control, hint);
  const current = getPath(path);
  const shown = el("p", { class: "current" },
    current ? `Now: ${current}` : "None yet.");
  box.insertBefore(shown, box.querySelector(".problems"));
  if (current) {
    box.insertBefore(el("button", { type: "button", text: `Remove ${label.toLowerCase()}`, onclick: () => {
      setPath(path, "");
      rebuild();
      edited();
    } }), box.querySelector(".problems"));
  }
  control.addEventListener("change", async () => {
    const file = control.files[0];
    if (!file) return;
    const response = await fetch(`/api/upload/${kind}`, {
      method: "PUT", body: file, credentials: "same-origin",
      headers: { "X-File-Name": file.name, "Content-Type": "application/octet-stream" },
    });
    const answer = await response.json();
    if (!response.ok) {
      showProblems(answer.problems || []);
      return;
    }
    if (beforeSet) beforeSet();
    setPath(path, answer.value);
    rebuild();
    edited();
  });
  return box;
}

// The languages cardgen prints its own words in come from the server (labelled_languages);
// any other tag may be typed, and the server checks it (CG180, CG181) as `cardgen check` does.
function languageChoices() {
  return el("datalist", { id: "language-choices" }, ...(state.options.languages || []).map(
    (l) => el("option", { value: l.name, label: l.description, text: l.description })));
}

function languageInput(path, label, hint) {
  const box = textInput(path, label, "text", hint);
  const control = box.querySelector("input");
  control.setAttribute("list", "language-choices");
  control.setAttribute("spellcheck", "false");
  const cards = () => `the card's: ${getPath(["language"]) || DEFAULTS.language}`;
  if (path.length > 1) {
    control.placeholder = cards();
    control.classList.add("face-language");
  } else {
    control.addEventListener("input", () => {
      for (const face of document.querySelectorAll("input.face-language")) face.placeholder = cards();
    });
  }
  return box;
}

const LANGUAGE_HINT = "cardgen prints its own words (\"Text … to\", \"Free\") in the languages offered; type any other tag (cy, pt-BR) and they print in English.";

// A picture behind the card: one for the whole card (card.background: NAME), or one for each
// side (card.background: {front: NAME, back: NAME}); choosing one kind replaces the other.
function backgroundField(side) {
  const whole = getPath(["card", "background"]);
  if (!side) {
    const box = uploadField(["card", "background"], "Picture behind the whole card", "background",
      "image/png,image/jpeg", "A PNG or JPEG covering the card (it runs into the cut edge). Text on it must stay easy to read; the QR code gets a plain patch.");
    if (whole !== null && typeof whole === "object") {
      box.querySelector(".current").textContent = "Now: a picture for each side (see the front and back below).";
      box.querySelector("button").remove();  // not one picture to remove
    }
    return box;
  }
  const path = ["card", "background", side];
  const box = uploadField(path, `Picture behind the ${side}`, `${side}-background`, "image/png,image/jpeg",
    "A PNG or JPEG behind this side only.", () => {
      // From one picture for the whole card to one for each side: the other side keeps it.
      if (typeof whole === "string") setPath(["card", "background"], { front: whole, back: whole });
    });
  if (typeof whole === "string") box.querySelector(".current").textContent = `Now: the whole card's picture (${whole}).`;
  return box;
}

function idChoices() {
  const ids = [];
  for (const [id, h] of Object.entries(state.doc.helplines || {})) ids.push({ name: id, description: `helpline ${h && h.name ? h.name : ""}`.trim() });
  for (const [id, l] of Object.entries(state.doc.links || {})) ids.push({ name: id, description: `link ${l && l.url ? l.url : ""}`.trim() });
  return ids;
}

function faceHelplines(side) {
  const path = [side, "helplines"];
  const listed = getPath(path);
  const ids = Object.keys(state.doc.helplines || {});
  const group = el("fieldset", { class: "field", "data-path": dotted(path) },
    el("legend", { text: "Helplines listed" }));
  if (!ids.length) group.append(el("p", { class: "hint", text: "Add a helpline below first." }));
  for (const id of ids) {
    const box = el("input", { type: "checkbox", value: id, id: `f${++uid}` });
    box.checked = listed === undefined ? side === "back" : listed.includes(id);
    box.name = dotted(path);
    box.dataset.path = JSON.stringify(path);
    box.addEventListener("change", () => {
      const checked = [...group.querySelectorAll("input[type=checkbox]")].filter((b) => b.checked).map((b) => b.value);
      setPath(path, checked.length ? checked : (side === "back" ? [] : ""));
      edited();
    });
    const name = (state.doc.helplines[id] || {}).name || id;
    group.append(el("div", { class: "check" }, box, el("label", { for: box.id, text: name })));
  }
  group.append(el("div", { class: "problems" }));
  return group;
}

function faceSection(side, heading) {
  const section = el("fieldset", { class: "section", "data-path": side }, el("legend", { text: heading }));
  for (const [key, label, kind] of FACE_FIELDS) {
    const path = [side, key];
    if (kind === "qr") section.append(select(path, label, idChoices(), "A helpline or link; (none) for no QR code."));
    else if (kind === "facehelplines") section.append(faceHelplines(side));
    else if (kind === "checkbox") section.append(checkbox(path, label));
    else if (kind === "language") section.append(languageInput(path, label, LANGUAGE_HINT));
    else section.append(textInput(path, label, kind));
  }
  section.append(backgroundField(side));
  section.append(el("div", { class: "problems" }));
  return section;
}

function newId(prefix, taken) {
  let n = 1;
  while (taken[`${prefix}-${n}`]) n++;
  return `${prefix}-${n}`;
}

function moveEntry(kind, id, step) {
  const entries = Object.entries(state.doc[kind]);
  const at = entries.findIndex(([key]) => key === id);
  const to = at + step;
  if (to < 0 || to >= entries.length) return;
  [entries[at], entries[to]] = [entries[to], entries[at]];
  state.doc[kind] = Object.fromEntries(entries);
  if (kind === "helplines") {
    for (const side of ["front", "back"]) {
      const listed = getPath([side, "helplines"]);
      if (Array.isArray(listed)) {
        const order = entries.map(([key]) => key);
        listed.sort((a, b) => order.indexOf(a) - order.indexOf(b));
      }
    }
  }
  markDirty();
  // Keep the keyboard where it was: on the same button, or its twin at the end of the list.
  const same = `[data-move="${kind}.${id}.${step}"]`;
  rebuild(same);
  if (!document.querySelector(same)) {
    const twin = document.querySelector(`[data-move="${kind}.${id}.${-step}"]`);
    if (twin) twin.focus();
  }
  edited();
}

function removeEntry(kind, id) {
  delete state.doc[kind][id];
  for (const side of ["front", "back"]) {
    const listed = getPath([side, "helplines"]);
    if (kind === "helplines" && Array.isArray(listed) && listed.includes(id)) {
      setPath([side, "helplines"], listed.filter((x) => x !== id));
    }
    if (getPath([side, "qr"]) === id) setPath([side, "qr"], "");
  }
  markDirty();
  rebuild(`#add-${kind}`);
  edited();
}

function entriesSection(kind, heading, fields, singular) {
  const section = el("fieldset", { class: "section", "data-path": kind, id: `section-${kind}` }, el("legend", { text: heading }));
  const entries = Object.entries(state.doc[kind] || {});
  entries.forEach(([id, entry], index) => {
    const shown = (entry && entry.name) || id;
    const shownNow = { value: shown };
    const box = el("fieldset", { class: "entry", "data-path": `${kind}.${id}` },
      el("legend", { text: `${singular}: ${shown}` }));
    for (const [key, label, type, hint] of fields) {
      const path = [kind, id, key];
      box.append(type.startsWith("checkbox") ? checkbox(path, label, type === "checkbox-true")
        : textInput(path, label, type, hint && hint()));
    }
    const tools = el("div", { class: "tools" });
    if (index > 0) tools.append(el("button", { type: "button", "data-move": `${kind}.${id}.-1`, text: "Move up", "aria-label": `Move ${shown} up`, onclick: () => moveEntry(kind, id, -1) }));
    if (index < entries.length - 1) tools.append(el("button", { type: "button", "data-move": `${kind}.${id}.1`, text: "Move down", "aria-label": `Move ${shown} down`, onclick: () => moveEntry(kind, id, 1) }));
    tools.append(el("button", { type: "button", class: "remove", text: `Remove ${singular.toLowerCase()}`, "aria-label": `Remove ${singular.toLowerCase()} ${shown}`, onclick: () => removeEntry(kind, id) }));
    box.append(tools, el("div", { class: "problems" }));
    // The entry's heading and buttons say its name as it is typed.
    box.querySelector(`[name="${kind}.${id}.name"]`).addEventListener("input", (event) => {
      const now = event.target.value.trim() || id;
      box.querySelector("legend").textContent = `${singular}: ${now}`;
      for (const button of tools.querySelectorAll("button")) {
        button.setAttribute("aria-label", button.getAttribute("aria-label").replace(shownNow.value, now));
      }
      shownNow.value = now;
    });
    section.append(box);
  });
  section.append(el("button", { type: "button", id: `add-${kind}`, text: `Add a ${singular.toLowerCase()}`, onclick: () => {
    state.doc[kind] = state.doc[kind] || {};
    const id = newId(kind === "helplines" ? "helpline" : "link", state.doc[kind]);
    state.doc[kind][id] = { name: `New ${singular.toLowerCase()}` };
    if (kind === "helplines" && Array.isArray(getPath(["back", "helplines"]))) state.doc.back.helplines.push(id);
    markDirty();
    rebuild(`[name="${kind}.${id}.name"]`);
    edited();
  } }), el("div", { class: "problems" }));
  return section;
}

function contrastRatio(a, b) {
  const lum = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

function showContrast() {
  const out = document.getElementById("contrast");
  if (!out) return;
  const colour = (k) => getPath(["card", "colours", k]) ?? DEFAULTS[`card.colours.${k}`];
  const lines = [];
  for (const k of ["ink", "accent"]) {
    if (!/^#[0-9a-f]{6}$/i.test(colour(k)) || !/^#[0-9a-f]{6}$/i.test(colour("paper"))) continue;
    const ratio = contrastRatio(colour(k), colour("paper"));
    lines.push(`${k} on paper ${ratio.toFixed(1)}:1 ${ratio >= 4.5 ? "(easy to read)" : "(too faint: needs 4.5:1)"}`);
  }
  out.textContent = lines.length ? `Contrast: ${lines.join("; ")}` : "";
}

function cardSize() {
  const size = getPath(["card", "size"]);
  if (size !== null && typeof size === "object") {  // your own size, not a preset
    return [textInput(["card", "size", "width"], "Card width (e.g. 55mm)"),
      textInput(["card", "size", "height"], "Card height (e.g. 85mm)")];
  }
  return [select(["card", "size"], "Card size", state.options.sizes)];
}

function section(heading, ...children) {
  return el("fieldset", { class: "section" }, el("legend", { text: heading }), ...children);
}

function rebuild(focusSelector) {
  const form = document.getElementById("card-form");
  const active = focusSelector || (document.activeElement && document.activeElement.name ? `[name="${document.activeElement.name}"]` : null);
  form.replaceChildren(
    section("Campaign",
      textInput(["campaign"], "Campaign name", "text", "It also names the PDF file."),
      textInput(["region"], "Country of the phone numbers (two letters)"),
      languageInput(["language"], "Language of the card (e.g. en, cy, pl)", LANGUAGE_HINT),
      languageChoices()),
    section("Card",
      ...cardSize(),
      select(["card", "orientation"], "Orientation", [{ name: "portrait" }, { name: "landscape" }]),
      designPicker(),
      colourInput(["card", "colours", "ink"], "Text colour"),
      colourInput(["card", "colours", "paper"], "Card colour"),
      colourInput(["card", "colours", "accent"], "Title colour"),
      el("p", { id: "contrast", class: "hint", "aria-live": "polite" }),
      select(["card", "font"], "Font", state.options.fonts),
      uploadField(["card", "logo"], "Logo", "logo", "image/png,image/jpeg", "A PNG or JPEG picture."),
      backgroundField(null)),
    faceSection("front", "Front of the card"),
    faceSection("back", "Back of the card"),
    entriesSection("helplines", "Helplines", HELPLINE_FIELDS, "Helpline"),
    entriesSection("links", "Links", LINK_FIELDS, "Link"),
    section("Print",
      select(["print", "sheet"], "Paper or card stock", state.options.sheets),
      numberInput(["print", "copies"], "How many cards", "Sheets are filled; extra cards are reported."),
      select(["print", "duplex"], "Double-sided", [{ name: "long-edge", description: "flip on the long edge" }, { name: "short-edge", description: "flip on the short edge" }, { name: "none", description: "one side only" }]),
      checkbox(["print", "crop_marks"], "Cutting marks"),
      numberInput(["print", "start_at"], "First free place on the first sheet"),
      checkbox(["print", "pack"], "Batches share sheets"),
      textInput(["tracking", "param"], "Tracking parameter added to tracked links"),
      textInput(["tracking", "utm", "campaign"], "Or UTM tags: utm_campaign", "text", "With UTM tags, tracked links get utm_source=<batch code> instead of the parameter above."),
      textInput(["tracking", "utm", "medium"], "UTM tags: utm_medium (default card)")),
    section("Batch of cards",
      uploadField(["variants_csv"], "Spreadsheet of batches (CSV)", "csv", ".csv,text/csv", "One row a batch: columns id, code, copies, and any dotted key such as helplines.dsl.phone.")),
  );
  showContrast();
  if (active) {
    const target = form.querySelector(active);
    if (target) target.focus();
  }
  if (lastProblems) showProblems(lastProblems);
}

// --- problems ---------------------------------------------------------------------------

let lastProblems = null;

function problemNode(problem) {
  const node = el("div", { class: `problem ${problem.severity}`, role: "alert" },
    el("strong", { class: "code", text: problem.code }), " ",
    el("span", { class: "severity", text: problem.severity === "error" ? "Error:" : "Warning:" }), " ",
    el("span", { class: "message", text: problem.message }));
  if (problem.variant) node.prepend(el("span", { class: "variant", text: `[${problem.variant}] ` }));
  if (problem.fix) node.append(el("p", { class: "fix", text: `Fix: ${problem.fix}` }));
  if (problem.where) node.append(el("p", { class: "where", text: problem.where }));
  return node;
}

function boxFor(path) {
  const parts = path ? path.split(".") : [];
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join(".");
    const box = [...document.querySelectorAll("[data-path]")].find((b) => b.dataset.path === key && b.querySelector(":scope > .problems"));
    if (box) return box.querySelector(":scope > .problems");
  }
  return document.getElementById("general-problems");
}

// Text too faint on a background picture (CG752) is said beside each text; the picture's own
// field says it too, counted, since changing the picture is the other way to fix it.
function pictureSummaries(problems) {
  const faint = problems.filter((p) => p.code === "CG752");
  const picture = getPath(["card", "background"]);
  const counts = new Map();
  for (const problem of faint) {
    const side = problem.message.split(".", 1)[0];
    const path = typeof picture === "string" ? "card.background"
      : (picture && picture[side] ? `card.background.${side}` : null);
    if (path) counts.set(path, (counts.get(path) || 0) + 1);
  }
  return [...counts].map(([path, count]) => ({
    code: "CG752", severity: "error", path, variant: faint[0].variant,
    message: `${count} text${count === 1 ? " is" : "s are"} too faint to read on this picture: each is marked beside its field`,
    fix: "use a picture that is plainer (or lighter or darker) where the text goes, change the text colours, or remove the picture",
  }));
}

function showProblems(problems) {
  lastProblems = problems;
  const groups = new Map();
  for (const problem of [...problems, ...pictureSummaries(problems)]) {
    const box = boxFor(problem.path);
    if (!groups.has(box)) groups.set(box, []);
    groups.get(box).push(problem);
  }
  for (const box of document.querySelectorAll(".problems")) {
    const list = groups.get(box) || [];
    const key = JSON.stringify(list);
    if (box.dataset.shown === key) continue;  // unchanged: not announced again
    box.dataset.shown = key;
    box.replaceChildren(...list.map(problemNode));
    const field = box.closest(".field");
    if (field) {
      const control = field.querySelector("input, select, textarea");
      if (control) control.setAttribute("aria-invalid", list.some((p) => p.severity === "error") ? "true" : "false");
    }
  }
}

// --- talking to the server ----------------------------------------------------------------

async function api(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = {}; }
  return { status: response.status, answer };
}

function notice(text, kind = "status", ...extra) {
  const box = document.getElementById("notices");
  const node = el("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, el("span", { text }), ...extra);
  box.replaceChildren(node);
  return node;
}

function edited() {
  state.editedAt = performance.now();
  state.pending = true;
  if (!state.inFlight) render();
}

async function render() {
  state.pending = false;
  state.inFlight = true;
  document.body.dataset.busy = "true";
  const editedAt = state.editedAt;
  const status = document.getElementById("preview-status");
  try {
    const { status: code, answer } = await api("/api/render", { doc: state.doc, variant: state.variant, sides: ["front", "back"] });
    if (code !== 200 && !answer.problems) throw new Error(`the server answered ${code}`);
    showProblems(answer.problems || []);
    const errors = (answer.problems || []).filter((p) => p.severity === "error").length;
    const images = answer.images || {};
    const updates = [];
    for (const side of ["front", "back"]) {
      const img = document.getElementById(`${side}-image`);
      if (images[side]) {
        img.src = images[side];
        updates.push(img.decode().catch(() => null));
      }
    }
    document.getElementById("back-figure").hidden = !errors && !images.back;
    await Promise.all(updates);
    if (errors) {
      status.textContent = `${errors} error${errors === 1 ? "" : "s"} to fix: the preview shows the last good card.`;
    } else {
      status.textContent = "The preview shows your card as it prints.";
      if (editedAt !== null) window.cardgenTimings.push(performance.now() - editedAt);
    }
    updateVariants(answer.variants || []);
    if (answer.changed_on_disk && !state.warnedDisk) {
      state.warnedDisk = true;
      notice(`${state.file} was changed by another program since the studio opened it.`, "error",
        el("button", { type: "button", text: "Reload from disk", onclick: reloadFromDisk }));
    }
  } catch (error) {
    status.textContent = `The preview could not be updated (${error.message}).`;
  }
  state.renders += 1;
  document.body.dataset.renders = String(state.renders);
  state.inFlight = false;
  if (state.pending) render();
  else document.body.dataset.busy = "false";
}

function updateVariants(ids) {
  const picker = document.getElementById("variant-picker");
  const known = [...picker.options].slice(1).map((o) => o.value);
  document.getElementById("variant-field").hidden = ids.length === 0;
  if (JSON.stringify(known) === JSON.stringify(ids)) return;
  picker.replaceChildren(el("option", { value: "", text: "the main card" }), ...ids.map((id) => el("option", { value: id, text: id })));
  picker.value = ids.includes(state.variant) ? state.variant : "";
  state.variant = picker.value;
}

async function save(overwrite = false) {
  const { status, answer } = await api("/api/save", { doc: state.doc, overwrite });
  if (status === 200) {
    state.dirty = false;
    state.warnedDisk = false;
    document.getElementById("file-name").dataset.dirty = "false";
    notice(`Saved ${answer.saved}.`);
  } else if (status === 409) {
    const problem = (answer.problems || [])[0] || {};
    notice(`Not saved: ${problem.message}`, "error",
      el("button", { type: "button", text: "Reload from disk", onclick: reloadFromDisk }),
      el("button", { type: "button", text: "Save anyway", onclick: () => save(true) }));
  } else {
    showProblems(answer.problems || []);
    notice("Not saved: see the problems shown.", "error");
  }
}

async function reloadFromDisk() {
  const { status, answer } = await api("/api/reload", {});
  if (status !== 200) {
    notice("The file on disk cannot be read: see the problems shown.", "error");
    showProblems(answer.problems || []);
    return;
  }
  state.doc = answer.doc;
  state.dirty = false;
  state.warnedDisk = false;
  rebuild();
  notice("Reloaded from disk.");
  edited();
}

function download(url) {
  const link = el("a", { href: url, download: "" });
  document.body.append(link);
  link.click();
  link.remove();
}

async function build() {
  const button = document.getElementById("build-button");
  button.disabled = true;
  notice("Building and checking every QR code…");
  try {
    const { status, answer } = await api("/api/build", { doc: state.doc });
    if (status !== 200) {
      showProblems(answer.problems || []);
      notice("The PDF was not built: fix the errors shown beside their fields.", "error");
      return;
    }
    const links = answer.files.map((f) => el("a", { href: f.url, download: "", text: f.name }));
    const list = el("ul", {}, ...links.map((a) => el("li", {}, a)));
    notice(`Built: ${answer.codes_verified} QR code${answer.codes_verified === 1 ? "" : "s"} checked by scanning the PDF.`, "status", list);
    const pdf = answer.files.find((f) => f.name.endsWith(".pdf"));
    if (pdf) download(pdf.url);
  } finally {
    button.disabled = false;
  }
}

async function showSheet() {
  const figure = document.getElementById("sheet-figure");
  const button = document.getElementById("sheet-button");
  button.disabled = true;
  try {
    const { answer } = await api("/api/render", { doc: state.doc, variant: state.variant, sides: ["sheet"] });
    if (answer.images && answer.images.sheet) {
      document.getElementById("sheet-image").src = answer.images.sheet;
      figure.hidden = false;
    } else {
      showProblems(answer.problems || []);
    }
  } finally {
    button.disabled = false;
  }
}

async function start() {
  const response = await fetch("/api/state", { credentials: "same-origin" });
  const answer = await response.json();
  state.doc = answer.doc;
  state.options = answer.options;
  state.file = answer.file;
  const name = document.getElementById("file-name");
  name.textContent = answer.exists ? `Editing ${answer.file}` : `New file: ${answer.file} (made when you save)`;
  document.title = `${answer.file} — cardgen studio`;
  rebuild();
  updateVariants(answer.variants || []);
  document.getElementById("save-button").addEventListener("click", () => save(false));
  document.getElementById("build-button").addEventListener("click", build);
  document.getElementById("sheet-button").addEventListener("click", showSheet);
  document.getElementById("variant-picker").addEventListener("change", (event) => {
    state.variant = event.target.value;
    edited();
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) event.preventDefault();
  });
  document.body.dataset.ready = "true";
  state.editedAt = null;
  state.pending = true;
  render();
}

document.addEventListener("DOMContentLoaded", start);
