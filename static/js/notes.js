// Saisie des notes au clavier : chaque case est enregistrée quand on la quitte (validation serveur),
// Entrée descend d'une ligne, l'état de chaque case est affiché, et l'on prévient avant de quitter
// la page si une note n'est pas encore enregistrée.
(function () {
  "use strict";
  const champs = Array.from(document.querySelectorAll("input.saisie-note"));
  const choix = document.getElementById("choix-unite");
  if (choix) {
    choix.addEventListener("change", () => {
      window.location = choix.dataset.urlModele.replace("UNITE", choix.value) + window.location.search;
    });
  }
  if (!champs.length) return;

  const jeton = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";
  const enCours = new Set();

  function etat(champ, texte, classe) {
    const zone = document.getElementById(champ.getAttribute("aria-describedby"));
    zone.innerHTML = "";
    const span = document.createElement("span");
    span.className = classe;
    span.textContent = texte;
    zone.appendChild(span);
  }

  function nonEnregistre(champ) {
    return champ.value.trim() !== (champ.dataset.enregistre || "");
  }

  async function enregistrer(champ) {
    if (!nonEnregistre(champ) || champ.value.trim() === "") {
      if (champ.value.trim() === "" && champ.dataset.enregistre) champ.value = champ.dataset.enregistre;
      return;
    }
    enCours.add(champ);
    champ.classList.add("is-saving");
    etat(champ, "enregistrement…", "text-muted");
    const corps = new URLSearchParams({ note: champ.value.trim(), groupe: champ.dataset.groupe });
    try {
      const reponse = await fetch(champ.dataset.url, {
        method: "POST",
        headers: { "X-CSRFToken": jeton, "Content-Type": "application/x-www-form-urlencoded" },
        body: corps,
        credentials: "same-origin",
      });
      const donnees = await reponse.json().catch(() => ({ ok: false, erreur: "réponse illisible du serveur" }));
      if (donnees.ok) {
        champ.value = donnees.affichage;
        champ.dataset.enregistre = donnees.affichage;
        champ.classList.remove("is-invalid");
        champ.setAttribute("aria-invalid", "false");
        etat(champ, donnees.etat || "enregistrée", "etat-enregistre");
      } else {
        champ.classList.add("is-invalid");
        champ.setAttribute("aria-invalid", "true");
        etat(champ, donnees.erreur || "refusée", "etat-erreur");
      }
    } catch (e) {
      champ.classList.add("is-invalid");
      etat(champ, "non enregistrée : connexion perdue, réessayez", "etat-erreur");
    } finally {
      enCours.delete(champ);
      champ.classList.remove("is-saving");
      resume();
    }
  }

  function resume() {
    const erreurs = champs.filter((c) => c.classList.contains("is-invalid")).length;
    const saisies = champs.filter((c) => c.dataset.enregistre).length;
    document.getElementById("resume-saisie").textContent =
      `${saisies} note${saisies > 1 ? "s" : ""} enregistrée${saisies > 1 ? "s" : ""} sur ${champs.length}` +
      (erreurs ? ` — ${erreurs} à corriger` : "");
  }

  champs.forEach((champ, i) => {
    champ.addEventListener("blur", () => enregistrer(champ));
    champ.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        const suivant = champs[i + (ev.shiftKey ? -1 : 1)];
        if (suivant) suivant.focus(); else champ.blur();
      } else if (ev.key === "Escape") {
        champ.value = champ.dataset.enregistre || "";
      }
    });
    champ.addEventListener("focus", () => champ.select());
  });

  window.addEventListener("beforeunload", (ev) => {
    if (enCours.size || champs.some((c) => nonEnregistre(c) && c.value.trim() !== "")) {
      ev.preventDefault();
      ev.returnValue = "";
    }
  });
  resume();
})();
