// Pre-selects the participant's time zone from the browser and reloads the slot list once in it.
(function () {
  var select = document.getElementById("tz-select");
  if (!select) { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || new URLSearchParams(window.location.search).get("tz")) { return; }
  var known = false;
  for (var i = 0; i < select.options.length; i++) { if (select.options[i].value === zone) { known = true; } }
  if (!known) {
    var option = document.createElement("option");
    option.value = zone;
    option.textContent = zone.replace(/_/g, " ");
    select.insertBefore(option, select.firstChild);
  }
  if (select.value !== zone) { select.value = zone; select.form.submit(); }
})();
