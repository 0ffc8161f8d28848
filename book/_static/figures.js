// Click (or Enter) on a figure to see it larger: figures are drawn for the text column at twice its
// resolution, so on a phone, where the column is narrow, the enlarged view is where they are read.
document.addEventListener("DOMContentLoaded", () => {
  const open = (img) => {
    const overlay = document.createElement("div");
    overlay.className = "ab-zoom";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-label", "Enlarged figure; click or press Escape to close");
    const big = img.cloneNode();
    big.removeAttribute("width");
    big.removeAttribute("height");
    big.style.width = Math.min(img.naturalWidth, Math.max(window.innerWidth - 32, 680)) + "px";
    overlay.appendChild(big);
    const close = () => { overlay.remove(); document.removeEventListener("keydown", onKey); img.focus(); };
    const onKey = (e) => { if (e.key === "Escape") close(); };
    overlay.addEventListener("click", close);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(overlay);
  };
  document.querySelectorAll("img[src*='_images/']").forEach((img) => {
    img.classList.add("ab-zoomable");
    img.tabIndex = 0;
    img.setAttribute("role", "button");
    img.title = "Click to enlarge";
    // Sphinx wraps a scaled image in a link to its file: open the overlay instead of leaving the page
    img.addEventListener("click", (e) => { e.preventDefault(); open(img); });
    img.addEventListener("keydown", (e) => { if (e.key === "Enter") open(img); });
  });
});
