// Progressive enhancement for the petition form: list similar petitions while the title is typed.
// Without this file the "찾기" form above does the same with a page load.
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("similar-petitions");
  const title = document.querySelector("#petition-form input[name=title]");
  if (!region || !title) return;
  let timer = null;
  let latest = 0;
  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const request = ++latest;
      const url = `${region.dataset.source}?title=${encodeURIComponent(title.value)}`;
      try {
        const response = await fetch(url, { headers: { Accept: "text/html" } });
        // The fragment is rendered and escaped by the server.
        if (response.ok && request === latest) region.innerHTML = await response.text();
      } catch (error) {
        // Offline or the server is busy: the list simply stays as it was.
      }
    }, 400);
  });
});
