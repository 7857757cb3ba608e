// Grille d'évaluation CCF : chaque changement part au serveur dès qu'il est fait, un à la fois, avec la
// version de la grille et la valeur que le champ avait quand la page l'a lue (« origine ») : le serveur accepte
// tout changement d'un champ que personne d'autre n'a touché, et ne refuse (409) que le même champ changé des
// deux côtés, en montrant les deux valeurs pour choisir. Les touches de l'échelle choisissent un niveau et passent
// à la compétence suivante ; Ctrl + Entrée mène au candidat suivant.
(() => {
  "use strict";
  const form = document.getElementById("grille");
  if (!form) return;

  // Sur tablette, les indicateurs se replient pour que la grille tienne en une colonne (un toucher les déplie).
  if (window.matchMedia("(max-width: 1024px)").matches) {
    document.querySelectorAll("details.indicateurs").forEach((d) => d.removeAttribute("open"));
  }

  const url = form.dataset.url;
  const modifiable = form.dataset.modifiable === "1";
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const etat = document.getElementById("etat-enregistrement");
  const alerte = document.getElementById("alerte-grille");
  const info = document.getElementById("info-grille");
  const DELAI_TEXTE = 800;

  let version = parseInt(form.dataset.version, 10);
  const origines = new Map(); // "champ|clé" → valeur lue au chargement ou au dernier enregistrement
  const attente = new Map(); // "champ|clé" → changement à envoyer (le plus récent seulement)
  let conflit = null; // { k, changement, enregistree } : le champ changé des deux côtés, en attente d'un choix
  let apres = null; // action à faire quand tout est enregistré (confirmer, candidat suivant)
  const refus = new Map(); // "champ|clé" → message d'erreur du serveur (non enregistré)
  const minuteurs = new Map();
  let enCours = null;
  let bloque = false; // conflit ou refus : plus rien ne part, la page doit être rechargée
  let quitter = false;
  let tentatives = 0;

  const cle = (el) => `${el.dataset.champ}|${el.dataset.cle || ""}`;
  const valeur = (el) => (el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value);

  // Brouillon local : les textes non encore confirmés par le serveur restent dans le navigateur (rechargement,
  // panne, connexion perdue) et sont proposés au retour.
  const CLE_BROUILLON = `agora-grille:${url}`;
  const lireBrouillon = () => {
    try {
      return JSON.parse(localStorage.getItem(CLE_BROUILLON) || "{}");
    } catch {
      return {};
    }
  };
  const ecrireBrouillon = (b) => {
    try {
      if (Object.keys(b).length) localStorage.setItem(CLE_BROUILLON, JSON.stringify(b));
      else localStorage.removeItem(CLE_BROUILLON);
    } catch {
      // stockage plein ou interdit : le brouillon ne survivra pas à un rechargement, l'envoi continue
    }
  };
  const estTexte = (el) => el.tagName === "TEXTAREA" || (el.type === "text" && el.dataset.champ !== "date_situation");

  form.querySelectorAll("[data-champ]").forEach((el) => {
    const k = cle(el);
    if (el.type === "radio") {
      if (el.checked) origines.set(k, el.value);
      else if (!origines.has(k)) origines.set(k, "");
    } else {
      origines.set(k, valeur(el));
    }
  });

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
    attente.set(k, { champ: el.dataset.champ, cle: el.dataset.cle || "", valeur: valeur(el), origine: origines.get(k) ?? "" });
    if (estTexte(el)) {
      const b = lireBrouillon();
      b[k] = { valeur: valeur(el), origine: origines.get(k) ?? "" };
      ecrireBrouillon(b);
    }
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
    const prochaine = [...attente.keys()].find((k) => !minuteurs.has(k) && !(conflit && conflit.k === k));
    if (prochaine === undefined) {
      terminer();
      return;
    }
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
      montrerEtat(`Non enregistré : connexion perdue, nouvel essai dans ${secondes} s.`, "etat-erreur");
      horsLigne(true);
      setTimeout(envoyer, secondes * 1000);
      return;
    }
    enCours = null;
    tentatives = 0;
    horsLigne(false);
    if (reponse.ok) {
      version = donnees.version;
      majVersion();
      origines.set(prochaine, changement.valeur);
      const b = lireBrouillon();
      if (b[prochaine] && b[prochaine].valeur === changement.valeur) {
        delete b[prochaine];
        ecrireBrouillon(b);
      }
      marquerErreur(prochaine, "");
      majCalcul(donnees);
    } else if (reponse.status === 409 && donnees.conflit_champ) {
      montrerConflit(prochaine, changement, donnees);
      montrerEtat("Non enregistré : ce champ a changé ailleurs, choisissez la valeur à garder", "etat-erreur");
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
    if ([...attente.keys()].some((k) => !minuteurs.has(k) && !(conflit && conflit.k === k))) {
      envoyer();
    } else if (conflit) {
      // le choix attend le membre
    } else if (refus.size) {
      montrerEtat("Non enregistré : corrigez le champ signalé en rouge", "etat-erreur");
    } else if (attente.size) {
      montrerEtat("Modification en attente d'enregistrement…", "etat-attente");
    } else {
      montrerEtat(`Enregistré à ${donnees.enregistre_le || ""}`, "etat-ok");
    }
  }

  function horsLigne(oui) {
    const bandeau = document.getElementById("hors-ligne");
    if (!bandeau) return;
    const n = attente.size + (enCours ? 1 : 0);
    bandeau.textContent = `Hors ligne — ${n} changement${n > 1 ? "s" : ""} en attente : ${n > 1 ? "ils seront enregistrés" : "il sera enregistré"} dès le retour de la connexion. Ne fermez pas la page.`;
    bandeau.classList.toggle("d-none", !oui);
  }

  window.addEventListener("offline", () => horsLigne(true));
  window.addEventListener("online", () => {
    tentatives = 0;
    envoyer();
  });

  // Au chargement : un brouillon local dont la valeur diffère de celle enregistrée est proposé.
  const retrouves = Object.entries(lireBrouillon()).filter(([k, d]) => {
    const el = elementsDe(k)[0];
    return el && !el.disabled && d.valeur !== valeur(el);
  });
  if (retrouves.length && modifiable) {
    const zone = document.getElementById("brouillon-local");
    document.getElementById("brouillon-texte").textContent =
      `Texte non enregistré retrouvé dans ce navigateur pour ${retrouves.length} champ${retrouves.length > 1 ? "s" : ""} (saisie interrompue).`;
    zone.classList.remove("d-none");
    document.getElementById("brouillon-retablir").addEventListener("click", () => {
      retrouves.forEach(([k, d]) => {
        const el = elementsDe(k)[0];
        el.value = d.valeur;
        attente.set(k, { champ: el.dataset.champ, cle: el.dataset.cle || "", valeur: d.valeur, origine: d.origine });
      });
      zone.classList.add("d-none");
      envoyer();
    });
    document.getElementById("brouillon-ignorer").addEventListener("click", () => {
      ecrireBrouillon({});
      zone.classList.add("d-none");
    });
  } else if (!retrouves.length) {
    ecrireBrouillon({});
  }

  function afficher(k, texte) {
    // « S » → « S · Satisfaisant » pour un niveau ; le reste tel quel ; vide → « (vide) ».
    if (!texte) return "(vide)";
    if (k.startsWith("niveau|")) {
      const radio = form.querySelector(`input[data-champ="niveau"][value="${CSS.escape(texte)}"]`);
      return radio ? `${texte} · ${radio.dataset.libelle || radio.title || ""}`.trim() : texte;
    }
    if (k.startsWith("piece|") || k.startsWith("dossier_non_produit|") || k.startsWith("justificatifs_manquants|")) {
      return texte === "1" ? "cochée" : "non cochée";
    }
    return texte;
  }

  function montrerConflit(k, changement, donnees) {
    const c = donnees.conflit_champ;
    conflit = { k, changement, enregistree: c.enregistree };
    attente.set(k, changement);
    document.getElementById("conflit-texte").textContent = donnees.erreur;
    document.getElementById("conflit-votre").textContent = afficher(k, c.votre);
    document.getElementById("conflit-autre").textContent = afficher(k, c.enregistree);
    document.getElementById("conflit-legende-autre").textContent = `Valeur enregistrée par ${c.par}${c.a ? ` à ${c.a}` : ""}`;
    const zone = document.getElementById("conflit-champ");
    zone.classList.remove("d-none");
    document.getElementById("conflit-garder").focus();
  }

  function fermerConflit() {
    document.getElementById("conflit-champ").classList.add("d-none");
    conflit = null;
  }

  function appliquerValeur(k, texte) {
    elementsDe(k).forEach((el) => {
      if (el.type === "radio") el.checked = el.value === texte;
      else if (el.type === "checkbox") el.checked = texte === "1";
      else el.value = texte;
    });
  }

  document.getElementById("conflit-garder").addEventListener("click", () => {
    if (!conflit) return;
    // Garder sa valeur : elle remplace celle enregistrée, en connaissance de cause.
    const { k, changement, enregistree } = conflit;
    origines.set(k, enregistree);
    attente.set(k, { ...changement, origine: enregistree });
    fermerConflit();
    envoyer();
  });

  document.getElementById("conflit-prendre").addEventListener("click", () => {
    if (!conflit) return;
    const { k, enregistree } = conflit;
    origines.set(k, enregistree);
    attente.delete(k);
    appliquerValeur(k, enregistree);
    fermerConflit();
    montrerEtat("Valeur enregistrée reprise", "etat-ok");
    envoyer();
  });

  // Quand plus rien n'attend (ni envoi, ni erreur, ni conflit), l'action demandée (confirmer, suivant) part.
  function terminer() {
    if (!apres || enCours || conflit || refus.size || [...attente.keys()].length) return;
    const action = apres;
    apres = null;
    quitter = true;
    action();
  }

  function quandToutEstEnregistre(action) {
    apres = action;
    // Les textes en pause partent tout de suite : le clic sur un bouton ne doit pas attendre la frappe suivante.
    minuteurs.forEach((m) => clearTimeout(m));
    minuteurs.clear();
    if (attente.size || enCours) {
      montrerEtat("Enregistrement des dernières modifications…", "etat-encours");
      envoyer();
    } else {
      terminer();
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

  let parClavier = false;
  form.addEventListener("keydown", () => {
    parClavier = true;
  }, true);
  form.addEventListener("pointerdown", () => {
    parClavier = false;
  }, true);

  form.addEventListener("change", (e) => {
    const el = e.target;
    if (!el.dataset.champ) return;
    if (el.type === "radio" && !el.checked) return;
    planifier(el, 0);
    // Après un clic sur un niveau, le clavier suit : la touche suivante vaut pour la compétence suivante.
    if (el.type === "radio" && el.dataset.champ === "niveau" && !parClavier) suivante(el.closest("fieldset"))?.focus();
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    const lien = document.getElementById("candidat-suivant");
    if (!lien) return;
    e.preventDefault();
    quandToutEstEnregistre(() => {
      window.location.href = lien.href;
    });
  });

  document.getElementById("candidat-suivant")?.addEventListener("click", (e) => {
    e.preventDefault();
    const href = e.currentTarget.href;
    quandToutEstEnregistre(() => {
      window.location.href = href;
    });
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
      if (refus.size || conflit) {
        e.preventDefault();
        montrerEtat("Corrigez le champ signalé (ou choisissez la valeur à garder) avant de continuer.", "etat-erreur");
      } else if (attente.size || enCours || minuteurs.size) {
        // Le dernier texte tapé part d'abord, puis l'action : un seul clic suffit.
        e.preventDefault();
        quandToutEstEnregistre(() => {
          f.querySelector("input[name=version]").value = String(version);
          HTMLFormElement.prototype.submit.call(f);
        });
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
