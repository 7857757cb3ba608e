// Demande confirmation avant d'envoyer un formulaire lourd de conséquences (verrouillage…).
document.querySelectorAll("form.confirmer").forEach((form) => {
  form.addEventListener("submit", (ev) => {
    if (!window.confirm(form.dataset.message || "Confirmer ?")) ev.preventDefault();
  });
});
