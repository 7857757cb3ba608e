/* PFMP : impression, confirmation des suppressions, brouillons des formulaires (rien de perdu au rechargement),
   semaines civiles proposées d'après les dates. Aucun script en ligne : la CSP l'interdit. */
(function () {
  "use strict";

  document.querySelectorAll("[data-imprimer]").forEach(function (bouton) {
    bouton.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("form[data-confirmer]").forEach(function (form) {
    form.addEventListener("submit", function (evenement) {
      if (!window.confirm(form.dataset.confirmer)) { evenement.preventDefault(); }
    });
  });

  // Brouillon : chaque saisie est gardée dans le navigateur jusqu'à l'envoi du formulaire, puis effacée.
  var DUREE = 7 * 24 * 3600 * 1000;
  document.querySelectorAll("form[data-brouillon]").forEach(function (form) {
    var cle = "brouillon:" + form.dataset.brouillon;
    var etat = form.querySelector("[data-brouillon-etat]");
    var champs = function () {
      return Array.prototype.filter.call(form.elements, function (e) {
        return e.name && e.name !== "csrfmiddlewaretoken" && e.type !== "submit" && e.type !== "hidden";
      });
    };
    var lire = function () {
      try { return JSON.parse(window.localStorage.getItem(cle) || "null"); } catch (e) { return null; }
    };
    var enregistrer = function () {
      var valeurs = {};
      champs().forEach(function (e) {
        if (e.type === "checkbox" || e.type === "radio") {
          if (e.checked) { (valeurs[e.name] = valeurs[e.name] || []).push(e.value); }
          else if (!(e.name in valeurs)) { valeurs[e.name] = valeurs[e.name] || []; }
        } else {
          valeurs[e.name] = e.value;
        }
      });
      try { window.localStorage.setItem(cle, JSON.stringify({ date: Date.now(), valeurs: valeurs })); } catch (e) { /* stockage plein ou interdit */ }
      if (etat) { etat.textContent = "Brouillon gardé dans ce navigateur à " + new Date().toLocaleTimeString("fr-FR") + "."; }
    };
    var brouillon = lire();
    // Une page renvoyée avec des erreurs montre déjà la saisie envoyée : on ne l'écrase pas.
    var erreurs = form.querySelector(".is-invalid, .alert-danger");
    if (brouillon && Date.now() - brouillon.date < DUREE && !erreurs) {
      champs().forEach(function (e) {
        if (!(e.name in brouillon.valeurs)) { return; }
        var v = brouillon.valeurs[e.name];
        if (e.type === "checkbox" || e.type === "radio") { e.checked = Array.isArray(v) && v.indexOf(e.value) !== -1; }
        else { e.value = v; }
      });
      var avis = document.createElement("div");
      avis.className = "alert alert-info d-flex align-items-center gap-2 py-2 small";
      avis.setAttribute("role", "status");
      avis.textContent = "Saisie non envoyée restaurée depuis ce navigateur.";
      var effacer = document.createElement("button");
      effacer.type = "button";
      effacer.className = "btn btn-link btn-sm ms-auto";
      effacer.textContent = "Repartir de la page enregistrée";
      effacer.addEventListener("click", function () { window.localStorage.removeItem(cle); window.location.reload(); });
      avis.appendChild(effacer);
      form.insertBefore(avis, form.firstChild.nextSibling);
    } else if (brouillon) {
      window.localStorage.removeItem(cle);
    }
    form.addEventListener("input", enregistrer);
    form.addEventListener("change", enregistrer);
    form.addEventListener("submit", function () { window.localStorage.removeItem(cle); });
  });

  // Semaines civiles entamées entre deux dates, proposées dans le champ « semaines » laissé vide.
  var debut = document.getElementById("id_date_debut");
  var fin = document.getElementById("id_date_fin");
  var semaines = document.getElementById("id_semaines");
  if (debut && fin && semaines) {
    var proposer = function () {
      var d = Date.parse(debut.value), f = Date.parse(fin.value);
      if (isNaN(d) || isNaN(f) || f < d) { return; }
      var nombre = Math.ceil((Math.round((f - d) / 86400000) + 1) / 7);
      semaines.placeholder = String(Math.min(nombre, 22));
    };
    debut.addEventListener("change", proposer);
    fin.addEventListener("change", proposer);
    proposer();
  }
}());
