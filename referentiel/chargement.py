"""Chargement d'une version du référentiel depuis son fichier JSON (fixtures/referentiel/<CODE>.json).

Une version chargée est immuable : recharger le même fichier ne change rien ; un fichier différent
sous le même code est refusé (une modification du référentiel est une nouvelle version).
"""

import hashlib
import json
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Tache, Unite

DOSSIER = Path(settings.BASE_DIR) / "fixtures" / "referentiel"


class VersionDifferente(Exception):
    pass


def empreinte(chemin: Path) -> str:
    return hashlib.sha256(chemin.read_bytes()).hexdigest()


@transaction.atomic
def charger_referentiel(chemin: Path) -> tuple[Referentiel, bool]:
    """Charge le fichier ; renvoie (référentiel, créé ?)."""
    donnees = json.loads(chemin.read_text(encoding="utf-8"))
    signature = empreinte(chemin)
    existant = Referentiel.objects.filter(code=donnees["code"]).first()
    if existant:
        if existant.empreinte != signature:
            raise VersionDifferente(
                f"Le référentiel {existant.code} déjà chargé diffère de {chemin.name} : "
                "une modification du référentiel se charge sous un nouveau code de version."
            )
        return existant, False

    ref = Referentiel.objects.create(
        code=donnees["code"],
        intitule=donnees["intitule"],
        date_arrete=date.fromisoformat(donnees["arrete"]),
        premiere_session=donnees["premiere_session"],
        empreinte=signature,
    )
    blocs = {}
    bloc_de_activite = {}
    for ordre, b in enumerate(donnees["blocs"], start=1):
        bloc = Bloc.objects.create(
            referentiel=ref,
            code=b["code"],
            ordre=ordre,
            intitule=b["intitule"],
            type=b["type"],
            niveau=b.get("niveau", ""),
            conditions_exercice=b.get("conditions_exercice", ""),
        )
        blocs[b["code"]] = bloc
        bloc_de_activite.update({code: bloc for code in b.get("activites", [])})
        Competence.objects.bulk_create(
            Competence(bloc=bloc, ordre=i, intitule=t) for i, t in enumerate(b["competences"], start=1)
        )
        Savoir.objects.bulk_create(
            Savoir(bloc=bloc, ordre=i, famille=s["famille"], intitule=s["intitule"], indications=s["indications"])
            for i, s in enumerate(b["savoirs"], start=1)
        )

    rang_dans_bloc: dict[str, int] = {}
    for p in donnees["poles"]:
        pole = Pole.objects.create(
            referentiel=ref,
            numero=p["numero"],
            intitule=p["intitule"],
            description=p.get("description", ""),
            resultats_attendus=p.get("resultats_attendus", []),
        )
        for a in p["activites"]:
            bloc = bloc_de_activite[a["code"]]
            activite = Activite.objects.create(
                pole=pole,
                code=a["code"],
                intitule=a["intitule"],
                bloc=bloc,
                conditions_exercice=a.get("conditions_exercice", ""),
                resultats_attendus=a.get("resultats_attendus", []),
            )
            Tache.objects.bulk_create(
                Tache(activite=activite, ordre=i, intitule=t) for i, t in enumerate(a["taches"], 1)
            )
            Indicateur.objects.bulk_create(
                Indicateur(activite=activite, ordre=i, intitule=t) for i, t in enumerate(a["indicateurs"], 1)
            )
            competences = []
            for intitule in a["competences"]:
                rang_dans_bloc[bloc.code] = rang_dans_bloc.get(bloc.code, 0) + 1
                competences.append(
                    Competence(bloc=bloc, activite=activite, ordre=rang_dans_bloc[bloc.code], intitule=intitule)
                )
            Competence.objects.bulk_create(competences)

    for ordre, u in enumerate(donnees["unites"], start=1):
        unite = Unite.objects.create(
            referentiel=ref, code=u["code"], ordre=ordre, intitule=u["intitule"], epreuve=u["epreuve"]
        )
        unite.blocs.set([bloc for bloc in blocs.values() if u["code"] in _unites_du_bloc(donnees, bloc.code)])
    return ref, True


def _unites_du_bloc(donnees: dict, code_bloc: str) -> list[str]:
    return next(b["unites"] for b in donnees["blocs"] if b["code"] == code_bloc)
