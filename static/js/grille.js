// Grille d'évaluation CCF : chaque changement part au serveur dès qu'il est fait, un à la fois, avec la
// version de la grille qu'il modifie ; le serveur refuse (409) si quelqu'un d'autre l'a changée entre-temps.
// Les touches de l'échelle choisissent un niveau et passent à la compétence suivante.
(() => {
  "use strict";
  const form = document.getElementById("grille");
  if (!form) return;

  const url = form.dataset.url;
  const modifiable = form.dataset.modifiable === "1";
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const etat = document.getElementById("etat-enregistrement");
  const alerte = document.getElementById("alerte-grille");
  const info = document.getElementById("info-grille");
  const DELAI_TEXTE = 800;

  let version = parseInt(form.dataset.version, 10);
  const attente = new Map(); // "champ|clé" → changement à envoyer (le plus récent seulement)
  const refus = new Map(); // "champ|clé" → message d'erreur du serveur (non enregistré)
  const minuteurs = new Map();
  let enCours = null;
  let bloque = false; // conflit ou refus : plus rien ne part, la page doit être rechargée
  let quitter = false;
  let tentatives = 0;

  const cle = (el) => `${el.dataset.champ}|${el.dataset.cle || ""}`;
  const valeur = (el) => (el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value);

  function montrerEtat(texte, classe) {
    etat.textContent = texte;
    etat.className = `etat-enregistrement ${classe}`;
  }

  function zoneErreur(k) {
    return form.querySelector(`[data-erreur="${CSS.escape(k)}"]`);
  }

  function elementsDe(k) {
    const [champ, c] = k.split("|");
    const selecteur = c ? `[data-champ="${champ}"][data-cle="${CSS.escape(c)}"]` : `[data-champ="${champ}"]`;
    return form.querySelectorAll(selecteur);
  }

  function marquerErreur(k, message) {
    const zone = zoneErreur(k);
    if (zone) zone.textContent = message || "";
    elementsDe(k).forEach((el) => {
      if (el.type !== "radio") el.classList.toggle("is-invalid", Boolean(message));
      el.setAttribute("aria-invalid", message ? "true" : "false");
    });
    if (message) refus.set(k, message);
    else refus.delete(k);
  }

  function majVersion() {
    form.dataset.version = String(version);
    document.querySelectorAll("form.action-grille input[name=version]").forEach((i) => {
      i.value = String(version);
    });
  }

  function majCalcul(d) {
    const suggeree = d.note_suggeree || "—";
    document.getElementById("note-suggeree").textContent = suggeree;
    document.getElementById("note-suggeree-synthese").textContent = suggeree;
    document.getElementById("note-retenue").textContent = d.note_retenue || "—";
    document.getElementById("calcul").textContent = d.calcul;
    document.getElementById("note_proposee").placeholder = d.note_suggeree || "";
    document.getElementById("justification-requise").classList.toggle("d-none", !d.justification_requise);
    document.getElementById("a-saisir").textContent = d.a_saisir
      ? `${d.a_saisir} compétence${d.a_saisir > 1 ? "s" : ""} à saisir`
      : "toutes les compétences sont renseignées";
    if (!d.a_saisir) {
      const manque = zoneErreur("lignes|");
      if (manque) manque.textContent = "";
    }
    if (d.confirmations_annulees) {
      document.querySelectorAll("[data-confirmation]").forEach((b) => b.remove());
      if (info) {
        document.getElementById("info-texte").textContent =
          "Cette modification annule les confirmations déjà données : chaque membre devra confirmer à nouveau.";
        info.classList.remove("d-none");
      }
    }
  }

  function bloquer(message) {
    bloque = true;
    document.getElementById("alerte-texte").textContent = message;
    alerte.classList.remove("d-none");
    form.querySelectorAll("[data-champ]").forEach((el) => {
      el.disabled = true;
    });
    alerte.querySelector("button").focus();
  }

  function planifier(el, delai) {
    if (!modifiable || bloque) return;
    const k = cle(el);
    attente.set(k, { champ: el.dataset.champ, cle: el.dataset.cle || "", valeur: valeur(el) });
    clearTimeout(minuteurs.get(k));
    minuteurs.delete(k);
    if (delai) {
      montrerEtat("Modification en attente d'enregistrement…", "etat-attente");
      minuteurs.set(
        k,
        setTimeout(() => {
          minuteurs.delete(k);
          envoyer();
        }, delai),
      );
    } else {
      envoyer();
    }
  }

  async function envoyer() {
    if (enCours || bloque) return;
    // Un texte en cours de frappe attend la fin de sa pause, sauf s'il part avec un autre changement.
    const prochaine = [...attente.keys()].find((k) => !minuteurs.has(k));
    if (prochaine === undefined) return;
    const changement = attente.get(prochaine);
    attente.delete(prochaine);
    enCours = changement;
    montrerEtat("Enregistrement…", "etat-encours");
    const corps = new URLSearchParams({ version: String(version), ...changement });
    let reponse;
    let donnees = {};
    try {
      reponse = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
        body: corps,
        credentials: "same-origin",
      });
      donnees = await reponse.json();
    } catch {
      // Réseau coupé ou réponse illisible : le changement reste en attente, on réessaie.
      enCours = null;
      if (!attente.has(prochaine)) attente.set(prochaine, changement);
      tentatives += 1;
      const secondes = Math.min(30, 2 * tentatives);
      montrerEtat(`Non enregistré : connexion perdue, nouvel essai dans ${secondes} s. Ne fermez pas la page.`, "etat-erreur");
      setTimeout(envoyer, secondes * 1000);
      return;
    }
    enCours = null;
    tentatives = 0;
    if (reponse.ok) {
      version = donnees.version;
      majVersion();
      marquerErreur(prochaine, "");
      majCalcul(donnees);
    } else if (reponse.status === 409 || reponse.status === 403) {
      attente.set(prochaine, changement);
      montrerEtat("Non enregistré", "etat-erreur");
      bloquer(donnees.erreur || "La grille ne peut plus être modifiée : rechargez la page.");
      return;
    } else if (reponse.status === 400) {
      marquerErreur(prochaine, donnees.erreur);
    } else {
      attente.set(prochaine, changement);
      montrerEtat(`Non enregistré : erreur du serveur (${reponse.status}), nouvel essai…`, "etat-erreur");
      setTimeout(envoyer, 5000);
      return;
    }
    if ([...attente.keys()].some((k) => !minuteurs.has(k))) {
      envoyer();
    } else if (refus.size) {
      montrerEtat("Non enregistré : corrigez le champ signalé en rouge", "etat-erreur");
    } else if (attente.size) {
      montrerEtat("Modification en attente d'enregistrement…", "etat-attente");
    } else {
      montrerEtat(`Enregistré à ${donnees.enregistre_le || ""}`, "etat-ok");
    }
  }

  function suivante(fieldset) {
    const toutes = [...form.querySelectorAll("fieldset.competence")];
    const apres = toutes[toutes.indexOf(fieldset) + 1];
    if (!apres) return document.getElementById("appreciation");
    return apres.querySelector("input[type=radio]:checked") || apres.querySelector("input[type=radio]");
  }

  form.addEventListener("keydown", (e) => {
    const el = e.target;
    if (el.type !== "radio" || el.dataset.champ !== "niveau" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key.length !== 1) return;
    const fieldset = el.closest("fieldset");
    const choix = fieldset.querySelector(`input[data-touche="${CSS.escape(e.key.toLowerCase())}"]`);
    if (!choix) return;
    e.preventDefault();
    if (!choix.checked) {
      choix.checked = true;
      planifier(choix, 0);
    }
    suivante(fieldset)?.focus();
  });

  form.addEventListener("change", (e) => {
    const el = e.target;
    if (!el.dataset.champ) return;
    if (el.type === "radio" && !el.checked) return;
    planifier(el, 0);
  });

  form.addEventListener("input", (e) => {
    const el = e.target;
    if (!el.dataset.champ || el.type === "radio" || el.type === "checkbox" || el.type === "date") return;
    planifier(el, DELAI_TEXTE);
  });

  // Entrée dans un champ d'une ligne n'envoie pas le formulaire (tout est déjà enregistré).
  form.addEventListener("submit", (e) => e.preventDefault());

  document.querySelectorAll("form.action-grille").forEach((f) => {
    f.addEventListener("submit", (e) => {
      if (attente.size || enCours || refus.size) {
        e.preventDefault();
        montrerEtat("Attendez la fin de l'enregistrement (ou corrigez le champ signalé) avant de continuer.", "etat-erreur");
      } else {
        quitter = true;
      }
    });
  });

  document.getElementById("recharger").addEventListener("click", () => {
    quitter = true;
    window.location.reload();
  });

  window.addEventListener("beforeunload", (e) => {
    if (quitter || !(attente.size || enCours || refus.size)) return;
    e.preventDefault();
    e.returnValue = "";
  });
})();
