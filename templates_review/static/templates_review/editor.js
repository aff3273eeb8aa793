// The template editor's live preview: on each pause in typing, post the text to the
// preview endpoint, then show the sample rendering (HTML in a sandboxed iframe without
// scripts), the SMS segment count and the findings, highlighted in place behind the fields.
(() => {
  "use strict";
  const root = document.querySelector("[data-editor]");
  if (!root) return;
  const form = document.getElementById("content-form");
  const fields = ["subject", "body_text", "body_html", "link"];
  const inputs = Object.fromEntries(fields.map((f) => [f, form.querySelector(`[name="${f}"]`)]).filter(([, el]) => el));
  const csrf = form.querySelector('[name="csrfmiddlewaretoken"]').value;
  const submitButton = form.querySelector("[data-submit]");
  let timer = null;
  let sequence = 0;
  let lastFindings = [];

  function paintBackdrop(field) {
    const input = inputs[field];
    const backdrop = root.querySelector(`.hl-backdrop[data-for="${field}"]`);
    if (!input || !backdrop) return;
    const text = input.value;
    const spans = lastFindings
      .filter((f) => f.field === field && f.end > f.start)
      .sort((a, b) => a.start - b.start);
    backdrop.replaceChildren();
    let pos = 0;
    for (const span of spans) {
      if (span.start < pos) continue;
      backdrop.append(document.createTextNode(text.slice(pos, span.start)));
      const mark = document.createElement("mark");
      mark.className = span.severity;
      mark.textContent = text.slice(span.start, span.end);
      backdrop.append(mark);
      pos = span.end;
    }
    backdrop.append(document.createTextNode(text.slice(pos) + "\n"));
    backdrop.scrollTop = input.scrollTop;
  }

  function showFindings(findings) {
    const list = root.querySelector("[data-findings]");
    list.replaceChildren();
    for (const f of findings) {
      const item = document.createElement("li");
      item.className = `finding finding-${f.severity}`;
      const badge = document.createElement("span");
      badge.className = `badge badge-${f.severity}`;
      badge.textContent = f.severity === "block" ? root.dataset.blockLabel || "block" : root.dataset.warnLabel || "warn";
      const code = document.createElement("code");
      code.textContent = f.rule;
      const fix = document.createElement("div");
      fix.className = "small muted";
      fix.textContent = f.fix || "";
      const excerpt = inputs[f.field] && f.end > f.start ? ` «${inputs[f.field].value.slice(f.start, f.end)}»` : "";
      item.append(badge, " ", code, " ", `${f.message}${excerpt}`, fix);
      list.append(item);
    }
    root.querySelector("[data-findings-empty]").hidden = findings.length > 0;
  }

  function showPreview(data) {
    const error = root.querySelector("[data-preview-error]");
    error.textContent = data.preview.error || "";
    error.hidden = !data.preview.error;
    root.querySelector("[data-preview-subject]").textContent = data.preview.subject;
    root.querySelector("[data-preview-text]").textContent = data.preview.text;
    const frame = root.querySelector("[data-preview-html]");
    if (frame) frame.srcdoc = data.preview.html; // sandbox="" : no scripts, no same origin
    const segments = root.querySelector("[data-segments]");
    if (data.segments_detail) {
      const s = data.segments_detail;
      segments.textContent = `SMS: ${s.count} × ${s.encoding} (${s.units}/${s.per_segment})`;
      segments.hidden = false;
    } else {
      segments.hidden = true;
    }
  }

  async function refresh() {
    const body = new URLSearchParams();
    for (const key of ["channel", "marketplace", "locale", "purpose"]) body.set(key, root.dataset[key] || "");
    for (const [field, input] of Object.entries(inputs)) body.set(field, input.value);
    const mine = ++sequence;
    let response;
    try {
      response = await fetch(root.dataset.previewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body,
        credentials: "same-origin",
      });
    } catch (e) {
      return;
    }
    if (!response.ok || mine !== sequence) return;
    const data = await response.json();
    lastFindings = data.findings;
    showFindings(data.findings);
    showPreview(data);
    for (const field of Object.keys(inputs)) paintBackdrop(field);
    if (submitButton && !submitButton.dataset.locked) submitButton.disabled = data.blocking;
  }

  for (const [field, input] of Object.entries(inputs)) {
    input.addEventListener("input", () => {
      paintBackdrop(field);
      clearTimeout(timer);
      timer = setTimeout(refresh, 350);
    });
    input.addEventListener("scroll", () => paintBackdrop(field));
  }
  if (submitButton && submitButton.disabled && root.querySelector(".badge-status-submitted")) submitButton.dataset.locked = "1";
  refresh();
})();
