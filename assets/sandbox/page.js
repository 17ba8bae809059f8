// Live remaining amount: the page works without this script; it only shows what the card will have to pay.
(function () {
  var form = document.getElementById("pay-form");
  if (!form) return;
  var amount = parseInt(form.getAttribute("data-amount"), 10);
  var balances = JSON.parse(form.getAttribute("data-balances"));
  var lang = document.documentElement.lang;
  var completeRemaining = form.getAttribute("data-complete-remaining") === "true";
  var out = document.getElementById("remaining-amount");
  var box = document.getElementById("remaining");
  var cardSection = document.getElementById("card-section");
  function format(cents) {
    var euros = Math.floor(cents / 100), rest = String(cents % 100).padStart(2, "0");
    return lang === "fr" ? euros + "," + rest + "\u00a0€" : "€" + euros + "." + rest;
  }
  function update() {
    var left = amount;
    for (var i = 1; i <= 3; i++) {
      var field = form.elements["giftcard" + i + "_number"];
      var n = field ? field.value.replace(/\s+/g, "") : "";
      if (n && Object.prototype.hasOwnProperty.call(balances, n)) {
        left -= Math.min(balances[n], left);
      }
    }
    out.textContent = format(left);
    box.classList.remove("hidden");
    if (cardSection && completeRemaining) {
      cardSection.classList.toggle("hidden", left === 0);
    }
  }
  form.addEventListener("input", update);
  update();
})();
