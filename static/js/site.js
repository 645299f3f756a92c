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

    // The header search tells how many results there are while the reader types; the
    // search page itself works without this.
    var searchForm = document.querySelector("[data-search-form]");
    if (searchForm) {
      var searchInput = searchForm.querySelector("input[type=search]");
      var searchCount = searchForm.querySelector("[data-search-count]");
      var timer = null;
      searchInput.addEventListener("input", function () {
        clearTimeout(timer);
        var query = searchInput.value.trim();
        if (query.length < 2) { searchCount.textContent = ""; return; }
        timer = setTimeout(function () {
          fetch(searchForm.dataset.countUrl + "?q=" + encodeURIComponent(query), {
            headers: { Accept: "application/json" }, credentials: "same-origin"
          })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (data) { if (data && searchInput.value.trim() === query) { searchCount.textContent = data.text; } })
            .catch(function () { /* the reader can still press Search */ });
        }, 300);
      });
    }

    // On a phone the Donate bar steps aside while the campaign's donate box is in view.
    var donateBar = document.querySelector(".donate-bar");
    var donateBox = document.querySelector(".donate-cta");
    if (donateBar && donateBox && "IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        donateBar.classList.toggle("beside-the-box", entries[0].isIntersecting);
      }).observe(donateBox);
    }

    // An amount typed in "other amount" is the gift (the server takes it so too): typing
    // ticks "other", and choosing a fixed amount empties the field.
    document.querySelectorAll("input[name=other_amount]").forEach(function (other) {
      var form = other.form;
      if (!form) { return; }
      var otherChoice = form.querySelector("input[name=amount][value=other]");
      other.addEventListener("input", function () {
        if (otherChoice && other.value.trim()) { otherChoice.checked = true; }
      });
      form.querySelectorAll("input[name=amount]").forEach(function (choice) {
        choice.addEventListener("change", function () {
          if (choice.checked && choice.value !== "other") { other.value = ""; }
        });
      });
    });

    // An amount as the server reads it (core/money.py): 10, 12,50, 1.000,00, 1,000.00,
    // 1 000, 25,-; null for anything else, which the server explains when the form is sent.
    var parseEuro = function (text) {
      var value = text.replace(/[\s\u00a0\u202f\u20ac]/g, "");
      var whole = value.match(/^(\d[\d.,]*?)([.,])[-\u2013\u2014]{1,2}$/);
      if (whole) {
        var grouped = whole[2] === "," ? /^[1-9]\d{0,2}(\.\d{3})+$/ : /^[1-9]\d{0,2}(,\d{3})+$/;
        value = grouped.test(whole[1]) ? whole[1].replace(/[.,]/g, "") : whole[1];
        if (!/^\d+$/.test(value)) { return null; }  // "2.50,-": the server explains
      } else if (/^[1-9]\d{0,2}(\.\d{3})+(,\d{1,2})?$/.test(value) && !/^\d+\.\d{3}$/.test(value)) {
        value = value.replace(/\./g, "");
      } else if (/^[1-9]\d{0,2}(,\d{3})+(\.\d{1,2})?$/.test(value) && !/^\d+,\d{3}$/.test(value)) {
        value = value.replace(/,/g, "");
      }
      if (!/^\d{1,9}([.,]\d{1,2})?$/.test(value)) { return null; }
      return Number(value.replace(",", "."));
    };

    // The gift form's button names the gift as it is chosen ("Give € 10 a month"); without
    // this file it says "Continue", which is never wrong.
    var giftForm = document.querySelector("[data-gift-form]");
    var giftButton = giftForm && giftForm.querySelector("[data-gift-button]");
    if (giftButton) {
      var plain = giftButton.textContent;
      var locale = document.documentElement.lang === "nl" ? "nl-NL" : "en-GB";
      var chosenAmount = function () {
        var chosen = giftForm.querySelector("input[name=amount]:checked");
        if (!chosen) { return null; }
        var number = Number(chosen.value);
        if (chosen.value === "other") {
          var other = giftForm.querySelector("input[name=other_amount]");
          number = other ? parseEuro(other.value) : null;
        }
        if (!(number > 0)) { return null; }
        var cents = number % 1 !== 0;
        return "\u20ac\u00a0" + new Intl.NumberFormat(locale, {
          minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: 2
        }).format(number);
      };
      var nameTheGift = function () {
        var route = giftForm.querySelector("input[name=route]:checked");
        var frequency = giftForm.querySelector("input[name=frequency]:checked");
        var amount = chosenAmount();
        if (route && route.value === "mandate") {
          giftButton.textContent = giftButton.dataset.mandate;
        } else if (frequency && amount && giftButton.dataset[frequency.value]) {
          giftButton.textContent = giftButton.dataset[frequency.value].replace("%(amount)s", amount);
        } else {
          giftButton.textContent = plain;
        }
      };
      giftForm.addEventListener("change", nameTheGift);
      giftForm.addEventListener("input", nameTheGift);
      nameTheGift();
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
