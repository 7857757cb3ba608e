"""Synchronisation d'une session par lots, et PFMP synthétiques (`demo.synthese_pfmp`) pour les bancs d'essai."""

import io
import os
import random
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.management.base import OutputWrapper
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agora.roles import ENSEIGNANT
from demo import synthese_pfmp as generation
from demo.management.commands.generer_donnees import POIDS_STATUTS
from examens.identifiants import uai_avec_cle
from examens.models import Blocage, Candidat, Division, Etablissement, Journal
from pfmp import regles_pfmp, selectors, services
from pfmp.models import (
    Attestation,
    CertificatTravail,
    Convention,
    DossierPfmp,
    Evaluation,
    Organisation,
    Periode,
    Tuteur,
)
from tests import fabriques
from tests.pfmp.outils import PREMIERE, SECONDE, TERMINALE, J, etrangere, organisation, periode

# Écrits pour l'option « UE, EEE, AELE » de l'unité de mobilité (la démo et le générateur y placent le Royaume-Uni
# comme contre-exemple) ; la lecture par défaut, « à l'étranger », a ses tests dans test_services et test_regles_pfmp.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("zone_ue")]

PFMP = services.MOTIF_PREFIXE  # « PFMP : 8 semaines manquantes » : le motif dit ce qui manque
EXAMEN = regles_pfmp.date_examen(2026)


def etat(session) -> tuple[set, dict]:
    """Ce que la synchronisation écrit : les blocages (toutes sources) et l'éligibilité à la mobilité."""
    blocages = set(Blocage.objects.filter(candidat__session=session).values_list("candidat_id", "source", "motif"))
    mobilite = dict(Candidat.objects.filter(session=session).values_list("pk", "mobilite_eligible"))
    return blocages, mobilite


def remettre(session, sauvegarde: tuple[set, dict]) -> None:
    blocages, mobilite = sauvegarde
    Blocage.objects.filter(candidat__session=session).delete()
    Blocage.objects.bulk_create([Blocage(candidat_id=c, source=s, motif=m) for c, s, m in blocages])
    for valeur in (True, False, None):
        Candidat.objects.filter(pk__in=[pk for pk, v in mobilite.items() if v is valeur]).update(
            mobilite_eligible=valeur
        )


# ---------------------------------------------------------------------------------------------------
# synchroniser_session : mêmes écritures que `appliquer` candidat par candidat, en requêtes bornées
# ---------------------------------------------------------------------------------------------------


def test_la_synchronisation_par_lots_ecrit_exactement_ce_qu_ecrit_le_chemin_candidat_par_candidat():
    conforme = fabriques.candidat(duree_cycle=2)
    periode(conforme, *PREMIERE, attestees="8")
    periode(conforme, *TERMINALE, attestees="8")
    incomplet = fabriques.candidat()
    periode(incomplet, *SECONDE, attestees="6")
    mobilite = fabriques.candidat(duree_cycle=2, facultative1="MOBILITE")
    periode(mobilite, *PREMIERE, org=etrangere("ES"), attestees="8")
    periode(mobilite, *TERMINALE, attestees="8")
    royaume_uni = fabriques.candidat(duree_cycle=2, facultative2="MOBILITE")
    periode(royaume_uni, *PREMIERE, org=etrangere("GB"), attestees="8")
    periode(royaume_uni, *TERMINALE, attestees="8")
    en_cours = fabriques.candidat(duree_cycle=2)
    periode(en_cours, *PREMIERE, attestees="8")
    periode(en_cours, J(2026, 3, 2), J(2026, 4, 24), "8")  # prévue, pas encore attestée
    mobilite_sans_periode = fabriques.candidat(facultative1="MOBILITE")
    sans_rien = fabriques.candidat()
    perime = fabriques.candidat()  # éligibilité d'une période supprimée depuis : repasse à False
    apprenti = fabriques.candidat(statut="apprenti_cfa_habilite")
    apprenti_mobilite = fabriques.candidat(statut="apprenti_cfa_habilite", facultative2="MOBILITE")
    session = conforme.session
    # Un état de départ à corriger dans tous les sens.
    Blocage.objects.create(candidat=conforme, source="pfmp", motif=PFMP + "16 semaines manquantes")  # à lever
    Blocage.objects.filter(candidat=incomplet, source="pfmp").delete()  # à poser
    Blocage.objects.create(candidat=sans_rien, source="pfmp", motif="ancien motif")  # motif à corriger
    Blocage.objects.create(candidat=incomplet, source="autre", motif="dossier administratif")  # autre source : intact
    Candidat.objects.filter(pk=mobilite.pk).update(mobilite_eligible=None)
    Candidat.objects.filter(pk__in=[royaume_uni.pk, perime.pk]).update(mobilite_eligible=True)
    depart = etat(session)
    aujourd_hui = J(2026, 1, 15)

    for ligne in selectors.tableau(Candidat.objects.filter(session=session), aujourd_hui):
        services.appliquer(candidat=ligne.candidat, conformite=ligne.conformite)
    candidat_par_candidat = etat(session)
    remettre(session, depart)
    assert etat(session) == depart
    compte = services.synchroniser_session(session=session, aujourd_hui=aujourd_hui)
    par_lots = etat(session)

    assert par_lots == candidat_par_candidat != depart
    blocages, eligibles = par_lots
    # Le motif PFMP dit ce qui manque (vérifié ailleurs) ; ici, qui est bloqué et par quelle source.
    assert {(c, s, m.startswith(PFMP) if s == "pfmp" else m) for c, s, m in blocages} == {
        (incomplet.pk, "pfmp", True),
        (incomplet.pk, "autre", "dossier administratif"),
        (en_cours.pk, "pfmp", True),
        (mobilite_sans_periode.pk, "pfmp", True),
        (sans_rien.pk, "pfmp", True),
        (perime.pk, "pfmp", True),
    }
    assert {c.pk: eligibles[c.pk] for c in (mobilite, royaume_uni, mobilite_sans_periode, sans_rien, perime)} == {
        mobilite.pk: True,
        royaume_uni.pk: False,
        mobilite_sans_periode.pk: False,
        sans_rien.pk: None,  # ni période, ni unité choisie : reste « inconnu »
        perime.pk: False,
    }
    assert (eligibles[apprenti.pk], eligibles[apprenti_mobilite.pk], eligibles[conforme.pk]) == (None, False, False)
    assert compte == {"conforme": 5, "en_cours": 1, "a_risque": 4, "blocages_changes": 8}
    assert Journal.objects.filter(action="pfmp.synchronisation", apres=compte).count() == 1


def test_la_synchronisation_fait_le_meme_nombre_de_requetes_pour_3_ou_30_candidats(django_assert_max_num_queries):
    francaise, espagnole = organisation(), etrangere("ES")

    def inscrire(nombre: int) -> None:
        for i in range(nombre):
            c = fabriques.candidat(duree_cycle=2, facultative1="MOBILITE" if i % 3 == 0 else "")
            periode(c, *PREMIERE, org=espagnole if i % 3 == 0 else francaise, attestees="8")
            if i % 3 == 1:
                periode(c, *TERMINALE, org=francaise, attestees="8")

    def brouiller(session) -> None:
        """Toutes les écritures servent : blocages à lever et à poser, mobilité à passer à True et à False."""
        Blocage.objects.filter(candidat__session=session).delete()
        Blocage.objects.bulk_create(
            [Blocage(candidat=c, source="pfmp", motif="périmé") for c in Candidat.objects.filter(session=session)]
        )
        Candidat.objects.filter(session=session).update(mobilite_eligible=None)

    inscrire(3)
    session = fabriques.session()
    brouiller(session)
    with django_assert_max_num_queries(25) as petit:
        services.synchroniser_session(session=session)
    inscrire(27)
    brouiller(session)
    with django_assert_max_num_queries(len(petit.captured_queries)) as grand:
        compte = services.synchroniser_session(session=session)
    assert len(grand.captured_queries) == len(petit.captured_queries)
    assert compte["conforme"] == 10 and Blocage.objects.filter(source="pfmp", motif__startswith=PFMP).count() == 20
    assert Candidat.objects.filter(mobilite_eligible=True).count() == 10
    assert not Candidat.objects.filter(mobilite_eligible=None).exists()


# ---------------------------------------------------------------------------------------------------
# Données synthétiques
# ---------------------------------------------------------------------------------------------------

# Tous les statuts, dans des proportions proches d'une session nationale (voir generer_donnees).
STATUTS = (
    ["scolaire_public"] * 17
    + ["scolaire_prive_sous_contrat"] * 4
    + ["scolaire_prive_hors_contrat", "apprenti_cfa_non_habilite", "fpc_public", "fpc_public_habilite"]
    + ["apprenti_cfa_habilite"] * 3
    + ["fpc_prive", "experience_3_ans", "enseignement_distance"] * 2
)


def sortie() -> OutputWrapper:
    return OutputWrapper(io.StringIO())


@pytest.fixture
def generes():
    """Environ 150 candidats de tous statuts dans trois lycées, puis leurs PFMP générées."""
    divisions = []
    for code in ("0750001", "0930122", "0690010"):
        etab = fabriques.etablissement(code)
        divisions += [fabriques.division(nom, etab) for nom in ("TAGO1", "TAGO2")]
    divisions[0].enseignants.add(fabriques.utilisateur("referent", ENSEIGNANT))
    candidats = [
        fabriques.candidat(
            division=divisions[i % len(divisions)],
            statut=STATUTS[i % len(STATUTS)],
            facultative1="MOBILITE" if i % 4 == 0 else "EPS",
            facultative2="MOBILITE" if i % 10 == 3 else "",
        )
        for i in range(len(STATUTS) * 5)
    ]
    flux = sortie()
    compte = generation.generer_donnees(
        session=candidats[0].session, candidats=candidats, hasard=random.Random(2026), sortie=flux
    )
    return candidats, compte, flux._out.getvalue()


def test_chaque_candidat_a_les_justificatifs_de_sa_voie_la_plupart_conformes_quelques_uns_bloques(generes):
    candidats, compte, texte = generes
    assert "pfmp" in texte and f"{len(candidats)}/{len(candidats)}" in texte and texte.endswith("bloqués\n")
    lignes = selectors.tableau(Candidat.objects.filter(pk__in=[c.pk for c in candidats]), EXAMEN)
    soumis = [ligne for ligne in lignes if ligne.conformite.exigence.justificatif != "contrat"]
    assert len(soumis) == len(candidats) - 4 * 5  # tous sauf les apprentis
    for ligne in soumis:
        c = ligne.candidat
        periodes = selectors.periodes_de(c)
        assert periodes or list(c.pfmp_certificats.all()), c.statut
    conformes = sum(1 for ligne in soumis if ligne.conformite.conforme)
    assert 0.85 * len(soumis) <= conformes < len(soumis)
    # Les blocages posés sont exactement les candidats non conformes d'après selectors.conformite.
    bloques = set(Blocage.objects.filter(source="pfmp", motif__startswith=PFMP).values_list("candidat_id", flat=True))
    assert bloques == {
        ligne.candidat.pk for ligne in lignes if not selectors.conformite(ligne.candidat, EXAMEN).conforme
    }
    assert 1 <= len(bloques) == compte["a_risque"] and compte["en_cours"] == 0
    # Chaque voie est représentée.
    voies = {ligne.conformite.exigence.voie for ligne in lignes}
    assert voies == set(regles_pfmp.Voie)
    assert compte["periodes"] == Periode.objects.filter(convention__candidat__in=candidats).count()
    assert compte["certificats"] == CertificatTravail.objects.filter(candidat__in=candidats).count()


def test_l_unite_de_mobilite_s_appuie_le_plus_souvent_sur_une_periode_dans_l_union_europeenne(generes):
    candidats, _, _ = generes
    choisie = [c for c in candidats if "MOBILITE" in (c.facultative1, c.facultative2)]
    a_l_etranger = set(
        Periode.objects.filter(convention__candidat__in=choisie, pays__in=generation.PAYS_MOBILITE).values_list(
            "convention__candidat_id", flat=True
        )
    )
    assert len(a_l_etranger) >= 0.7 * len(choisie)
    eligibles = dict(Candidat.objects.filter(pk__in=[c.pk for c in choisie]).values_list("pk", "mobilite_eligible"))
    assert None not in eligibles.values()  # l'unité choisie : toujours tranchée
    assert {pk for pk, e in eligibles.items() if e} <= a_l_etranger
    assert sum(eligibles.values()) >= 0.65 * len(choisie)
    assert set(Periode.objects.exclude(pays="FR").values_list("pays", flat=True)) <= {"ES", "DE", "IT", "GB"}


def test_les_donnees_generees_passent_les_validations_des_modeles(generes):
    candidats, _, _ = generes
    organisations = Organisation.objects.filter(conventions__candidat__in=candidats).distinct()
    assert 10 <= organisations.count() <= 20
    for objet in [
        *organisations,
        *Tuteur.objects.filter(organisation__in=organisations),
        *Convention.objects.filter(candidat__in=candidats).order_by("?")[:60],
        *Periode.objects.filter(convention__candidat__in=candidats).order_by("?")[:60],
        *Attestation.objects.filter(periode__convention__candidat__in=candidats).order_by("?")[:60],
        *Evaluation.objects.filter(periode__convention__candidat__in=candidats)[:20],
        *CertificatTravail.objects.filter(candidat__in=candidats),
        *DossierPfmp.objects.filter(candidat__in=candidats),
    ]:
        objet.full_clean()
    # Ce que les services refuseraient à la saisie : semaines au-delà des dates, chevauchements, signatures.
    for p in Periode.objects.filter(convention__candidat__in=candidats).select_related(
        "convention__organisation", "convention__candidat"
    ):
        assert 0 < p.semaines <= regles_pfmp.semaines_calendaires(p.date_debut, p.date_fin)
        assert p.date_fin < EXAMEN and p.pays == p.convention.organisation.pays
        if p.convention.etat != Convention.Etat.RESILIEE:
            assert services.chevauchement(p.convention.candidat, p.date_debut, p.date_fin, sauf=p) is None
        if p.convention.etat == Convention.Etat.SIGNEE:
            assert p.convention.date_signature < p.date_debut
    for a in Attestation.objects.filter(periode__convention__candidat__in=candidats, signee=True):
        assert a.date_debut <= a.date_signature and a.semaines <= regles_pfmp.semaines_calendaires(
            a.date_debut, a.date_fin
        )
    assert Convention.objects.filter(candidat__in=candidats, referent__username="referent").exists()
    # Rien qui empêche generer_donnees --remplacer de supprimer la session (attestation remplacée : clé protégée).
    assert not Attestation.objects.exclude(remplace=None).exists()
    assert Convention.objects.filter(candidat__in=candidats, etat=Convention.Etat.RESILIEE).exists()


def test_une_seconde_generation_reprend_les_memes_organisations(generes):
    candidats, _, _ = generes
    avant = Organisation.objects.count(), Tuteur.objects.count()
    autres = [
        fabriques.candidat(division=candidats[0].division, statut="scolaire_public", facultative1="MOBILITE")
        for _ in range(10)
    ]
    generation.generer_donnees(session=autres[0].session, candidats=autres, hasard=random.Random(1), sortie=sortie())
    assert (Organisation.objects.count(), Tuteur.objects.count()) == avant
    assert Periode.objects.filter(convention__candidat__in=autres).count() >= 30


def test_siret_synthetique_valide():
    for rang in (1, 357, 9999):
        assert Organisation(nom="x", siret=generation.siret_synthetique(rang)).full_clean() is None


def test_une_session_generee_se_supprime_par_l_orm_comme_le_fait_generer_donnees_remplacer(generes):
    candidats, _, _ = generes
    candidats[0].session.delete()
    assert not Periode.objects.exists() and not Attestation.objects.exists() and Organisation.objects.exists()


# ---------------------------------------------------------------------------------------------------
# Mesure : génération pour 500 candidats (AGORA_MESURE_PFMP=25000 pour une autre taille)
# ---------------------------------------------------------------------------------------------------


def test_mesure_de_la_generation_et_de_la_synchronisation(capsys):
    nombre = int(os.environ.get("AGORA_MESURE_PFMP", "500"))
    session = fabriques.session()
    hasard = random.Random(2026)
    lycees = Etablissement.objects.bulk_create(
        [Etablissement(uai=uai_avec_cle(f"{800000 + i:07d}"), nom=f"Lycée mesuré {i}") for i in range(nombre // 60)]
    )
    divisions = Division.objects.bulk_create(
        [Division(session=session, etablissement=e, nom=f"TAGO{j + 1}") for e in lycees for j in range(2)]
    )
    statuts, poids = zip(*POIDS_STATUTS.items(), strict=True)
    candidats = Candidat.objects.bulk_create(
        [
            Candidat(
                session=session,
                numero=f"M{i:07d}",
                nom="MESURE",
                prenom="Léa",
                date_naissance=date(2008, 1, 1),
                etablissement_id=divisions[i % len(divisions)].etablissement_id,
                division=divisions[i % len(divisions)],
                statut=hasard.choices(statuts, poids)[0],
                lv1="en",
                facultative1=hasard.choice(["", "", "", "EPS", "LV:it", "MOBILITE"]),
            )
            for i in range(nombre)
        ],
        batch_size=5000,
    )
    debut = time.perf_counter()
    compte = generation.generer_donnees(session=session, candidats=candidats, hasard=hasard, sortie=sortie())
    generation_s = time.perf_counter() - debut
    with CaptureQueriesContext(connection) as requetes:
        debut = time.perf_counter()
        services.synchroniser_session(session=session, aujourd_hui=EXAMEN)
        synchronisation_s = time.perf_counter() - debut
    bloques = Blocage.objects.filter(candidat__session=session, source="pfmp").count()
    mobilite = Candidat.objects.filter(session=session, facultative1="MOBILITE")
    with capsys.disabled():
        print(
            f"\n[mesure PFMP] {nombre} candidats : génération {generation_s:.2f} s "
            f"(≈ {generation_s * 25000 / nombre:.0f} s pour 25 000) ; synchronisation seule {synchronisation_s:.2f} s "
            f"en {len(requetes.captured_queries)} requêtes ; {compte['periodes']} périodes, "
            f"{compte['attestations']} attestations, {compte['certificats']} certificats, "
            f"{compte['evaluations']} documents de liaison, {compte['organisations']} organisations ; "
            f"{bloques} bloqués ({100 * bloques / nombre:.1f} %), mobilité ouverte à "
            f"{mobilite.filter(mobilite_eligible=True).count()}/{mobilite.count()} candidats qui l'ont choisie"
        )
    assert len(requetes.captured_queries) <= 20
    assert 0.02 * nombre <= bloques <= 0.06 * nombre
    assert compte["periodes"] >= 4 * nombre
    assert Decimal(compte["attestations"]) >= Decimal("0.95") * compte["periodes"]
