// Availability page: preselect the browser's time zone in <select data-detect-timezone>, which
// the server marks only while the interviewer has never chosen one. Saving keeps it; without
// JavaScript the select simply keeps the server's value.
const select = document.querySelector("select[data-detect-timezone]");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (select && zone && zone !== select.value) {
  const option = Array.from(select.options).find((o) => o.value === zone);
  if (option) {
    select.value = zone;
    const note = document.querySelector("[data-timezone-detected]");
    if (note) {
      note.textContent = `We chose ${zone} from your browser; save to keep it.`;
      note.hidden = false;
    }
  }
}
