// The form_post response page (OAuth 2.0 Form Post Response Mode §2): submit the response
// to the application at once. Without JavaScript the page's Continue button does the same.
(function () {
  "use strict";
  var form = document.getElementById("form-post");
  if (form) {
    form.submit();
  }
})();
