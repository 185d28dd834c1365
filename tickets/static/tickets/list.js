// The ticket list (T4/T6): the rows are read again every few seconds (HTMX poll), but never
// while the user has tickets checked for a bulk action: their selection is kept.
document.addEventListener("htmx:beforeRequest", function (event) {
  var element = event.detail.elt;
  if (element.id === "list-table" && element.querySelector("input[name=t]:checked")) {
    event.preventDefault();
  }
});
