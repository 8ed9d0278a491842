// Progressive enhancement only: every table and number is in the HTML as
// written. A click on a header of a `sortable` table sorts its rows by
// that column (numbers by value, text by text; a second click reverses).
"use strict";
(function () {
  const UNITS = { ns: 1, "µs": 1e3, ms: 1e6, s: 1e9 };
  // A cell's number (`1,234`, `+5.00`, `4.56 µs` in ns), else its text.
  function value(cell) {
    const text = cell.textContent.trim();
    const [digits, unit] = text.replace(/,/g, "").split(" ");
    const number = Number(digits) * (unit === undefined ? 1 : UNITS[unit]);
    return digits !== "-" && digits !== "" && !Number.isNaN(number) ? number : text;
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    const body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach((th, column) => {
      th.classList.add("sorts");
      th.addEventListener("click", () => {
        const down = th.dataset.sorted !== "up";
        table.querySelectorAll("thead th").forEach((h) => delete h.dataset.sorted);
        th.dataset.sorted = down ? "up" : "down";
        const rows = Array.from(body.rows);
        rows.sort((a, b) => compare(value(a.cells[column]), value(b.cells[column])) * (down ? 1 : -1));
        body.append(...rows);
      });
    });
  }
})();
