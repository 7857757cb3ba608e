"""Les gabarits de grilles versionnés : fichiers fixtures/grilles/<code>-v<version>.json, lignes générées depuis le
référentiel. Une grille commencée garde la version de son gabarit.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.db import transaction

from examens.ccf.notation import Couverture, Echelle, ParametresInvalides
from examens.models import (
    GabaritGrille,
    Grille,
    LigneGabarit,
    MembreCommission,
)
from referentiel.chargement import VersionDifferente, empreinte
from referentiel.models import Competence, Referentiel, Unite

# ---------------------------------------------------------------------------------------------------
# Gabarits : fichiers fixtures/grilles/<code>-v<version>.json, lignes générées depuis le référentiel
# ---------------------------------------------------------------------------------------------------

DOSSIER = Path(settings.BASE_DIR) / "fixtures" / "grilles"
CHAMPS_GABARIT = ("code", "version", "referentiel", "epreuve", "intitule", "echelle", "conversion", "arrondi")
QUALITES = set(MembreCommission.Qualite.values)


def lire_gabarit(donnees: dict) -> dict:
    """Contrôle le contenu d'un fichier de gabarit (sans base) ; lève ParametresInvalides avec tous les messages."""
    if not isinstance(donnees, dict):
        raise ParametresInvalides(["le fichier doit contenir un objet JSON"])
    erreurs = [f"{c} : champ obligatoire" for c in CHAMPS_GABARIT if c not in donnees]
    if erreurs:
        raise ParametresInvalides(erreurs)
    try:
        Echelle.depuis_donnees(donnees["echelle"])
    except ParametresInvalides as e:
        erreurs += e.args[0]
    if not isinstance(donnees["version"], int) or donnees["version"] < 1:
        erreurs.append("version : un entier ≥ 1 est attendu")
    if donnees["conversion"] not in GabaritGrille.Conversion.values:
        erreurs.append(
            f"conversion : {donnees['conversion']!r} inconnue ({', '.join(GabaritGrille.Conversion.values)})"
        )
    if donnees["arrondi"] not in GabaritGrille.Arrondi.values:
        erreurs.append(f"arrondi : {donnees['arrondi']!r} inconnu ({', '.join(GabaritGrille.Arrondi.values)})")
    if donnees.get("situations", 1) not in (1, 2):
        erreurs.append("situations : 1 ou 2")
    formes = donnees.get("formes", ["ccf"])
    if not formes or not set(formes) <= set(Grille.Forme.values):
        erreurs.append(f"formes : une liste parmi {', '.join(Grille.Forme.values)}")
    pieces = donnees.get("pieces", [])
    if not isinstance(pieces, list) or not all(
        isinstance(p, dict) and p.get("code") and p.get("libelle") for p in pieces
    ):
        erreurs.append("pieces : une liste de {code, libelle}")
    couverture = donnees.get("couverture", {})
    try:
        regle = Couverture(
            int(couverture.get("par_activite", 1)), Fraction(str(couverture.get("part_minimale", "2/3")))
        )
        if regle.par_activite < 0 or not 0 <= regle.part_minimale <= 1:
            raise ValueError
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        erreurs.append("couverture : {par_activite: entier ≥ 0, part_minimale: fraction entre 0 et 1, ex. « 2/3 »}")
    compositions = donnees.get("compositions", [])
    if not compositions or not all(isinstance(c, list) and c and set(c) <= QUALITES for c in compositions):
        erreurs.append(f"compositions : une liste de listes de qualités parmi {', '.join(sorted(QUALITES))}")
    if erreurs:
        raise ParametresInvalides(erreurs)
    return donnees


@transaction.atomic
def charger_gabarit(chemin: Path) -> tuple[GabaritGrille, bool]:
    """Charge une version de gabarit ; même fichier → rien ne change ; autre contenu, même version → refusé."""
    try:
        donnees = lire_gabarit(json.loads(chemin.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise ParametresInvalides([f"{chemin.name} : JSON invalide ({e})"]) from None
    except ParametresInvalides as e:
        raise ParametresInvalides([f"{chemin.name} : {m}" for m in e.args[0]]) from None
    signature = empreinte(chemin)
    existant = GabaritGrille.objects.filter(code=donnees["code"], version=donnees["version"]).first()
    if existant:
        if existant.empreinte != signature:
            raise VersionDifferente(
                f"Le gabarit {existant.code} version {existant.version} déjà chargé diffère de {chemin.name} : "
                "une modification se charge sous un nouveau numéro de version."
            )
        return existant, False
    referentiel = Referentiel.objects.filter(code=donnees["referentiel"]).first()
    if referentiel is None:
        raise ParametresInvalides([f"{chemin.name} : référentiel {donnees['referentiel']} non chargé"])
    unite = Unite.objects.filter(referentiel=referentiel, epreuve=donnees["epreuve"]).first()
    competences = list(Competence.objects.filter(bloc__unites=unite).order_by("bloc__ordre", "ordre") if unite else [])
    if not competences:
        raise ParametresInvalides(
            [f"{chemin.name} : l'épreuve {donnees['epreuve']} n'a aucune compétence dans le référentiel"]
        )
    gabarit = GabaritGrille.objects.create(
        code=donnees["code"],
        version=donnees["version"],
        referentiel=referentiel,
        epreuve=donnees["epreuve"],
        intitule=donnees["intitule"],
        source=donnees.get("source", ""),
        situations=donnees.get("situations", 1),
        formes=donnees.get("formes", ["ccf"]),
        echelle=donnees["echelle"],
        conversion=donnees["conversion"],
        arrondi=donnees["arrondi"],
        pieces=donnees.get("pieces", []),
        compositions=donnees["compositions"],
        composition_texte=donnees.get("composition_texte", ""),
        couverture=donnees.get("couverture", {}),
        empreinte=signature,
    )
    LigneGabarit.objects.bulk_create(
        LigneGabarit(gabarit=gabarit, ordre=i, competence=c) for i, c in enumerate(competences, start=1)
    )
    return gabarit, True


def charger_gabarits(dossier: Path = DOSSIER) -> list[tuple[GabaritGrille, bool]]:
    """Charge tous les fichiers du dossier (idempotent) ; ceux dont le référentiel manque sont ignorés."""
    charges = []
    codes_referentiels = set(Referentiel.objects.values_list("code", flat=True))
    for chemin in sorted(dossier.glob("*.json")):
        donnees = json.loads(chemin.read_text(encoding="utf-8"))
        if isinstance(donnees, dict) and donnees.get("referentiel") not in codes_referentiels:
            continue
        charges.append(charger_gabarit(chemin))
    return charges


def gabarits_actifs(referentiel: Referentiel) -> dict[str, GabaritGrille]:
    """Épreuve → dernière version de son gabarit, chargée depuis les fichiers au premier besoin."""
    if not GabaritGrille.objects.filter(referentiel=referentiel).exists():
        charger_gabarits()
    actifs = {}
    for g in GabaritGrille.objects.filter(referentiel=referentiel).order_by("epreuve", "-version"):
        actifs.setdefault(g.epreuve, g)
    return actifs


# Gabarit → (ses données d'échelle, l'échelle lue) : chaque enregistrement automatique la demande deux fois, et la
# lecture (validation comprise) coûtait plus que tout le calcul de la note. Les données lues sont comparées à
# celles du gabarit à chaque appel (quelques niveaux : une comparaison de listes), jamais supposées inchangées.
_ECHELLES: dict[int, tuple[list, Echelle]] = {}


def echelle_de(gabarit: GabaritGrille) -> Echelle:
    connue = _ECHELLES.get(gabarit.pk)
    if connue is not None and connue[0] == gabarit.echelle:
        return connue[1]
    echelle = Echelle.depuis_donnees(gabarit.echelle)
    if gabarit.pk is not None:
        if len(_ECHELLES) >= 256:  # borné : quelques gabarits par version du référentiel
            _ECHELLES.clear()
        _ECHELLES[gabarit.pk] = (json.loads(json.dumps(gabarit.echelle)), echelle)
    return echelle
