document.getElementById("imprimer")?.addEventListener("click", () => window.print());
