// Import progress: polls the job's JSON endpoint and reloads the page when it has finished.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") return;
  const show = (data) => {
    for (const el of box.querySelectorAll("[data-field]")) {
      const value = data[el.dataset.field];
      if (value === undefined) continue;
      if (el.tagName === "PROGRESS") el.value = value;
      else el.textContent = value;
    }
  };
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (data.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // a network blip: try again on the next tick
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
});
