"""Chargement du règlement d'examen (Annexe II b, II c, IV) depuis fixtures/reglement/<CODE>.json.

Comme le référentiel, une version chargée est immuable : même fichier → rien ne change ;
fichier différent sous le même code → refusé.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from agora.format import pluriel
from examens.models import CategorieCandidat, CorrespondanceGA, Epreuve, ModaliteEpreuve, ReglementExamen, Session
from referentiel.chargement import VersionDifferente, empreinte
from referentiel.models import Referentiel

DOSSIER = Path(settings.BASE_DIR) / "fixtures" / "reglement"


@transaction.atomic
def charger_reglement(chemin: Path) -> tuple[ReglementExamen, bool]:
    donnees = json.loads(chemin.read_text(encoding="utf-8"))
    signature = empreinte(chemin)
    existant = ReglementExamen.objects.filter(code=donnees["code"]).first()
    if existant:
        if existant.empreinte != signature:
            raise VersionDifferente(
                f"Le règlement {existant.code} déjà chargé diffère de {chemin.name} : "
                "une modification du règlement se charge sous un nouveau code de version."
            )
        return existant, False

    ref = Referentiel.objects.get(code=donnees["referentiel"])
    unites = {u.code: u for u in ref.unites.all()}
    reglement = ReglementExamen.objects.create(
        code=donnees["code"],
        referentiel=ref,
        session_debut=donnees["session_debut"],
        session_fin=donnees.get("session_fin"),
        regles=donnees["regles"],
        pfmp=donnees.get("pfmp", {}),
        empreinte=signature,
    )
    categories = {
        c["code"]: CategorieCandidat.objects.create(
            reglement=reglement, code=c["code"], intitule=c["intitule"], statuts=c["statuts"]
        )
        for c in donnees["categories"]
    }
    epreuves: dict[str, Epreuve] = {}
    for ordre, e in enumerate(donnees["epreuves"], start=1):
        epreuve = Epreuve.objects.create(
            reglement=reglement,
            code=e["code"],
            ordre=ordre,
            intitule=e["intitule"],
            parent=epreuves.get(e["parent"]) if e.get("parent") else None,
            unite=unites[e["unite"]] if e.get("unite") else None,
            coefficient=Decimal(e["coefficient"]) if e.get("coefficient") else None,
            professionnelle=bool(e.get("professionnelle")),
            facultative=bool(e.get("facultative")),
            groupe_controle=e.get("controle") or "",
            remplacable=e.get("remplacable") is not False,
        )
        epreuves[e["code"]] = epreuve
        ModaliteEpreuve.objects.bulk_create(
            ModaliteEpreuve(
                epreuve=epreuve,
                categorie=categories[cat],
                mode=m["mode"],
                duree=m.get("duree", ""),
                remarque=m.get("remarque", ""),
            )
            for cat, m in e.get("modes", {}).items()
        )
    CorrespondanceGA.objects.bulk_create(
        CorrespondanceGA(
            reglement=reglement,
            unite_ga=c["ga"],
            intitule_ga=c.get("ga_intitule", ""),
            unite=unites.get(c["agora"]) if c.get("agora") else None,
        )
        for c in donnees["correspondance_ga"]
    )
    rattacher_sessions(reglement)
    return reglement, True


def rattacher_sessions(reglement: ReglementExamen) -> list[str]:
    """Une version chargée s'applique aux sessions de sa période qui existent déjà ; renvoie ce qui a été fait.

    Chaque élément du règlement (épreuves, modes et durées, durées de PFMP, règles du contrôle) appartient à une
    version valable de `session_debut` à `session_fin` ; une session lit la version la plus récente qui la couvre
    (services.reglement_pour). Charger une version à partir de la session N rattache donc les sessions ≥ N non
    verrouillées, recalcule leurs résultats dans la même transaction et le journalise ; une session verrouillée
    garde la version sous laquelle elle a été délibérée.
    """
    from examens import resultats
    from examens.services import journaliser, reglement_pour

    faits = []
    for session in Session.objects.filter(annee__gte=reglement.session_debut).exclude(reglement=reglement):
        if reglement_pour(session.annee) != reglement:
            continue
        if session.verrouillee:
            faits.append(f"session {session.annee} verrouillée : garde le règlement {session.reglement.code}")
            continue
        if session.jurys.filter(verrouille=True).exists():
            # Changer de règlement recalculerait les résultats d'un jury verrouillé (et son PV validé).
            faits.append(
                f"session {session.annee} : un jury est verrouillé, elle garde le règlement {session.reglement.code}"
            )
            continue
        ancien = session.reglement.code
        session.reglement = reglement
        session.save(update_fields=["reglement"])
        changes = resultats.recalculer_session(Session.objects.select_related("reglement").get(pk=session.pk))
        journaliser(
            action="reglement.rattachement",
            session=session,
            avant={"reglement": ancien},
            apres={"reglement": reglement.code, "resultats_changes": changes},
        )
        faits.append(f"session {session.annee} : {ancien} → {reglement.code}, {pluriel(changes, 'résultat recalculé')}")
    return faits
