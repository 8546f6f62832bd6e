// Sets the theme before the first paint so a dark page never flashes light. A file, not an inline script:
// the Content-Security-Policy (default-src 'self') allows no inline script.
(() => {
  let saved = null;
  try {
    saved = localStorage.getItem("outbound-sync:theme");
  } catch (error) {
    console.warn("Saved theme unavailable", error);
  }
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const theme = saved === "light" || saved === "dark" ? saved : systemDark ? "dark" : "light";
  document.documentElement.dataset.theme = theme;
})();
