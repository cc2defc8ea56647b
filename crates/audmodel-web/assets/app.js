// Small helps on top of pages that work without script: copy buttons and
// the compare page's "differences only" switch.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  navigator.clipboard.writeText(button.dataset.copy).then(
    () => { button.textContent = "Copied"; },
    () => { button.textContent = "Select and copy"; },
  );
});

document.addEventListener("change", (event) => {
  if (event.target.id !== "differences-only") return;
  const table = document.getElementById("compare");
  table.classList.toggle("hide-same", event.target.checked);
  const url = new URL(window.location.href);
  if (event.target.checked) url.searchParams.set("diff", "1");
  else url.searchParams.delete("diff");
  window.history.replaceState(null, "", url);
});
