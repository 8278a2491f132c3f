// Progressive enhancement for the budget ballot: a running total of the ticked projects against the budget.
// Without this file the confirm step shows the total, and the server refuses a ballot over the budget.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("budget-ballot");
  const panel = document.getElementById("ballot-total");
  if (!form || !panel) return;
  const budget = Number(form.dataset.budget);
  const knapsack = form.dataset.kind === "knapsack";
  const maximum = Number(form.dataset.max);
  const korean = form.dataset.locale === "ko";
  const boxes = Array.from(form.querySelectorAll("input[name=project]"));
  const submit = form.querySelector("button[type=submit]");
  const show = (name) => panel.querySelector(`[data-${name}]`);

  // 130000000 → "1억 3,000만원" (Korean), "130,000,000 won" (English), as the server writes them.
  const money = (value) => {
    if (!korean) return `${value.toLocaleString("en-US")} won`;
    const eok = Math.floor(value / 100000000);
    const man = Math.floor((value % 100000000) / 10000);
    const units = value % 10000;
    const parts = [];
    if (eok) parts.push(`${eok.toLocaleString("ko-KR")}억`);
    if (man) parts.push(`${man.toLocaleString("ko-KR")}만`);
    if (units || !parts.length) parts.push(units.toLocaleString("ko-KR"));
    return `${parts.join(" ")}원`;
  };

  const update = () => {
    const chosen = boxes.filter((box) => box.checked);
    const total = chosen.reduce((sum, box) => sum + Number(box.dataset.cost), 0);
    const over = knapsack ? total > budget : chosen.length > maximum;
    show("total-count").textContent = chosen.length.toLocaleString(korean ? "ko-KR" : "en-US");
    show("total-cost").textContent = money(total);
    if (knapsack) show("total-left").textContent = over ? money(0) : money(budget - total);
    const bar = show("total-bar");
    bar.value = Math.min(knapsack ? total : chosen.length, Number(bar.max));
    show("over").hidden = !over;
    panel.classList.toggle("over-budget", over);
    submit.disabled = over || chosen.length === 0;
    // A project that no longer fits in what is left is marked, so the voter sees what they can still add.
    boxes.forEach((box) => {
      const fits = box.checked || !knapsack || total + Number(box.dataset.cost) <= budget;
      box.closest("li").classList.toggle("does-not-fit", !fits);
    });
  };

  panel.hidden = false;
  boxes.forEach((box) => box.addEventListener("change", update));
  update();
});
