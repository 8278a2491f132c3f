// Keyboard shortcuts on every moderation queue (templates/macros/queues.html). Progressive enhancement: each
// act is a plain form without them, and a shortcut only presses that form's button.
// j / k: next / previous item · x: tick it for the bulk action · p: publish · d: keep (dismiss the reports)
// · r: go to the reason of a reject or hide (which still needs the ticked confirmation).
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
  function press(item, action) {
    var button = item.querySelector("button[name=action][value=" + action + "]");
    if (button) { button.click(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName)) {
      return;
    }
    var item = items[current];
    if (event.key === "j") { focusItem(current + 1); }
    else if (event.key === "k") { focusItem(current - 1); }
    else if (item && event.key === "x") { var box = item.querySelector("input[name=items]"); if (box) { box.checked = !box.checked; } }
    else if (item && event.key === "p") { press(item, "publish"); }
    else if (item && event.key === "d") { press(item, "dismiss"); }
    else if (item && event.key === "r") { var reason = item.querySelector("select[name=reason_code]"); if (reason) { reason.focus(); } }
    else { return; }
    event.preventDefault();
  });
}());
