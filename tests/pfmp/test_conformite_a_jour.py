"""Conformité de tout candidat, toujours à jour : dès l'import ou le formulaire, recalculée dans la transaction de
chaque écriture, sans étape « Recalculer les blocages » ; calcul en masse identique au chemin candidat par candidat."""

import datetime
import random
from decimal import Decimal

import pytest

from examens import services as examens_services
from examens.imports import importer_candidats, valider_candidat
from examens.models import Blocage, Candidat, Resultat
from pfmp import regles_pfmp, selectors, services
from pfmp.models import DossierPfmp, EtatConformite
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, csv_bytes, ligne_candidat
from tests.pfmp.outils import PREMIERE, SECONDE, TERMINALE, J, periode
from tests.pfmp.test_generation import generes  # noqa: F401 (fixture : ~150 candidats de tous statuts)

pytestmark = pytest.mark.django_db


def decision(candidat) -> str:
    return Resultat.objects.get(candidat=candidat).decision


def bloque(candidat) -> bool:
    return Blocage.objects.filter(candidat=candidat, source="pfmp").exists()


# ---------------------------------------------------------------------------------------------------
# Dès qu'il existe
# ---------------------------------------------------------------------------------------------------


def test_un_scolaire_importe_sans_pfmp_est_bloque_aussitot_un_apprenti_non():
    importer_candidats(
        contenu=csv_bytes(
            ENTETE_CANDIDATS, ligne_candidat("A001"), ligne_candidat("A002", statut="apprenti_cfa_habilite")
        ),
        nom_fichier="c.csv",
        annee=2026,
    )
    scolaire, apprenti = Candidat.objects.get(numero="A001"), Candidat.objects.get(numero="A002")
    # Aucune étape de recalcul : l'import a posé le blocage et recalculé le résultat dans sa transaction.
    assert bloque(scolaire) and decision(scolaire) == "non_delivrable"
    assert not bloque(apprenti) and decision(apprenti) == "incomplet"
    etats = {e.candidat_id: e for e in EtatConformite.objects.all()}
    assert (etats[scolaire.pk].niveau, etats[scolaire.pk].semaines_manquantes) == ("a_risque", Decimal(22))
    assert etats[scolaire.pk].motif == "0 semaine attestée sur 22 requises : il manque 22 semaines"
    assert etats[apprenti.pk].niveau == "conforme"


FORMULAIRE = {
    "numero_candidat": "F001",
    "nom": "MARTIN",
    "prenom": "Léa",
    "date_naissance": "28/02/2008",
    "uai": "0750001U",
    "statut": "scolaire_public",
    "forme": "globale",
    "lv1": "en",
    "lv2": "es",
    "duree_cycle": "3",
}


def test_un_candidat_cree_au_formulaire_est_bloque_aussitot(comptes):
    reponse = comptes.client(comptes.administrateur).post("/examens/sessions/2026/candidats/nouveau/", FORMULAIRE)
    assert reponse.status_code == 302
    c = Candidat.objects.get(numero="F001")
    assert bloque(c) and decision(c) == "non_delivrable"
    page = comptes.client(comptes.administrateur).get(f"/examens/candidats/{c.pk}/").content.decode()
    assert "Non délivrable" in page


def _propre(c: Candidat, **valeurs) -> dict:
    ligne = {
        "numero_candidat": c.numero,
        "nom": c.nom,
        "prenom": c.prenom,
        "date_naissance": "14/03/2008",
        "uai": c.etablissement.uai,
        "statut": c.statut,
        "lv1": "en",
        "lv2": "es",
        "facultatives": "",
        "duree_cycle": str(c.duree_cycle),
        **valeurs,
    }
    propre, erreurs = valider_candidat(ligne, 2026)
    assert not erreurs, erreurs
    return propre


def test_modifier_statut_ou_duree_du_cycle_recalcule_la_conformite_dans_la_meme_ecriture():
    c = fabriques.candidat()
    periode(c, *PREMIERE, attestees="8")
    periode(c, *TERMINALE, attestees="8")
    assert bloque(c) and decision(c) == "non_delivrable"  # 16 semaines sur 22
    examens_services.enregistrer_candidat(
        session=c.session, candidat=c, propre=_propre(c, duree_cycle="2"), auteur=None
    )
    assert not bloque(c) and decision(c) == "incomplet"  # cycle de deux ans : 16 semaines suffisent
    assert EtatConformite.objects.get(candidat=c).niveau == "conforme"
    c.refresh_from_db()
    examens_services.enregistrer_candidat(
        session=c.session, candidat=c, propre=_propre(c, duree_cycle="3"), auteur=None
    )
    assert bloque(c) and decision(c) == "non_delivrable"


def test_une_voie_devenue_impossible_apres_un_changement_de_statut_bloque_sans_erreur():
    c = fabriques.candidat(statut="fpc_prive")
    services.definir_dossier(candidat=c, voie="fpc_perfectionnement", auteur=None)
    examens_services.enregistrer_candidat(
        session=c.session, candidat=c, propre=_propre(c, statut="scolaire_public"), auteur=None
    )
    assert bloque(c)
    conformite = selectors.conformite(selectors.avec_pfmp(Candidat.objects.filter(pk=c.pk)).get())
    assert "voie « formation continue, perfectionnement » du dossier PFMP impossible pour ce statut" in " ".join(
        conformite.motifs
    )


def test_signer_l_attestation_leve_le_blocage_et_change_le_resultat_dans_la_meme_requete(comptes):
    c = fabriques.candidat(division=comptes.division_a, duree_cycle=2)
    periode(c, *PREMIERE, attestees="8")
    p = periode(c, *TERMINALE, attestees="8", signee=False)
    assert bloque(c) and decision(c) == "non_delivrable"
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/pfmp/periodes/{p.pk}/attestation/",
        {
            "date_debut": "2025-11-03",
            "date_fin": "2025-12-26",
            "semaines": "8",
            "signee": "on",
            "date_signature": "2025-12-26",
            "signataire": "Jeanne Tutrice",
        },
    )
    assert reponse.status_code == 302, reponse.context["form"].errors
    assert not bloque(c) and decision(c) == "incomplet"
    assert EtatConformite.objects.get(candidat=c).niveau == "conforme"


# ---------------------------------------------------------------------------------------------------
# Calcul en masse : identique au chemin candidat par candidat
# ---------------------------------------------------------------------------------------------------

DATES = [J(2024, 1, 20), J(2025, 1, 15), J(2025, 11, 20), J(2026, 1, 15), J(2026, 5, 31), J(2026, 6, 1), J(2026, 9, 1)]


def _varies():
    """Les cas que la génération ne produit pas : voie impossible, convention résiliée, non signée, positionnement."""
    autres = []
    c = fabriques.candidat(statut="fpc_prive")
    DossierPfmp.objects.create(candidat=c, voie="fpc_perfectionnement")
    Candidat.objects.filter(pk=c.pk).update(statut="scolaire_public")  # voie devenue impossible
    autres.append(c)
    c = fabriques.candidat(positionnement_semaines=Decimal("12"))
    periode(c, *SECONDE, attestees="6")
    p = periode(c, J(2026, 3, 2), J(2026, 4, 24), "8")
    services.modifier_convention(convention=p.convention, etat="resiliee", date_signature=None, auteur=None)
    periode(c, *TERMINALE, attestees="7.5", signee=False)
    autres.append(c)
    c = fabriques.candidat(positionnement_semaines=Decimal("10"), positionnement_date=J(2025, 6, 30))
    periode(c, *PREMIERE, attestees="8")  # positionnement daté sur la fiche du candidat (import)
    periode(c, *TERMINALE, attestees="2")
    autres.append(c)
    return autres


def test_le_calcul_en_masse_rend_exactement_la_conformite_candidat_par_candidat(generes):  # noqa: F811
    candidats, _, _ = generes
    ids = [c.pk for c in candidats] + [c.pk for c in _varies()]
    qs = Candidat.objects.filter(pk__in=ids)
    niveaux = set()
    for jour in DATES:
        reference = {ligne.candidat.pk: ligne for ligne in selectors.tableau(qs, jour)}
        masse = selectors.conformites(qs, jour)
        assert set(masse) == set(reference) == set(ids)
        for pk, ligne in reference.items():
            assert masse[pk].conformite == ligne.conformite, (jour, ligne.candidat.numero)
            assert masse[pk].mobilite_suivie == services._mobilite_suivie(ligne.candidat)
            assert masse[pk].mobilite_eligible == ligne.candidat.mobilite_eligible
            niveaux.add(ligne.conformite.niveau)
    assert niveaux == set(regles_pfmp.Niveau)  # les trois niveaux sont couverts


def test_le_niveau_ne_change_pas_avant_revoir_le(generes):  # noqa: F811
    candidats, _, _ = generes
    qs = Candidat.objects.filter(pk__in=[c.pk for c in candidats])
    hasard = random.Random(3)
    for jour in DATES:
        masse = selectors.conformites(qs, jour)
        echeances = {e.revoir_le for e in masse.values() if e.revoir_le}
        for echeance in hasard.sample(sorted(echeances), min(4, len(echeances))):
            veille = selectors.conformites(qs, echeance - datetime.timedelta(days=1))
            for pk, e in masse.items():
                if e.revoir_le is None or e.revoir_le >= echeance:
                    assert veille[pk].conformite.niveau == e.conformite.niveau, (jour, echeance, pk)
                # La conformité (et donc le blocage) ne dépend jamais de la date.
                assert veille[pk].conformite.conforme == e.conformite.conforme


def test_la_tache_quotidienne_recalcule_les_etats_perimes_sans_toucher_aux_blocages():
    c = fabriques.candidat(duree_cycle=2)
    periode(c, *PREMIERE, attestees="8")
    periode(c, J(2026, 3, 2), J(2026, 4, 24), "8")  # prévue : « en cours » jusqu'au 24/04
    services.recalculer(candidat=c, aujourd_hui=J(2026, 1, 15))
    etat = EtatConformite.objects.get(candidat=c)
    assert (etat.niveau, etat.revoir_le) == ("en_cours", J(2026, 4, 25))
    sans_etat = fabriques.candidat()  # créé hors des services : aucun état
    blocages = set(Blocage.objects.values_list("candidat_id", "motif"))
    assert selectors.resume(Candidat.objects.all(), J(2026, 4, 25)).total == {
        "conforme": 0,
        "en_cours": 0,
        "a_risque": 2,
    }
    assert services.rafraichir_perimes(aujourd_hui=J(2026, 4, 25)) == 2
    etat.refresh_from_db()
    assert (etat.niveau, etat.calcule_le, etat.revoir_le) == ("a_risque", J(2026, 4, 25), J(2026, 6, 1))
    assert EtatConformite.objects.get(candidat=sans_etat).niveau == "a_risque"
    nouveaux = set(Blocage.objects.values_list("candidat_id", "motif")) - blocages
    assert [c for c, _ in nouveaux] == [sans_etat.pk]
    assert next(iter(nouveaux))[1].startswith(services.MOTIF_PREFIXE)  # « PFMP : … semaines manquantes »
    assert services.rafraichir_perimes(aujourd_hui=J(2026, 4, 26)) == 0


def test_le_resume_national_compte_par_etablissement_et_filtre_par_etat():
    a = fabriques.candidat(duree_cycle=2)
    periode(a, *PREMIERE, attestees="8")
    periode(a, *TERMINALE, attestees="8")
    autre = fabriques.division("TAGO2", fabriques.etablissement("0930122"))
    b = fabriques.candidat(division=autre)
    services.recalculer(candidat=b)
    jour = datetime.date.today()
    resume = selectors.resume(Candidat.objects.all(), jour)
    assert [(e.uai, e.conforme, e.a_risque) for e in resume.etablissements] == [
        (a.etablissement.uai, 1, 0),
        (b.etablissement.uai, 0, 1),
    ]
    assert resume.perimes == {}
    qs = Candidat.objects.all()
    assert list(selectors.dans_l_etat(qs, "a_risque", resume, jour)) == [b]
    assert list(selectors.dans_l_etat(qs, "conforme", resume, jour)) == [a]
