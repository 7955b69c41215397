/* "Use my location" for geographic questions (webapp/forms/fields_geo.py): the participant presses the
   button, the browser asks for permission, and the coordinates are written into the field, where they
   can still be corrected. Without this script (or without permission) the field is typed by hand. */
(function () {
 "use strict";
 if (!navigator.geolocation) return;
 Array.prototype.forEach.call(document.querySelectorAll("[data-geo]"), function (field) {
  var button = document.createElement("button"), status = document.createElement("p");
  button.type = "button";
  button.className = "secondary geo";
  button.textContent = field.getAttribute("data-geo-label");
  status.className = "hint";
  status.setAttribute("role", "status");
  button.addEventListener("click", function () {
   status.textContent = field.getAttribute("data-geo-wait");
   navigator.geolocation.getCurrentPosition(function (p) {
    var c = p.coords, point = [c.latitude.toFixed(6), c.longitude.toFixed(6),
     c.altitude === null ? "0" : c.altitude.toFixed(1), c.accuracy.toFixed(1)].join(" ");
    field.value = field.getAttribute("data-geo") === "point" || !field.value.trim() ? point
     : field.value.replace(/[;\s]+$/, "") + "; " + point;
    status.textContent = "";
    field.dispatchEvent(new Event("input", {bubbles: true}));
   }, function () {
    status.textContent = field.getAttribute("data-geo-error");
   }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
  });
  field.insertAdjacentElement("afterend", status);
  field.insertAdjacentElement("afterend", button);
 });
})();
