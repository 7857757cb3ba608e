"""Règles PFMP de l'Annexe III (pfmp/regles_pfmp.py) : chaque voie, l'arithmétique écrite en clair.

Aucune base de données, aucun import de Django.
"""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pfmp import regles_pfmp
from pfmp.regles_pfmp import (
    Certificat,
    Justificatif,
    Niveau,
    Periode,
    Voie,
    annee_du_cycle,
    duree_en_mois,
    evaluer,
    exigence,
    mobilite_possible,
    semaines_calendaires,
)

D = Decimal
J = datetime.date
EXAMEN = J(2026, 6, 1)  # date_examen(2026)
APRES_EXAMEN = J(2026, 7, 10)
AVANT = J(2025, 10, 1)  # début de la dernière année, bien avant l'examen


def periode(debut, fin, prevues, attestees=None, signee=True, pays="FR", convention_signee=True):
    return Periode(
        debut=debut,
        fin=fin,
        semaines_prevues=D(prevues),
        semaines_attestees=None if attestees is None else D(attestees),
        attestation_signee=signee if attestees is not None else False,
        pays=pays,
        convention_signee=convention_signee,
        libelle=f"du {debut:%d/%m/%Y}",
    )


# Un parcours scolaire de 22 semaines : 6 (2de) + 8 (1re) + 8 (terminale).
SECONDE = periode(J(2024, 1, 8), J(2024, 2, 16), "6", "6")
PREMIERE = periode(J(2024, 11, 4), J(2024, 12, 27), "8", "8")
TERMINALE = periode(J(2025, 11, 3), J(2025, 12, 26), "8", "8")


def test_le_module_n_importe_pas_django():
    arbre = ast.parse(Path(regles_pfmp.__file__).read_text())
    modules = {n.module for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(arbre) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("django") for m in modules)


# ---------------------------------------------------------------------------------------------------
# Exigence de chaque voie
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statut, voie, cycle, positionnement, semaines, justificatif, source",
    [
        ("scolaire_public", None, 3, None, "22", Justificatif.ATTESTATIONS, "Annexe III, II.1"),
        ("scolaire_prive_sous_contrat", None, 2, None, "16", Justificatif.ATTESTATIONS, "Annexe III, II.5"),
        ("scolaire_prive_hors_contrat", None, 3, "12", "12", Justificatif.ATTESTATIONS, "Annexe III, II.5"),
        ("scolaire_public", None, 2, "10", "10", Justificatif.ATTESTATIONS, "Annexe III, II.5"),
        ("apprenti_cfa_habilite", None, 3, None, "0", Justificatif.CONTRAT, "Annexe III, II.2"),
        ("apprenti_cfa_non_habilite", None, 2, None, "0", Justificatif.CONTRAT, "Annexe III, II.2"),
        ("fpc_public", None, 3, None, "22", Justificatif.ATTESTATIONS, "Annexe III, II.3.1"),
        ("fpc_prive", "fpc_reconversion", 2, None, "22", Justificatif.ATTESTATIONS, "Annexe III, II.3.1"),
        ("fpc_public_habilite", "fpc_premiere_formation", 3, "8", "8", Justificatif.ATTESTATIONS, "Annexe III, II.5"),
        ("fpc_prive", "fpc_perfectionnement", 3, None, "0", Justificatif.CERTIFICATS, "Annexe III, II.3.2"),
        ("experience_3_ans", None, 3, None, "0", Justificatif.CERTIFICATS, "Annexe III, II.4"),
        ("enseignement_distance", None, 3, None, "22", Justificatif.ATTESTATIONS, "Annexe III, II.1"),
        ("enseignement_distance", "fpc_perfectionnement", 3, None, "0", Justificatif.CERTIFICATS, "Annexe III, II.3.2"),
    ],
)
def test_exigence_de_chaque_voie(statut, voie, cycle, positionnement, semaines, justificatif, source):
    e = exigence(
        statut=statut,
        voie=voie,
        duree_cycle=cycle,
        positionnement=D(positionnement) if positionnement else None,
        positionnement_date=J(2024, 9, 20) if positionnement else None,
    )
    assert (e.semaines, e.justificatif, e.source) == (D(semaines), justificatif, source)
    assert e.anomalies == ()


def test_la_formation_continue_ignore_la_duree_du_cycle():
    # Le cycle de deux ans (16 semaines) renvoie à l'arrêté du 21/11/2018 sur la voie scolaire.
    assert exigence(statut="fpc_public", duree_cycle=2).semaines == D(22)


def test_le_positionnement_ne_descend_jamais_sous_le_minimum():
    # Décision incohérente (7 semaines) : on exige le minimum de la voie, 10 (scolaire) ou 8 (formation continue).
    assert exigence(statut="scolaire_public", positionnement=D(7), positionnement_date=J(2025, 1, 1)).semaines == 10
    assert exigence(statut="fpc_public", positionnement=D(7), positionnement_date=J(2025, 1, 1)).semaines == 8


def test_un_positionnement_non_date_est_une_anomalie():
    e = exigence(statut="scolaire_public", positionnement=D(12))
    assert e.semaines == 12 and e.anomalies == (
        "décision de positionnement non datée : la durée réduite n'est pas justifiée",
    )


def test_le_positionnement_est_sans_objet_pour_les_voies_a_certificats_ou_contrat():
    assert exigence(statut="fpc_prive", voie="fpc_perfectionnement", positionnement=D(8)).semaines == 0
    assert exigence(statut="apprenti_cfa_habilite", positionnement=D(10)).justificatif is Justificatif.CONTRAT


@pytest.mark.parametrize(
    "statut, voie",
    [("scolaire_public", "fpc_perfectionnement"), ("apprenti_cfa_habilite", "scolaire"), ("fpc_public", "scolaire")],
)
def test_une_voie_etrangere_au_statut_est_refusee(statut, voie):
    with pytest.raises(ValueError, match="impossible"):
        exigence(statut=statut, voie=voie)


def test_voies_par_defaut():
    assert regles_pfmp.voie_par_defaut("scolaire_public") is Voie.SCOLAIRE
    assert regles_pfmp.voie_par_defaut("apprenti_cfa_habilite") is Voie.APPRENTISSAGE
    assert regles_pfmp.voie_par_defaut("fpc_prive") is Voie.FPC_PREMIERE_FORMATION
    assert regles_pfmp.voie_par_defaut("experience_3_ans") is Voie.EXPERIENCE
    assert regles_pfmp.voie_par_defaut("enseignement_distance") is Voie.SCOLAIRE


# ---------------------------------------------------------------------------------------------------
# Voies à attestations (II.1, II.3.1, II.5)
# ---------------------------------------------------------------------------------------------------


def scolaire(**kw):
    return exigence(statut="scolaire_public", **kw)


def test_scolaire_22_semaines_attestees_6_plus_8_plus_8_est_conforme():
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, TERMINALE], aujourd_hui=J(2026, 1, 5), examen=EXAMEN)
    assert (c.niveau, c.semaines_attestees, c.semaines_manquantes, c.motifs) == (Niveau.CONFORME, 22, 0, ())
    assert c.conforme


def test_scolaire_6_plus_8_attestees_et_8_prevues_est_en_cours_avant_la_periode():
    prevue = periode(J(2026, 1, 5), J(2026, 2, 27), "8")
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, prevue], aujourd_hui=AVANT, examen=EXAMEN)
    # 6 + 8 = 14 attestées ; 14 + 8 prévues = 22 : l'exigence sera tenue si l'attestation arrive.
    assert (c.niveau, c.semaines_attestees, c.semaines_prevues, c.semaines_manquantes) == (Niveau.EN_COURS, 14, 8, 8)
    assert c.motifs == ("14 semaines attestées sur 22 requises : il manque 8 semaines",)
    assert not c.conforme


def test_une_periode_terminee_sans_attestation_rend_le_candidat_a_risque():
    finie = periode(J(2025, 9, 1), J(2025, 9, 26), "4")
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, finie], aujourd_hui=AVANT, examen=EXAMEN)
    assert c.niveau is Niveau.A_RISQUE
    assert "période terminée sans attestation : du 01/09/2025" in c.motifs


def test_une_attestation_non_signee_ne_compte_pas_et_est_une_signature_manquante():
    non_signee = periode(J(2025, 11, 3), J(2025, 12, 26), "8", "8", signee=False)
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, non_signee], aujourd_hui=J(2026, 1, 5), examen=EXAMEN)
    # 6 + 8 = 14 (les 8 non signées ne comptent pas) → il manque 22 − 14 = 8.
    assert (c.niveau, c.semaines_attestees, c.semaines_manquantes, c.signatures_manquantes) == (
        Niveau.A_RISQUE,
        14,
        8,
        1,
    )
    assert "attestation non signée par le tuteur : du 03/11/2025" in c.motifs


def test_des_periodes_prevues_insuffisantes_rendent_le_candidat_a_risque():
    prevue = periode(J(2026, 1, 5), J(2026, 1, 30), "4")
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, prevue], aujourd_hui=AVANT, examen=EXAMEN)
    # 14 attestées + 4 prévues = 18 < 22.
    assert c.niveau is Niveau.A_RISQUE
    assert c.motifs[-1] == "les périodes prévues (4 semaines) ne suffisent pas"


def test_une_periode_qui_finit_apres_l_examen_ne_compte_pas():
    tardive = periode(J(2026, 5, 18), J(2026, 7, 10), "8")
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, tardive], aujourd_hui=AVANT, examen=EXAMEN)
    assert (c.niveau, c.semaines_prevues) == (Niveau.A_RISQUE, 0)
    assert any("finit après l'examen" in a for a in c.avertissements)


def test_apres_l_examen_rien_n_est_plus_en_cours():
    prevue = periode(J(2026, 1, 5), J(2026, 2, 27), "8")
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, prevue], aujourd_hui=APRES_EXAMEN, examen=EXAMEN)
    assert c.niveau is Niveau.A_RISQUE


def test_cycle_de_deux_ans_16_semaines_8_plus_8():
    c = evaluer(scolaire(duree_cycle=2), periodes=[PREMIERE, TERMINALE], aujourd_hui=J(2026, 1, 5), examen=EXAMEN)
    assert (c.niveau, c.semaines_attestees, c.exigence.semaines) == (Niveau.CONFORME, 16, 16)


def test_scolaire_positionne_10_semaines_une_periode_de_10_suffit_mais_on_signale_la_periode_unique():
    e = scolaire(positionnement=D(10), positionnement_date=J(2025, 6, 30))
    dix = periode(J(2025, 11, 3), J(2026, 1, 9), "10", "10")
    c = evaluer(e, periodes=[dix], aujourd_hui=J(2026, 1, 12), examen=EXAMEN)
    assert (c.niveau, c.semaines_attestees) == (Niveau.CONFORME, 10)
    assert c.avertissements == ("une seule période : l'Annexe III (II.1) prévoit plusieurs périodes",)


def test_scolaire_positionne_sans_date_de_decision_est_a_risque_meme_avec_ses_semaines():
    e = scolaire(positionnement=D(10))
    dix = periode(J(2025, 11, 3), J(2026, 1, 9), "10", "10")
    c = evaluer(e, periodes=[dix], aujourd_hui=J(2026, 1, 12), examen=EXAMEN)
    assert c.niveau is Niveau.A_RISQUE and c.motifs[0].startswith("décision de positionnement non datée")


def test_formation_continue_premiere_formation_22_semaines_attestees():
    e = exigence(statut="fpc_public", voie="fpc_premiere_formation")
    c = evaluer(e, periodes=[SECONDE, PREMIERE, TERMINALE], aujourd_hui=J(2026, 1, 5), examen=EXAMEN)
    assert c.conforme and c.exigence.source == "Annexe III, II.3.1"


def test_formation_continue_reconversion_positionnee_8_semaines():
    e = exigence(statut="fpc_prive", voie="fpc_reconversion", positionnement=D(8), positionnement_date=J(2025, 9, 1))
    quatre = periode(J(2025, 10, 6), J(2025, 10, 31), "4", "4")
    c = evaluer(e, periodes=[quatre], aujourd_hui=J(2025, 11, 3), examen=EXAMEN)
    assert (c.niveau, c.semaines_manquantes) == (Niveau.A_RISQUE, 4)  # 8 − 4, rien de prévu
    c = evaluer(
        e,
        periodes=[quatre, periode(J(2025, 11, 3), J(2025, 11, 28), "4", "3,5".replace(",", "."))],
        aujourd_hui=J(2025, 12, 1),
        examen=EXAMEN,
    )
    assert (c.semaines_attestees, c.semaines_manquantes) == (D("7.5"), D("0.5"))  # 4 + 3,5 = 7,5 ; 8 − 7,5 = 0,5
    assert c.motifs[0] == "7,5 semaines attestées sur 8 requises : il manque 0,5 semaine"


def test_enseignement_a_distance_suit_la_voie_scolaire_par_defaut():
    e = exigence(statut="enseignement_distance")
    c = evaluer(e, periodes=[SECONDE, PREMIERE], aujourd_hui=J(2025, 1, 6), examen=EXAMEN)
    assert (e.voie, c.semaines_manquantes, c.niveau) == (Voie.SCOLAIRE, 8, Niveau.A_RISQUE)


def test_une_signature_manquante_en_plus_de_l_exigence_n_empeche_pas_la_conformite():
    extra = periode(J(2026, 3, 2), J(2026, 3, 13), "2", "2", signee=False)
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, TERMINALE, extra], aujourd_hui=J(2026, 3, 20), examen=EXAMEN)
    assert c.conforme and c.motifs == () and c.signatures_manquantes == 1
    assert "1 attestation non signée en plus des semaines requises" in c.avertissements


def test_une_convention_non_signee_est_un_avertissement():
    sans_convention = periode(J(2025, 11, 3), J(2025, 12, 26), "8", "8", convention_signee=False)
    c = evaluer(scolaire(), periodes=[SECONDE, PREMIERE, sans_convention], aujourd_hui=J(2026, 1, 5), examen=EXAMEN)
    assert c.conforme and any(a.startswith("convention non signée") for a in c.avertissements)


# ---------------------------------------------------------------------------------------------------
# Apprentissage (II.2)
# ---------------------------------------------------------------------------------------------------


def test_un_apprenti_est_conforme_sans_aucune_attestation():
    c = evaluer(exigence(statut="apprenti_cfa_habilite"), aujourd_hui=APRES_EXAMEN, examen=EXAMEN)
    assert c.conforme and c.exigence.libelle.startswith("formation sous contrat d'apprentissage")


# ---------------------------------------------------------------------------------------------------
# Perfectionnement (II.3.2) : certificats de travail
# ---------------------------------------------------------------------------------------------------

PERFECTIONNEMENT = exigence(statut="fpc_prive", voie="fpc_perfectionnement")


def certificat(debut, fin, temps_plein=True, activites=2):
    return Certificat(debut=debut, fin=fin, temps_plein=temps_plein, activites=activites, libelle=f"du {debut}")


def test_perfectionnement_six_mois_a_temps_plein_dans_l_annee_precedant_l_examen():
    # Du 01/09/2025 au 28/02/2026 : sept. oct. nov. déc. janv. févr. = 6 mois civils, dans [01/06/2025, 01/06/2026[.
    c = evaluer(
        PERFECTIONNEMENT, certificats=[certificat(J(2025, 9, 1), J(2026, 2, 28))], aujourd_hui=EXAMEN, examen=EXAMEN
    )
    assert c.conforme and c.mois_certifies == 6


def test_perfectionnement_cinq_mois_a_temps_plein_ne_suffisent_pas():
    c = evaluer(
        PERFECTIONNEMENT, certificats=[certificat(J(2025, 9, 1), J(2026, 1, 31))], aujourd_hui=EXAMEN, examen=EXAMEN
    )
    assert c.niveau is Niveau.A_RISQUE
    assert c.motifs == (
        "certificats insuffisants : 5 mois à temps plein depuis le 01/06/2025 (6 requis), "
        "5 mois depuis le 01/06/2024 (12 requis à temps partiel)",
    )


def test_perfectionnement_le_temps_plein_hors_de_l_annee_precedant_l_examen_ne_compte_pas_pour_six_mois():
    # 8 mois à temps plein, mais du 01/06/2024 au 31/01/2025 : seulement 0 mois dans l'année [01/06/2025, …[ ;
    # ils comptent pour la règle des deux ans (8 mois < 12).
    c = evaluer(
        PERFECTIONNEMENT, certificats=[certificat(J(2024, 6, 1), J(2025, 1, 31))], aujourd_hui=EXAMEN, examen=EXAMEN
    )
    assert c.niveau is Niveau.A_RISQUE and c.details == {"mois_temps_plein_1_an": 0, "mois_2_ans": 8}


def test_perfectionnement_un_an_a_temps_partiel_dans_les_deux_ans_en_deux_certificats_qui_se_suivent():
    # 01/01/2025–30/06/2025 puis 01/07/2025–31/12/2025 : réunis, 12 mois civils dans [01/06/2024, 01/06/2026[.
    certificats = [
        certificat(J(2025, 1, 1), J(2025, 6, 30), temps_plein=False),
        certificat(J(2025, 7, 1), J(2025, 12, 31), temps_plein=False),
    ]
    c = evaluer(PERFECTIONNEMENT, certificats=certificats, aujourd_hui=EXAMEN, examen=EXAMEN)
    assert c.conforme and c.details["mois_2_ans"] == 12 and c.details["mois_temps_plein_1_an"] == 0


def test_perfectionnement_le_temps_partiel_ancien_est_coupe_a_deux_ans():
    # Du 01/01/2024 au 31/12/2024 à temps partiel : seuls juin–décembre 2024 tombent dans [01/06/2024, …[ = 7 mois.
    c = evaluer(
        PERFECTIONNEMENT,
        certificats=[certificat(J(2024, 1, 1), J(2024, 12, 31), temps_plein=False)],
        aujourd_hui=EXAMEN,
        examen=EXAMEN,
    )
    assert c.niveau is Niveau.A_RISQUE and c.details["mois_2_ans"] == 7


def test_un_certificat_sans_activite_du_referentiel_n_est_pas_retenu():
    c = evaluer(
        PERFECTIONNEMENT,
        certificats=[certificat(J(2025, 6, 1), J(2026, 5, 31), activites=0)],
        aujourd_hui=EXAMEN,
        examen=EXAMEN,
    )
    assert c.niveau is Niveau.A_RISQUE and c.avertissements[0].startswith("certificat sans activité du référentiel")


def test_perfectionnement_sans_certificat():
    c = evaluer(PERFECTIONNEMENT, aujourd_hui=AVANT, examen=EXAMEN)
    assert c.motifs == ("aucun certificat de travail",) and c.niveau is Niveau.A_RISQUE


# ---------------------------------------------------------------------------------------------------
# Trois années d'expérience (II.4)
# ---------------------------------------------------------------------------------------------------

EXPERIENCE = exigence(statut="experience_3_ans")


def test_experience_trois_annees_certifiees_en_deux_emplois():
    # 01/09/2020–31/08/2022 (24 mois) + 01/01/2023–31/12/2023 (12 mois) = 36 mois.
    certificats = [certificat(J(2020, 9, 1), J(2022, 8, 31)), certificat(J(2023, 1, 1), J(2023, 12, 31), False)]
    c = evaluer(EXPERIENCE, certificats=certificats, aujourd_hui=AVANT, examen=EXAMEN)
    assert c.conforme and c.mois_certifies == 36


def test_experience_deux_ans_et_demi_ne_suffisent_pas():
    c = evaluer(EXPERIENCE, certificats=[certificat(J(2023, 1, 1), J(2025, 6, 30))], aujourd_hui=AVANT, examen=EXAMEN)
    assert c.motifs == ("30 mois d'expérience certifiés sur 36 requis",)


def test_experience_des_periodes_qui_se_chevauchent_ne_comptent_qu_une_fois():
    certificats = [certificat(J(2022, 1, 1), J(2024, 12, 31)), certificat(J(2023, 1, 1), J(2023, 12, 31))]
    c = evaluer(EXPERIENCE, certificats=certificats, aujourd_hui=AVANT, examen=EXAMEN)
    assert c.mois_certifies == 36


# ---------------------------------------------------------------------------------------------------
# Mobilité (II.1, dernier alinéa)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pays, signee, attendu",
    [
        ("ES", True, True),
        ("NO", True, True),
        ("CH", True, True),
        ("IS", True, True),
        ("FR", True, False),
        ("GB", True, False),
        ("US", True, False),
        ("DE", False, False),
    ],
)
def test_mobilite_dans_l_ue_l_eee_ou_l_aele_sur_une_periode_attestee(pays, signee, attendu):
    """L'option nommée « ue_eee_aele » (annexe III)."""
    periodes = [periode(J(2025, 5, 5), J(2025, 5, 30), "4", "4", signee=signee, pays=pays)]
    assert mobilite_possible(periodes, zone="ue_eee_aele") is attendu


@pytest.mark.parametrize(
    "pays, signee, attendu",
    [("ES", True, True), ("GB", True, True), ("US", True, True), ("FR", True, False), ("GB", False, False)],
)
def test_par_defaut_toute_periode_attestee_a_l_etranger_ouvre_la_mobilite(pays, signee, attendu):
    """Arrêté du 30 août 2019 : une période de formation « à l'étranger » ; jamais en France."""
    periodes = [periode(J(2025, 5, 5), J(2025, 5, 30), "4", "4", signee=signee, pays=pays)]
    assert mobilite_possible(periodes) is attendu


def test_vingt_sept_pays_de_l_ue_plus_islande_liechtenstein_norvege_suisse():
    assert len(regles_pfmp.PAYS_UE) == 27 and len(regles_pfmp.PAYS_MOBILITE) == 31


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "debut, fin, mois",
    [
        (J(2024, 9, 1), J(2025, 2, 28), D(6)),
        (J(2024, 1, 15), J(2024, 2, 14), D(1)),
        (J(2024, 3, 1), J(2024, 3, 15), D(15) / D(30)),
        (J(2024, 2, 1), J(2024, 2, 29), D(1)),  # février bissextile entier : un mois
        (J(2023, 1, 1), J(2025, 12, 31), D(36)),
    ],
)
def test_duree_en_mois_civils(debut, fin, mois):
    assert duree_en_mois(debut, fin) == mois


@pytest.mark.parametrize(
    "debut, fin, semaines",
    [
        (J(2025, 11, 3), J(2025, 11, 7), 1),
        (J(2025, 11, 3), J(2025, 11, 28), 4),
        (J(2025, 11, 3), J(2025, 11, 30), 4),
        (J(2025, 11, 3), J(2025, 12, 1), 5),
    ],
)
def test_semaines_calendaires(debut, fin, semaines):
    assert semaines_calendaires(debut, fin) == semaines


@pytest.mark.parametrize(
    "debut, cycle, annee",
    [
        (J(2024, 1, 8), 3, 1),
        (J(2024, 11, 4), 3, 2),
        (J(2025, 11, 3), 3, 3),
        (J(2026, 3, 2), 3, 3),
        (J(2024, 11, 4), 2, 1),
        (J(2023, 1, 9), 3, None),
        (J(2026, 9, 7), 3, None),
    ],
)
def test_annee_du_cycle_pour_la_session_2026(debut, cycle, annee):
    assert annee_du_cycle(debut, session=2026, duree_cycle=cycle) == annee


def test_duree_en_mois_calculee_d_un_coup_egale_la_boucle_mois_par_mois():
    """Le calcul direct du nombre de mois entiers rend ce que rendait la boucle mois par mois (fins de mois,
    années bissextiles, intervalles de plusieurs années)."""
    import random

    def par_boucle(debut, fin):
        if fin < debut:
            return Decimal(0)
        apres, mois = fin + datetime.timedelta(days=1), 0
        while regles_pfmp._ajouter_mois(debut, mois + 1) <= apres:
            mois += 1
        return Decimal(mois) + Decimal((apres - regles_pfmp._ajouter_mois(debut, mois)).days) / Decimal(30)

    hasard = random.Random(2026)
    for _ in range(5000):
        debut = datetime.date(2019, 1, 1) + datetime.timedelta(days=hasard.randint(0, 2500))
        fin = debut + datetime.timedelta(days=hasard.randint(-3, 1500))
        assert regles_pfmp.duree_en_mois(debut, fin) == par_boucle(debut, fin), (debut, fin)


def test_le_motif_du_blocage_dit_ce_qui_manque():
    """Le motif posé à l'examen est la raison que le jury lit : semaines manquantes, attestations non signées."""
    base = {"exigence": None, "niveau": regles_pfmp.Niveau.A_RISQUE}  # le motif ne lit que ce qui manque
    motif = regles_pfmp.motif_blocage
    assert motif(regles_pfmp.Conformite(**base, semaines_manquantes=Decimal(8))) == "PFMP : 8 semaines manquantes"
    assert motif(regles_pfmp.Conformite(**base, semaines_manquantes=Decimal("0.5"))) == "PFMP : 0,5 semaine manquante"
    assert (
        motif(regles_pfmp.Conformite(**base, semaines_manquantes=Decimal("2.5"), signatures_manquantes=2))
        == "PFMP : 2,5 semaines manquantes, 2 attestations non signées"
    )
    assert motif(regles_pfmp.Conformite(**base)) == "PFMP : justificatifs manquants"
    assert motif(regles_pfmp.Conformite(**{**base, "niveau": regles_pfmp.Niveau.CONFORME})) is None
