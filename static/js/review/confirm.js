// "Delete recording now" asks first, in a dialog. Without JavaScript the form's required
// checkbox is the confirmation; with it the dialog is, and the checkbox is ticked for it.

/**
 * @param {HTMLFormElement} form
 * @param {HTMLDialogElement} dialog returns "delete" to go ahead
 * @param {HTMLInputElement} checkbox the no-JavaScript confirmation (name=confirm)
 * @param {HTMLElement} checkboxField shown only without JavaScript
 */
export function confirmBeforeSubmit(form, dialog, checkbox, checkboxField) {
  checkboxField.hidden = true;
  checkbox.required = false;
  form.addEventListener("submit", (event) => {
    if (checkbox.checked) return; // confirmed in the dialog
    event.preventDefault();
    dialog.returnValue = ""; // Escape keeps the last value otherwise
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "delete") return;
    checkbox.checked = true;
    form.requestSubmit();
  });
}
