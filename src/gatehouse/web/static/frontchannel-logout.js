// The signed-out page: once every application's front-channel logout frame has loaded
// (or after a few seconds, whichever comes first), go on to the application's
// post-logout redirect URI (OpenID Connect Front-Channel Logout 1.0 §4). Without
// JavaScript the page's "Continue" link does the same.
(function () {
  "use strict";
  var holder = document.querySelector(".logout-frames");
  var next = holder ? holder.getAttribute("data-continue") : "";
  if (!next) {
    return;
  }
  var frames = holder.querySelectorAll("iframe.logout-frame");
  var waiting = frames.length;
  var gone = false;
  function onward() {
    if (!gone) {
      gone = true;
      window.location.replace(next);
    }
  }
  function loaded() {
    waiting -= 1;
    if (waiting <= 0) {
      onward();
    }
  }
  for (var i = 0; i < frames.length; i += 1) {
    frames[i].addEventListener("load", loaded);
  }
  window.setTimeout(onward, 5000);
  if (waiting === 0) {
    onward();
  }
})();
