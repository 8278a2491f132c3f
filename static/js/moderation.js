// Keyboard shortcuts on a moderation queue (progressive enhancement: every action is a plain form without them).
// j / k: next / previous item · x: tick it for the bulk action · p: publish it · r: go to its reason.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  if (!items.length) { return; }
  var hint = document.querySelector(".js-only");
  if (hint) { hint.hidden = false; }
  var current = -1;
  function focusItem(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items[current].focus();
    items[current].scrollIntoView({block: "nearest"});
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName)) {
      return;
    }
    var item = items[current];
    if (event.key === "j") { focusItem(current + 1); }
    else if (event.key === "k") { focusItem(current - 1); }
    else if (item && event.key === "x") { var box = item.querySelector("input[name=ids]"); if (box) { box.checked = !box.checked; } }
    else if (item && event.key === "p") { var publish = item.querySelector("form[action*='/publish'] button"); if (publish) { publish.click(); } }
    else if (item && event.key === "r") { var reason = item.querySelector("select[name=reason_code]"); if (reason) { reason.focus(); } }
    else { return; }
    event.preventDefault();
  });
}());
