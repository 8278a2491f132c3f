// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // A form that came back with errors: the summary (its links lead to the fields) gets the focus.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // The phone header: one row with a menu button; the menus open below it (CSS shows the button on narrow
  // screens only). Without this file both menus simply stay open.
  const button = document.querySelector(".menu-button");
  const menu = document.getElementById("site-menu");
  if (button && menu) {
    button.hidden = false;
    document.documentElement.classList.add("has-menu-button");
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.click();
        button.focus();
      }
    });
  }

  // On a phone a list's search and filters fold into one line (open when a filter is in force), so that the
  // list itself comes first. Without this file, or on a wide screen, the form is shown as it is.
  if (window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("form[data-fold]").forEach((form) => {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      details.className = "fold";
      summary.textContent = form.dataset.fold;
      details.open = new URLSearchParams(window.location.search).toString() !== "";
      form.replaceWith(details);
      details.append(summary, form);
    });
  }

  // Share links: the system's share sheet where there is one, otherwise copy the address.
  document.querySelectorAll("[data-share]").forEach((control) => {
    control.hidden = false;
    control.addEventListener("click", async () => {
      const url = control.dataset.share;
      try {
        if (navigator.share) {
          await navigator.share({ title: document.title, url });
        } else {
          await navigator.clipboard.writeText(url);
          const status = document.getElementById(control.getAttribute("aria-controls"));
          if (status) status.textContent = control.dataset.copied;
        }
      } catch (error) {
        // The person closed the share sheet, or the clipboard is not available: the link is still there.
      }
    });
  });

  // Copy buttons (hidden without JavaScript, where the file download serves instead).
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    const status = button.closest(".card")?.querySelector("[data-copy-status]");
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.textContent.trim());
      if (status) status.textContent = button.dataset.copied;
    });
  });
});
