"""Salle du jury sur la base (issue #17, partie 4) : la page de délibération dit la raison et l'écart de chaque
candidat et la réussite par établissement et division ; le simulateur et l'harmonisation, même droit et même
périmètre que la délibération ; requêtes bornées quel que soit le nombre de candidats."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from agora.requetes import sql_lisible
from agora.roles import ENSEIGNANT
from examens import selectors, services
from examens.ccf import gabarits, saisie
from examens.models import Candidat, Grille, MembreCommission, Resultat
from referentiel.models import Referentiel
from tests import fabriques
from tests.examens.test_deliberation import noter

pytestmark = pytest.mark.django_db

EXEMPLE_4 = ["8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12"]  # 235,5/25 = 9,42, contrôle


def _deliberation(comptes):
    a = fabriques.candidat(division=comptes.division_a, nom="ABSENT")
    noter(a, ["12", "11", "13", "14", "12", "ABS", "11", "9", "10", "12", "13", "15"])
    b = fabriques.candidat(division=comptes.division_a, nom="CONTROLE")
    noter(b, EXEMPLE_4)
    c = fabriques.candidat(division=comptes.division_a, nom="BLOQUE")
    noter(c, ["12"] * 12)
    services.definir_blocage(candidat=c, source="pfmp", motif="justificatifs PFMP manquants")
    d = fabriques.candidat(division=comptes.division_a, nom="ADMIS")
    noter(d, ["12"] * 12)
    return a, b, c, d


def test_la_deliberation_dit_la_raison_l_ecart_et_la_reussite(comptes):
    a, b, c, d = _deliberation(comptes)
    page = comptes.client(comptes.academie).get(reverse("examens:deliberation", args=[2026]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "U33 absente (ABS)" in html
    assert "Justificatifs PFMP manquants" in html
    assert "moyenne 9,42\xa0&lt;\xa010" in html
    assert "moyenne professionnelle 11,09\xa0≥\xa010\xa0: épreuve de contrôle" in html
    # 9,42 − 10 = −0,58 ; il manque 250 − 235,5 = 14,5 points du jury
    assert "−0,58\u202f/\u202f10" in html and "+14,50" in html
    assert reverse("examens:simulateur", args=[2026, b.pk]) in html
    # Réussite : 1 admis (d) sur 4 délibérés du lycée et de la division
    lignes = page.context["salle"]["groupes"]
    (etablissement,) = lignes[0][1]
    assert (etablissement.libelle, etablissement.total, etablissement.deliberes) == ("Lycée Jean Jaurès", 4, 4)
    assert etablissement.taux == Decimal("25.0")
    assert "25,0&nbsp;%" in html


def test_la_trace_vient_quand_le_jury_la_deplie_et_garde_le_perimetre(comptes):
    """Issue #23 : la page ne lit ni n'écrit la trace de chaque candidat ; « trace » la demande, même droit et même
    périmètre que le simulateur, et sans JavaScript le lien mène à la fiche."""
    a, b, _, _ = _deliberation(comptes)
    client = comptes.client(comptes.academie)
    with CaptureQueriesContext(connection) as requetes:
        page = client.get(reverse("examens:deliberation", args=[2026]) + f"?division={comptes.division_a.pk}")
    assert page.status_code == 200
    sql = " ".join(sql_lisible(q["sql"]) for q in requetes.captured_queries)
    assert '"examens_resultat"."decision"' in sql and '"examens_resultat"."trace"' not in sql
    html = page.content.decode()
    url = reverse("examens:trace", args=[2026, b.pk])
    assert f'hx-get="{url}" hx-trigger="toggle once"' in html
    assert f'<a href="{reverse("examens:candidat", args=[b.pk])}">Détail du calcul' in html
    trace = b.resultat.trace
    assert trace and all(escape(ligne) not in html for ligne in trace[1:])

    fragment = client.get(url)
    assert fragment.status_code == 200
    texte = fragment.content.decode()
    assert texte.startswith('<ol class="small mb-0" data-testid="trace">')
    assert texte.count("<li>") == len(trace) and all(f"<li>{escape(ligne)}</li>" in texte for ligne in trace)
    # La fiche du candidat montre la même trace, du même fragment.
    fiche = client.get(reverse("examens:candidat", args=[b.pk])).content.decode()
    assert texte.strip() in fiche

    sans = fabriques.candidat(division=comptes.division_a, nom="SANSRESULTAT")
    Resultat.objects.filter(candidat=sans).delete()
    assert (
        "Pas encore de résultat calculé." in client.get(reverse("examens:trace", args=[2026, sans.pk])).content.decode()
    )
    creteil = fabriques.jury_de(comptes.division_c.etablissement, nom="Créteil", code_academie="CRETEIL")
    assert comptes.client(creteil.president).get(url).status_code == 404  # hors de son périmètre
    assert comptes.client(comptes.gestionnaire).get(url).status_code == 403  # un lycée ne délibère pas
    assert comptes.client(comptes.enseignant).get(url).status_code == 403
    assert client.get(reverse("examens:trace", args=[2026, 2_000_000_000])).status_code == 404
    assert client.get(reverse("examens:trace", args=[1999, b.pk])).status_code == 404


def test_salle_du_jury_fait_un_nombre_borne_de_requetes(comptes, django_assert_max_num_queries):
    session = fabriques.session()
    for _ in range(3):
        noter(fabriques.candidat(division=comptes.division_a), EXEMPLE_4)
    selectors.salle_du_jury(Candidat.objects.filter(session=session), session)  # le règlement, lu une fois
    with django_assert_max_num_queries(3):
        petit = selectors.salle_du_jury(Candidat.objects.filter(session=session), session)
    for _ in range(20):
        noter(fabriques.candidat(division=comptes.division_c), ["12"] * 12)
    with django_assert_max_num_queries(3):  # candidats, notes, blocages : pas une requête par candidat
        grand = selectors.salle_du_jury(Candidat.objects.filter(session=session), session)
    assert (len(petit["lignes"]), len(grand["lignes"])) == (3, 23)


def _empreintes(session):
    return {c.pk: c.resultat.empreinte for c in Candidat.objects.filter(session=session).select_related("resultat")}


def test_une_ligne_du_jury_deja_expliquee_n_est_ni_relue_ni_recalculee(comptes, django_assert_num_queries):
    """Sous l'empreinte du résultat enregistré, la ligne gardée est celle du même calcul : mêmes raisons, même écart,
    mêmes points du jury ; seuls les candidats sont relus (pas leurs notes ni leurs blocages)."""
    selectors._EXPLICATIONS.vider()
    a, b, c, d = _deliberation(comptes)
    session = a.session
    empreintes = _empreintes(session)
    premiere = selectors.salle_du_jury(Candidat.objects.filter(session=session), session, empreintes)
    with django_assert_num_queries(1):  # les candidats (établissement, division) : ni notes, ni blocages
        seconde = selectors.salle_du_jury(Candidat.objects.filter(session=session), session, empreintes)
    for x in (a, b, c, d):
        assert seconde["lignes"][x.pk] is premiere["lignes"][x.pk]
    assert seconde["lignes"][b.pk].raisons == premiere["lignes"][b.pk].raisons
    assert [(g.libelle, g.total, g.taux) for g in seconde["groupes"][1][1]] == [
        (g.libelle, g.total, g.taux) for g in premiere["groupes"][1][1]
    ]
    # Sans mémoire, le même calcul refait donne les mêmes lignes.
    selectors._EXPLICATIONS.vider()
    refaite = selectors.salle_du_jury(Candidat.objects.filter(session=session), session, _empreintes(session))
    for x in (a, b, c, d):
        assert refaite["lignes"][x.pk].raisons == premiere["lignes"][x.pk].raisons
        assert refaite["lignes"][x.pk].points_pour_prochain == premiere["lignes"][x.pk].points_pour_prochain


def test_une_note_changee_change_l_explication_du_jury(comptes):
    """La note change l'empreinte : la page ne relit jamais l'ancienne ligne, elle explique le nouveau résultat."""
    selectors._EXPLICATIONS.vider()
    a, b, c, d = _deliberation(comptes)
    client = comptes.client(comptes.academie)
    adresse = reverse("examens:deliberation", args=[2026])
    assert "U33 absente (ABS)" in client.get(adresse).content.decode()
    assert "U33 absente (ABS)" in client.get(adresse).content.decode()  # la ligne gardée
    noter(a, ["12", "11", "13", "14", "12", "12", "11", "9", "10", "12", "13", "15"])  # U33 : ABS → 12
    html = client.get(adresse).content.decode()
    assert "U33 absente (ABS)" not in html
    a.refresh_from_db()
    assert a.resultat.decision == "admis"
    assert selectors._EXPLICATIONS.lire(a.resultat.empreinte).resultat.decision.value == "admis"


def test_la_memoire_des_explications_oublie_les_plus_anciennes():
    memoire = selectors._Explications(2)
    for cle in ("a", "b"):
        memoire.retenir(cle, cle)
    memoire.lire("a")  # « a » relue : « b » est la plus ancienne
    memoire.retenir("c", "c")
    assert (memoire.lire("a"), memoire.lire("b"), memoire.lire("c")) == ("a", None, "c")


def test_le_simulateur_propose_la_note_du_moteur_et_garde_le_perimetre(comptes):
    _, b, _, d = _deliberation(comptes)
    url = reverse("examens:simulateur", args=[2026, b.pk])
    page = comptes.client(comptes.academie).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # U12 6 et U51 7 : note commune 10,86 (3,5 × 10,86 − 23,5 = 14,51 ≥ 14,5), U51 7,20 si U12 obtient 20
    assert "U12 et U51" in html and "10,86" in html and "7,20" in html
    assert "moyenne 9,42\xa0&lt;\xa010" in html
    assert 'data-testid="paire-choisie"' not in html  # aucune paire choisie : aucune mise en avant
    b.controle_scientifique, b.controle_francais_hg = "U12", "U51"
    b.save(update_fields=["controle_scientifique", "controle_francais_hg"])
    choisie = comptes.client(comptes.academie).get(url).content.decode()
    assert choisie.count('data-testid="paire-choisie"') == 1
    # Admis : pas de paire, mais l'écart aux mentions et les points du jury (14 × 25 − 300 = 50)
    admis = comptes.client(comptes.academie).get(reverse("examens:simulateur", args=[2026, d.pk]))
    assert "Sans objet" in admis.content.decode() and "+50,00" in admis.content.decode()
    creteil = fabriques.jury_de(comptes.division_c.etablissement, nom="Créteil", code_academie="CRETEIL")
    assert comptes.client(creteil.president).get(url).status_code == 404  # hors de son périmètre (son jury)
    assert comptes.client(comptes.gestionnaire).get(url).status_code == 403  # un lycée ne délibère pas
    assert comptes.client(comptes.enseignant).get(url).status_code == 403  # pas le droit de délibérer


def _u31(candidat, note):
    noter(candidat, ["12", "12", "12", note, "12", "12", "12", "12", "12", "12", "12", "12"])


def test_l_harmonisation_signale_la_commission_qui_note_haut(comptes):
    gabarit = gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))["E31"]
    collegue = User.objects.create_user("collegue", password=fabriques.MOT_DE_PASSE)
    collegue.groups.add(Group.objects.get(name=ENSEIGNANT))
    ens = MembreCommission.Qualite.ENSEIGNANT
    commission = saisie.enregistrer_commission(
        gabarit=gabarit,
        divisions=[comptes.division_a],
        membres=[(comptes.enseignant, ens), (collegue, ens)],
        nom="Commission A",
        auteur=comptes.gestionnaire,
    )
    for note in ("16", "17", "17.5", "18", "16.5"):  # lycée 1, commission A : médiane 17
        c = fabriques.candidat(division=comptes.division_a)
        _u31(c, note)
        Grille.objects.create(commission=commission, candidat=c, gabarit=gabarit, epreuve="E31", forme="ccf")
    for note in ("9", "10", "10.5", "11", "12", "8"):  # lycée 2 : médiane 10,25
        _u31(fabriques.candidat(division=comptes.division_c), note)
    for note in ("7", "9.25"):  # formation continue privée : E31 en ponctuel
        _u31(fabriques.candidat(division=comptes.division_c, statut="fpc_prive"), note)

    page = comptes.client(comptes.administrateur).get(reverse("examens:harmonisation", args=[2026]))
    assert page.status_code == 200
    (u31,) = [u for u in page.context["unites"] if u["unite"] == "U31"]
    boites = {b.libelle: b for b in u31["boites"]}
    assert boites["Session, en CCF"].n == 11 and boites["Session, en ponctuel"].n == 2
    assert boites["Session, en ponctuel"].mediane == Decimal("8.125")
    # Médiane 17 contre 10,25 pour les six autres notes en CCF : +6,75 > 2 points → signalé
    assert boites["Lycée Jean Jaurès"].signale and boites["Lycée Jean Jaurès"].ecart_autres == Decimal("6.75")
    assert boites["Commission A (Lycée Jean Jaurès)"].signale
    assert boites["Lycée Marie Curie"].ecart_autres == Decimal("-6.75")
    html = page.content.decode()
    assert "<svg" in html and "⚠ Commission A (Lycée Jean Jaurès)" in html and "+6,75" in html
    assert "médiane 17,00" in html
    # Le jury du lycée 2 ne voit que ses candidats : plus aucun groupe de comparaison, rien de signalé.
    creteil = fabriques.jury_de(comptes.division_c.etablissement, nom="Créteil", code_academie="CRETEIL")
    autre = comptes.client(creteil.president).get(reverse("examens:harmonisation", args=[2026]))
    assert all(not u["signalees"] for u in autre.context["unites"])
    assert "Lycée Jean Jaurès" not in autre.content.decode()
    assert comptes.client(comptes.enseignant).get(reverse("examens:harmonisation", args=[2026])).status_code == 403


def test_l_harmonisation_fait_un_nombre_borne_de_requetes(comptes, django_assert_max_num_queries):
    session = fabriques.session()
    for note in ("9", "10", "11"):
        _u31(fabriques.candidat(division=comptes.division_a), note)
    selectors.harmonisation(Candidat.objects.filter(session=session), session)  # le règlement, lu une fois
    for note in ("12", "13", "14", "15", "16"):
        _u31(fabriques.candidat(division=comptes.division_c), note)
    with django_assert_max_num_queries(4):  # intitulés, candidats, grilles, notes : pas une requête par candidat
        unites = selectors.harmonisation(Candidat.objects.filter(session=session), session)
    (u31,) = [u for u in unites if u["unite"] == "U31"]
    assert u31["boites"][0].libelle == "Session, en CCF" and u31["boites"][0].n == 8
