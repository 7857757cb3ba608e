// Planificateur du CCF : glisser un candidat (⠿) sur un créneau libre de la commission. Le dépôt remplit le
// formulaire « Déplacer » de la ligne (date, heure, salle du créneau) et l'envoie : le serveur juge comme au
// clavier (même adresse, même service) et, s'il refuse, l'écrit à côté du créneau. Sans JavaScript, le clavier.
(() => {
  const TYPE = "application/x-agora-passage";
  let enCours = null; // le numéro du passage glissé (dataTransfer n'est pas lisible pendant « dragover »)

  document.querySelectorAll("th.ccf-glissable").forEach((poignee) => {
    const ligne = poignee.closest("tr[data-passage]");
    poignee.addEventListener("dragstart", (ev) => {
      enCours = ligne.dataset.passage;
      ev.dataTransfer.setData(TYPE, enCours);
      ev.dataTransfer.setData("text/plain", poignee.textContent.replace("⠿", "").trim());
      ev.dataTransfer.effectAllowed = "move";
      ligne.classList.add("ccf-glisse");
      document.body.classList.add("ccf-en-glisse");
    });
    poignee.addEventListener("dragend", () => {
      enCours = null;
      ligne.classList.remove("ccf-glisse");
      document.body.classList.remove("ccf-en-glisse");
    });
  });

  document.querySelectorAll("tr.ccf-libre").forEach((zone) => {
    zone.addEventListener("dragover", (ev) => {
      if (!enCours) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      zone.classList.add("ccf-survol");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("ccf-survol"));
    zone.addEventListener("drop", (ev) => {
      ev.preventDefault();
      zone.classList.remove("ccf-survol");
      const numero = ev.dataTransfer.getData(TYPE) || enCours;
      const form = numero && document.querySelector(`#passage-${CSS.escape(numero)} form.ccf-deplacer`);
      if (!form) return;
      form.elements.date.value = zone.dataset.date;
      form.elements.debut.value = zone.dataset.debut;
      form.elements.salle.value = zone.dataset.salle;
      let cible = form.elements.cible;
      if (!cible) {
        cible = document.createElement("input");
        cible.type = "hidden";
        cible.name = "cible";
        form.append(cible);
      }
      cible.value = zone.dataset.cible;
      zone.querySelector(".ccf-libre-aide").textContent = "— déplacement en cours…";
      form.requestSubmit();
    });
  });

  // Après un refus, l'erreur est à côté du créneau ou de la ligne : on l'amène sous les yeux.
  document.querySelector("[data-erreur-deplacement]")?.scrollIntoView({ block: "center" });
})();
