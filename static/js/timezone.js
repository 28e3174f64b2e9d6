// Preselect the visitor's own time zone on the slot picker (the page works without this).
const form = document.querySelector("form.tz-form[data-detect-timezone='yes']");
if (form) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = form.querySelector("select[name=tz]");
  const known = select && [...select.options].some((option) => option.value === zone);
  if (zone && known && select.value !== zone) {
    select.value = zone;
    form.submit();
  }
}
