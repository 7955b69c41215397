/* A picture made smaller on the phone before it is sent, when its question asks for at most so many pixels on
   the longest side (XLSForm max-pixels, data-max-pixels; webapp/forms/builder.py): a 4 MB photo becomes a few
   hundred kB on a slow link. Drawn on a canvas, it also leaves its EXIF (GPS position, time) behind. The server
   bounds the size and drops the metadata in any case (webapp/services/uploads.py): without this script, or for
   a picture the browser cannot draw (HEIC), the original is sent. */
(function () {
 "use strict";
 if (!window.createImageBitmap || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) return;
 Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-pixels]"), function (input) {
  input.addEventListener("change", function () {
   var file = input.files && input.files[0], max = +input.getAttribute("data-max-pixels");
   if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type) || !(max > 0)) return;
   createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
    var scale = max / Math.max(bitmap.width, bitmap.height), canvas = document.createElement("canvas"),
     png = file.type === "image/png", type = png ? "image/png" : "image/jpeg";
    if (scale >= 1) return bitmap.close();
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    canvas.toBlob(function (blob) {
     if (!blob || blob.size >= file.size || input.files[0] !== file) return;  // not smaller, or replaced since
     var smaller = new DataTransfer();
     smaller.items.add(new File([blob], png ? file.name : file.name.replace(/\.[^.]*$/, "") + ".jpg",
      {type: type, lastModified: file.lastModified}));
     input.files = smaller.files;
    }, type, 0.9);
   }).catch(function () {});  // not drawable here: the original is sent
  });
 });
})();
