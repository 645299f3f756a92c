/* Progressive enhancement only: every feature works without this file. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-menu-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
      });
    }

    document.querySelectorAll("[data-share]").forEach(function (button) {
      if (!navigator.share) { return; }
      button.parentElement.classList.add("available");
      button.addEventListener("click", function () {
        navigator.share({ title: button.dataset.shareTitle, url: button.dataset.shareUrl })
          .catch(function () { /* the reader closed the share sheet */ });
      });
    });

    document.querySelectorAll("[data-objection-form]").forEach(function (form) {
      var output = form.parentElement.querySelector("[data-objection-count]");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        button.disabled = true;
        fetch(form.action, { method: "POST", headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            if (output) { output.textContent = data.text || data.error; }
          })
          .catch(function () { form.submit(); });
      });
    });
  });
})();
