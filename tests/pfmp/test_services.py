"""Services PFMP sur la base réelle : conformité, blocage à la délibération, mobilité, journal, instantanés."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from examens import services as examens_services
from examens.models import Blocage, Journal, Note, Resultat
from pfmp import selectors, services
from pfmp.models import Attestation, Convention
from referentiel.models import Activite
from tests import fabriques
from tests.examens.outils import UNITES
from tests.pfmp.outils import PREMIERE, SECONDE, TERMINALE, J, etrangere, organisation, periode

pytestmark = pytest.mark.django_db


def bloque(candidat) -> bool:
    """Bloqué par la PFMP : le motif dit ce qui manque (« PFMP : 8 semaines manquantes »)."""
    return Blocage.objects.filter(candidat=candidat, source="pfmp", motif__startswith="PFMP : ").exists()


def test_chaque_attestation_signee_rapproche_le_candidat_de_la_conformite_et_leve_le_blocage():
    c = fabriques.candidat()
    periode(c, *SECONDE, attestees="6")
    periode(c, *PREMIERE, attestees="8")
    assert (
        bloque(c)
        and selectors.conformite(selectors.avec_pfmp(type(c).objects.filter(pk=c.pk)).get()).semaines_manquantes == 8
    )
    p3 = periode(c, *TERMINALE)
    attestation, conformite = services.enregistrer_attestation(
        periode=p3, semaines=Decimal(8), signee=True, date_signature=J(2025, 12, 26), auteur=None
    )
    assert conformite.conforme and conformite.semaines_attestees == 22  # 6 + 8 + 8
    assert not bloque(c)


def test_une_attestation_non_signee_ne_compte_pas():
    c = fabriques.candidat(duree_cycle=2)  # 16 semaines
    periode(c, *PREMIERE, attestees="8")
    periode(c, *TERMINALE, attestees="8", signee=False)
    conformite = services.recalculer(candidat=c)
    assert (conformite.semaines_attestees, conformite.signatures_manquantes, conformite.niveau) == (8, 1, "a_risque")
    assert bloque(c)


def test_la_deliberation_rend_non_delivrable_le_candidat_sans_justificatifs_puis_admis_une_fois_conforme():
    c = fabriques.candidat(duree_cycle=2)
    for unite in UNITES:
        Note.objects.create(candidat=c, unite=unite, valeur=Decimal(12))
    periode(c, *PREMIERE, attestees="8")
    p2 = periode(c, *TERMINALE)
    examens_services.deliberer(session=c.session)
    resultat = Resultat.objects.get(candidat=c)
    assert resultat.decision == "non_delivrable"
    assert any("blocage : PFMP : 8 semaines manquantes" in ligne for ligne in resultat.trace)
    services.enregistrer_attestation(
        periode=p2, semaines=Decimal(8), signee=True, date_signature=p2.date_fin, auteur=None
    )
    examens_services.deliberer(session=c.session)
    assert Resultat.objects.get(candidat=c).decision == "admis"


def test_chaque_attestation_est_journalisee_avec_avant_et_apres():
    comptes = fabriques.comptes()
    c = fabriques.candidat(division=comptes.division_a)
    p = periode(c, *TERMINALE)
    a1, _ = services.enregistrer_attestation(periode=p, semaines=Decimal(8), signee=False, auteur=comptes.enseignant)
    a2, _ = services.enregistrer_attestation(
        periode=p, semaines=Decimal("7.5"), signee=True, date_signature=J(2025, 12, 29), auteur=comptes.enseignant
    )
    creation, modification = Journal.objects.filter(action__startswith="pfmp.attestation").order_by("id")
    assert (creation.action, creation.auteur, creation.candidat_numero, creation.avant) == (
        "pfmp.attestation.creation",
        "prof",
        c.numero,
        None,
    )
    assert creation.apres["semaines"] == "8" and creation.apres["signee"] is False
    assert modification.action == "pfmp.attestation.modification"
    assert modification.avant["numero"] == a1.numero and modification.apres == {
        "numero": a2.numero,
        "debut": "2025-11-03",
        "fin": "2025-12-26",
        "semaines": "7.5",
        "signee": True,
        "date_signature": "2025-12-29",
        "signataire": "",
        "activites": [],
    }


def test_une_correction_remplace_l_attestation_qui_reste_et_ne_se_supprime_pas():
    c = fabriques.candidat()
    p = periode(c, *TERMINALE, attestees="8", signee=False)
    ancienne = Attestation.objects.get(periode=p)
    nouvelle, _ = services.enregistrer_attestation(periode=p, semaines=Decimal(8), signee=True, auteur=None)
    ancienne.refresh_from_db()
    assert (ancienne.en_vigueur, nouvelle.en_vigueur, nouvelle.remplace) == (False, True, ancienne)
    assert nouvelle.date_signature == timezone.localdate()  # signée sans date : le jour de la saisie
    with pytest.raises(ValidationError):
        ancienne.delete()
    assert Attestation.objects.filter(periode=p).count() == 2


def test_l_attestation_est_un_instantane_que_les_changements_ulterieurs_ne_touchent_pas():
    c = fabriques.candidat()
    org = organisation()
    p = periode(c, *TERMINALE, org=org, attestees="8", tuteur_nom="Bernard", tuteur_prenom="Sophie")
    org.nom = "Imprimerie renommée"
    org.save()
    c.nom = "AUTRE"
    c.save()
    a = Attestation.objects.get(periode=p)
    assert (a.organisation_nom, a.candidat_nom, a.tuteur, a.organisation_siret) == (
        "Imprimerie Nouvelle",
        "DURAND",
        "Sophie Bernard",
        org.siret,
    )


def test_des_semaines_au_dela_des_semaines_civiles_sont_refusees():
    c = fabriques.candidat()
    p = periode(c, J(2025, 11, 3), J(2025, 11, 28), "4")
    with pytest.raises(services.OperationRefusee, match="entre 0 et 4"):
        services.enregistrer_attestation(periode=p, semaines=Decimal(5), signee=True, auteur=None)


def test_deux_periodes_qui_se_chevauchent_sont_refusees():
    c = fabriques.candidat()
    periode(c, *TERMINALE)
    with pytest.raises(services.OperationRefusee, match="chevauche celle du 03/11/2025 au 26/12/2025"):
        periode(c, J(2025, 12, 1), J(2025, 12, 19), "3")


def test_une_session_verrouillee_refuse_toute_ecriture_qui_change_la_conformite():
    c = fabriques.candidat()
    p = periode(c, *TERMINALE)
    c.session.verrouillee = True
    c.session.save()
    with pytest.raises(services.OperationRefusee, match="verrouillée"):
        services.enregistrer_attestation(periode=p, semaines=Decimal(8), signee=True, auteur=None)
    assert not Attestation.objects.exists()


def test_l_annee_du_cycle_est_deduite_des_dates():
    c = fabriques.candidat()
    assert [periode(c, *p).annee_cycle for p in (SECONDE, PREMIERE, TERMINALE)] == [1, 2, 3]


# ---------------------------------------------------------------------------------------------------
# Les voies de l'Annexe III de bout en bout
# ---------------------------------------------------------------------------------------------------


def test_un_apprenti_n_est_jamais_bloque():
    c = fabriques.candidat(statut="apprenti_cfa_habilite")
    compte = services.synchroniser_session(session=c.session)
    assert compte["conforme"] == 1 and not bloque(c)


def test_scolaire_positionne_par_le_recteur_dix_semaines():
    c = fabriques.candidat()
    with pytest.raises(services.OperationRefusee, match="au moins 10 semaines"):
        services.definir_dossier(candidat=c, voie="", semaines_positionnement=Decimal(9), auteur=None)
    conformite = services.definir_dossier(
        candidat=c, voie="", semaines_positionnement=Decimal(10), date_positionnement=J(2025, 6, 30), auteur=None
    )
    assert conformite.exigence.semaines == 10 and not conformite.conforme
    periode(c, J(2025, 11, 3), J(2026, 1, 9), "10", attestees="10")
    c.refresh_from_db()
    assert c.positionnement_semaines == 10 and services.recalculer(candidat=c).conforme
    assert Journal.objects.filter(action="pfmp.dossier", candidat_numero=c.numero).exists()


def test_formation_continue_positionnee_huit_semaines_decision_datee():
    c = fabriques.candidat(statut="fpc_public")
    services.definir_dossier(
        candidat=c,
        voie="fpc_reconversion",
        semaines_positionnement=Decimal(8),
        date_positionnement=J(2025, 9, 1),
        auteur=None,
    )
    periode(c, J(2025, 10, 6), J(2025, 10, 31), "4", attestees="4")
    periode(c, J(2025, 11, 3), J(2025, 11, 28), "4", attestees="4")
    conformite = services.recalculer(candidat=c)
    assert (conformite.exigence.source, conformite.semaines_attestees, conformite.conforme) == (
        "Annexe III, II.5",
        8,
        True,
    )


def test_perfectionnement_par_certificats_de_travail():
    c = fabriques.candidat(statut="fpc_prive")
    services.definir_dossier(candidat=c, voie="fpc_perfectionnement", auteur=None)
    assert bloque(c)
    activites = list(Activite.objects.filter(code__in=["1.1", "2.1"]))
    services.enregistrer_certificat(
        candidat=c,
        employeur="Cabinet Dupuis",
        emploi="assistant administratif",
        quotite="temps_plein",
        date_debut=J(2025, 9, 1),
        date_fin=J(2026, 2, 28),
        activites=activites,
        auteur=None,
    )
    assert not bloque(c)
    assert Journal.objects.filter(action="pfmp.certificat.creation", candidat_numero=c.numero).count() == 1


def test_trois_annees_d_experience_par_certificats():
    c = fabriques.candidat(statut="experience_3_ans", forme="progressive")
    services.enregistrer_certificat(
        candidat=c,
        employeur="Transports Martin",
        emploi="secrétaire",
        quotite="temps_plein",
        date_debut=J(2023, 1, 1),
        date_fin=J(2025, 6, 30),
        activites=Activite.objects.all()[:2],
        auteur=None,
    )
    conformite = services.recalculer(candidat=c)
    assert conformite.motifs == ("30 mois d'expérience certifiés sur 36 requis",) and bloque(c)


def test_une_voie_etrangere_au_statut_est_refusee():
    c = fabriques.candidat()
    with pytest.raises(services.OperationRefusee, match="impossible pour ce statut"):
        services.definir_dossier(candidat=c, voie="fpc_perfectionnement", auteur=None)


# ---------------------------------------------------------------------------------------------------
# Mobilité : l'unité facultative ne compte que si une PFMP a eu lieu dans l'UE, l'EEE ou l'AELE
# ---------------------------------------------------------------------------------------------------


def deliberer_avec_mobilite(candidat) -> Resultat:
    for unite in UNITES:
        Note.objects.create(candidat=candidat, unite=unite, valeur=Decimal(12))
    Note.objects.create(candidat=candidat, unite="UF1", valeur=Decimal(16))
    examens_services.deliberer(session=candidat.session)
    return Resultat.objects.get(candidat=candidat)


def test_une_periode_attestee_en_espagne_ouvre_l_unite_de_mobilite():
    c = fabriques.candidat(duree_cycle=2, facultative1="MOBILITE")
    periode(c, *PREMIERE, org=etrangere("ES"), attestees="8")
    periode(c, *TERMINALE, attestees="8")
    c.refresh_from_db()
    assert c.mobilite_eligible is True
    # 12 × 25 = 300 points + (16 − 10) = 306 → 306/25 = 12,24.
    assert deliberer_avec_mobilite(c).moyenne == Decimal("12.24")


@pytest.mark.usefixtures("zone_ue")
def test_avec_l_option_ue_une_periode_au_royaume_uni_n_ouvre_pas_l_unite_de_mobilite():
    c = fabriques.candidat(duree_cycle=2, facultative1="MOBILITE")
    periode(c, *PREMIERE, org=etrangere("GB"), attestees="8")
    periode(c, *TERMINALE, attestees="8")
    c.refresh_from_db()
    assert c.mobilite_eligible is False
    assert deliberer_avec_mobilite(c).moyenne == Decimal("12.00")  # l'unité facultative ne compte pas


def test_sans_aucune_periode_le_choix_de_la_mobilite_est_refuse_a_la_synchronisation():
    c = fabriques.candidat(facultative1="MOBILITE")
    autre = fabriques.candidat()
    services.synchroniser_session(session=c.session)
    c.refresh_from_db()
    autre.refresh_from_db()
    assert (c.mobilite_eligible, autre.mobilite_eligible) == (False, None)


def test_une_convention_resiliee_sans_attestation_ne_compte_pas_comme_prevue():
    c = fabriques.candidat(duree_cycle=2)
    periode(c, *PREMIERE, attestees="8")
    p = periode(c, J(2026, 3, 2), J(2026, 4, 24), "8")
    services.modifier_convention(
        convention=p.convention, etat=Convention.Etat.RESILIEE, date_signature=None, auteur=None
    )
    conformite = services.recalculer(candidat=c, aujourd_hui=J(2026, 1, 5))
    assert conformite.semaines_prevues == 0 and conformite.niveau == "a_risque"


def test_synchroniser_pose_le_blocage_des_candidats_importes_sans_aucune_pfmp():
    a, b = fabriques.candidat(), fabriques.candidat(statut="apprenti_cfa_habilite")
    compte = services.synchroniser_session(session=a.session)
    assert compte == {"conforme": 1, "en_cours": 0, "a_risque": 1, "blocages_changes": 1}
    assert bloque(a) and not bloque(b)
    assert Journal.objects.filter(action="pfmp.synchronisation").count() == 1


def test_par_defaut_une_periode_a_l_etranger_hors_ue_ouvre_l_unite_de_mobilite():
    """Arrêté du 30 août 2019 (cité aux annexes II a et II c) : une période de formation « à l'étranger »."""
    c = fabriques.candidat(duree_cycle=2, facultative1="MOBILITE")
    periode(c, *PREMIERE, org=etrangere("GB"), attestees="8")
    periode(c, *TERMINALE, attestees="8")
    c.refresh_from_db()
    assert c.mobilite_eligible is True
    assert deliberer_avec_mobilite(c).moyenne == Decimal("12.24")  # (300 + 6) / 25
