"""Pages du bureau des examens : accès, contenu, requêtes bornées."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agora.requetes import sql_lisible
from examens import services
from examens.models import Candidat, HistoriqueNote, Journal, Note
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, UNITES, csv_bytes, ligne_candidat

pytestmark = pytest.mark.django_db


def division_de(comptes, n):
    return [fabriques.candidat(division=comptes.division_a, nom=f"NOM{i:02d}") for i in range(n)]


def noter_tout(candidat, valeur="12"):
    for unite in UNITES:
        Note.objects.create(candidat=candidat, unite=unite, valeur=Decimal(valeur))


@pytest.mark.parametrize("n", [35])
def test_les_pages_d_une_division_de_35_candidats_font_un_nombre_borne_de_requetes(
    comptes, n, django_assert_max_num_queries
):
    for c in division_de(comptes, n):
        noter_tout(c)
    services.deliberer(session=fabriques.session())
    client = comptes.client(comptes.academie)
    pages = [
        "/examens/sessions/2026/",
        f"/examens/sessions/2026/candidats/?division={comptes.division_a.pk}",
        "/examens/sessions/2026/notes/U51/",
        f"/examens/sessions/2026/deliberation/?division={comptes.division_a.pk}",
        "/examens/sessions/2026/proces-verbal/",
        "/examens/sessions/2026/resultats.csv",
    ]
    for url in pages:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url


def test_le_gestionnaire_ne_voit_pas_les_candidats_d_un_autre_etablissement(comptes):
    autre = fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    client = comptes.client(comptes.gestionnaire)
    assert client.get(f"/examens/candidats/{autre.pk}/").status_code == 404
    assert "AILLEURS" not in client.get("/examens/sessions/2026/candidats/").content.decode()
    assert comptes.client(comptes.gestionnaire_autre).get(f"/examens/candidats/{autre.pk}/").status_code == 200


def test_un_enseignant_ne_peut_ni_deliberer_ni_saisir_les_notes_ponctuelles(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    client = comptes.client(comptes.enseignant)
    assert client.get("/examens/sessions/2026/deliberation/").status_code == 403
    assert client.post("/examens/sessions/2026/deliberation/calculer/").status_code == 403
    assert client.post(f"/examens/candidats/{c.pk}/notes/U51/", {"note": "12"}).status_code == 403
    assert client.get(f"/examens/candidats/{c.pk}/").status_code == 200


def test_saisie_d_une_cellule_valide_et_refus_explique(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    client = comptes.client(comptes.gestionnaire)
    reponse = client.post(f"/examens/candidats/{c.pk}/notes/U51/", {"note": "12,5"})
    assert reponse.json() == {"ok": True, "affichage": "12,50"}
    reponse = client.post(f"/examens/candidats/{c.pk}/notes/U51/", {"note": "21"})
    assert reponse.status_code == 422 and "entre 0 et 20" in reponse.json()["erreur"]
    assert Note.objects.get(candidat=c, unite="U51").valeur == Decimal("12.5")


def test_la_fiche_candidat_montre_le_mode_derive_du_reglement(comptes):
    scolaire = fabriques.candidat(division=comptes.division_a, statut="scolaire_public")
    fpc = fabriques.candidat(division=comptes.division_a, statut="fpc_public_habilite")
    client = comptes.client(comptes.gestionnaire)
    page = client.get(f"/examens/candidats/{scolaire.pk}/").content.decode()
    assert "Ponctuel écrit" in page and "3 h 30" in page  # E2 ponctuel écrit 3 h 30 en catégorie 1
    page = client.get(f"/examens/candidats/{fpc.pk}/").content.decode()
    assert "3 h 30" not in page and "CCF" in page  # catégorie 3 : tout en CCF


def test_jury_modifie_une_note_avec_motif_obligatoire(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter_tout(c)
    client = comptes.client(comptes.academie)
    client.post(f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U31", "note": "14", "motif": "", "groupe": "1"})
    assert Note.objects.get(candidat=c, unite="U31").valeur == 12
    client.post(
        f"/examens/candidats/{c.pk}/jury/note/",
        {"unite": "U31", "note": "14", "motif": "Erreur de report", "groupe": "1"},
    )
    note = Note.objects.get(candidat=c, unite="U31")
    assert (note.valeur, note.origine) == (14, "jury")
    h = HistoriqueNote.objects.filter(candidat=c, unite="U31").latest("id")
    assert (h.avant, h.apres, h.motif, h.auteur) == ("12,00", "14,00", "Erreur de report", comptes.academie)


def test_points_du_jury_comptent_et_sont_traces(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter_tout(c, "9.9")  # 247,5 / 25 = 9,90
    client = comptes.client(comptes.academie)
    client.post(f"/examens/candidats/{c.pk}/jury/points/", {"points": "2,5", "motif": "Livret scolaire examiné"})
    services.deliberer(session=c.session)
    c.refresh_from_db()
    assert c.points_jury == Decimal("2.5") and c.resultat.moyenne == Decimal("10.00") and c.resultat.decision == "admis"
    assert Journal.objects.filter(
        action="jury.points", candidat_numero=c.numero, motif="Livret scolaire examiné"
    ).exists()


def test_export_csv_bom_point_virgule_virgule_decimale_et_formules_neutralisees(comptes):
    c = fabriques.candidat(division=comptes.division_a, nom="=CMD()")
    noter_tout(c, "12.5")
    services.deliberer(session=c.session)
    reponse = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/resultats.csv")
    texte = reponse.content.decode("utf-8")
    assert texte.startswith("\ufeffnumero_candidat;nom;")
    ligne = texte.splitlines()[1].split(";")
    # deux décimales au moins partout : notes « 12,50 », points « 312,50 », moyenne « 12,50 »
    assert ligne[1] == "'=CMD()" and "12,5" not in ligne and "312,50" in ligne and "12,50" in ligne and "Admis" in ligne
    xlsx = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/resultats.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_import_par_la_page_apercu_puis_confirmation(comptes):
    client = comptes.client(comptes.gestionnaire)
    fichier = SimpleUploadedFile("c.csv", csv_bytes(ENTETE_CANDIDATS, ligne_candidat("N001"), ligne_candidat("N002")))
    reponse = client.post("/examens/sessions/2026/importer/", {"type": "candidats", "fichier": fichier})
    assert "Aperçu de c.csv" in reponse.content.decode() and not Candidat.objects.filter(numero="N001").exists()
    jeton = reponse.context["jeton"]
    client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/")
    assert Candidat.objects.filter(numero__in=["N001", "N002"]).count() == 2
    # une seconde confirmation du même jeton ne réimporte rien
    reponse = client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/", follow=True)
    assert "expiré" in reponse.content.decode()


def test_une_confirmation_perimee_montre_le_nouvel_apercu_sans_rien_ecrire(comptes):
    candidat = fabriques.candidat(division=comptes.division_a, numero="P001")
    services.saisir_note(candidat=candidat, unite="U2", texte="9", auteur=comptes.gestionnaire)
    client = comptes.client(comptes.gestionnaire)
    fichier = SimpleUploadedFile("n.csv", csv_bytes("numero_candidat;unite;note", "P001;U2;10"))
    jeton = client.post("/examens/sessions/2026/importer/", {"type": "notes", "fichier": fichier}).context["jeton"]
    services.saisir_note(candidat=candidat, unite="U2", texte="12", auteur=comptes.gestionnaire)
    reponse = client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/")
    page = reponse.content.decode()
    assert "Rien n'a été importé" in page and "12,00</del>" in page and "10,00</strong>" in page
    assert Note.objects.get(candidat=candidat, unite="U2").valeur == Decimal("12")
    client.post(f"/examens/sessions/2026/importer/{reponse.context['jeton']}/confirmer/")
    assert Note.objects.get(candidat=candidat, unite="U2").valeur == Decimal("10")


def test_import_par_la_page_refuse_liste_les_lignes(comptes):
    client = comptes.client(comptes.gestionnaire)
    fichier = SimpleUploadedFile("c.csv", csv_bytes(ENTETE_CANDIDATS, ligne_candidat("N001", statut="x")))
    page = client.post("/examens/sessions/2026/importer/", {"type": "candidats", "fichier": fichier}).content.decode()
    assert "Import refusé : 1 erreur" in page and "ligne 2 : statut « x » inconnu" in page


def test_formulaire_candidat_erreurs_a_cote_du_champ(comptes):
    client = comptes.client(comptes.gestionnaire)
    reponse = client.post(
        "/examens/sessions/2026/candidats/nouveau/",
        {
            "numero_candidat": "F001",
            "nom": "X",
            "prenom": "Y",
            "date_naissance": "31/02/2008",
            "uai": "0750001U",
            "statut": "scolaire_public",
            "forme": "globale",
            "lv1": "en",
            "lv2": "en",
            "duree_cycle": "3",
        },
    )
    form = reponse.context["form"]
    assert "date_naissance" in form.errors and "lv1" in form.errors or "lv2" in form.errors
    reponse = client.post(
        "/examens/sessions/2026/candidats/nouveau/",
        {
            "numero_candidat": "F001",
            "nom": "X",
            "prenom": "Y",
            "date_naissance": "28/02/2008",
            "uai": "0750001U",
            "statut": "scolaire_public",
            "forme": "globale",
            "lv1": "en",
            "lv2": "es",
            "duree_cycle": "3",
        },
    )
    assert reponse.status_code == 302 and Candidat.objects.filter(numero="F001").exists()


def test_releve_et_journal_exportable(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter_tout(c)
    services.deliberer(session=c.session, auteur=comptes.gestionnaire)
    client = comptes.client(comptes.gestionnaire)
    assert "Admis" in client.get(f"/examens/candidats/{c.pk}/releve/").content.decode()
    assert comptes.client(comptes.enseignant).get(f"/examens/candidats/{c.pk}/releve/").status_code in (403, 404)
    csv = client.get("/examens/sessions/2026/journal/?format=csv").content.decode()
    assert csv.startswith("\ufeffdate;auteur;candidat;action;détail;motif") and "Session recalculée" in csv


def test_l_histogramme_svg_utilise_des_nombres_avec_un_point(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    noter_tout(c, "12.5")
    services.deliberer(session=c.session)
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/").content.decode()
    assert 'class="histogramme"' in page and re.search(r'<rect x="\d+\.\d"', page) and ',0"' not in page


def test_au_dela_du_plafond_la_deliberation_et_la_saisie_demandent_un_etablissement(comptes, monkeypatch):
    from examens import selectors

    monkeypatch.setattr(selectors, "PLAFOND_LIGNES", 1)
    ici = fabriques.candidat(division=comptes.division_a, nom="ICI")
    ailleurs = fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    for c in (ici, ailleurs):
        noter_tout(c)
    services.deliberer(session=fabriques.session())
    client = comptes.client(comptes.administrateur)
    for page in ("/examens/sessions/2026/deliberation/", "/examens/sessions/2026/notes/U51/"):
        texte = client.get(page).content.decode()
        assert "La sélection compte 2 candidats : choisissez un établissement" in texte, page
        assert ici.numero not in texte and ailleurs.numero not in texte, page
        assert 'name="etablissement"' in texte and "Lycée Marie Curie" in texte, page
        lycee2 = comptes.division_c.etablissement_id
        texte = client.get(f"{page}?etablissement={lycee2}").content.decode()
        assert ailleurs.numero in texte and ici.numero not in texte and 'data-testid="plafond"' not in texte, page
    # Le verrouillage reste possible pour toute la session.
    assert 'data-testid="bouton-verrouiller"' in client.get("/examens/sessions/2026/deliberation/").content.decode()


def test_le_journal_se_lit_en_phrases_et_se_filtre_par_candidat(comptes):
    """Issue « The exam office, round 2 » : « U2 de LEROY Théo : 9,00 → 10,00 — motif : … — par Mme X, le … »."""
    leroy = fabriques.candidat(division=comptes.division_a, nom="LEROY", prenom="Théo", numero="L001")
    autre = fabriques.candidat(division=comptes.division_a, nom="MARTIN", numero="M001")
    services.attribuer_points_jury(
        candidat=leroy, points=Decimal("2.5"), motif="copie revue", auteur=comptes.gestionnaire
    )
    services.attribuer_points_jury(candidat=autre, points=Decimal(1), motif="autre", auteur=comptes.gestionnaire)
    client = comptes.client(comptes.gestionnaire)
    page = client.get("/examens/sessions/2026/journal/?candidat=L001").content.decode()
    assert "Points du jury : points du jury de LEROY Théo (L001)" in page
    assert "points : 0 → 2,50" in page and "motif : copie revue" in page
    assert "LEROY" in client.get("/examens/sessions/2026/journal/?du=01/01/2026").content.decode()
    assert "LEROY" not in client.get("/examens/sessions/2026/journal/?au=01/01/2026").content.decode()
    assert "MARTIN" not in page
    csv = client.get("/examens/sessions/2026/journal/?candidat=L001&format=csv").content.decode()
    assert ";Gest;LEROY Théo (L001);Points du jury" in csv and " à " in csv.splitlines()[1].split(";")[0]


def test_le_proces_verbal_se_pagine_et_totalise_toute_la_selection(comptes, monkeypatch):
    from examens import views

    monkeypatch.setattr(views, "LIGNES_PV", 2)
    for i in range(5):
        noter_tout(fabriques.candidat(division=comptes.division_a, numero=f"PV{i:03d}"))
    services.deliberer(session=fabriques.session())  # notes écrites en SQL par noter_tout : une passe complète
    client = comptes.client(comptes.gestionnaire)
    page = client.get("/examens/sessions/2026/proces-verbal/").content.decode()
    assert "PV000" in page and "PV004" not in page and "Page 1 sur 3" in page
    assert "5 candidats" in page and "Admis : 5" in page  # les totaux portent sur toute la sélection
    assert "PV004" in client.get("/examens/sessions/2026/proces-verbal/?page=3").content.decode()


def test_le_proces_verbal_d_un_gestionnaire_academique_ne_lit_que_ses_colonnes(comptes, monkeypatch):
    """Issue #23 : une page du PV ne lit ni la trace ni l'empreinte des résultats (900 octets par ligne, triés sur
    disque pour une session nationale) et ne recompte pas la sélection : le total vient de l'agrégat par décision."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from examens import views

    monkeypatch.setattr(views, "LIGNES_PV", 2)
    for i in range(5):
        noter_tout(fabriques.candidat(division=comptes.division_a, numero=f"PV{i:03d}"))
    services.deliberer(session=fabriques.session())
    client = comptes.client(comptes.academie)
    with CaptureQueriesContext(connection) as requetes:
        page = client.get("/examens/sessions/2026/proces-verbal/?page=2").content.decode()
    assert "PV002" in page and "PV003" in page and "PV004" not in page and "Page 2 sur 3" in page
    assert "5 candidats" in page and "Admis : 5" in page
    lues = [sql_lisible(r["sql"]) for r in requetes.captured_queries]
    sur_les_resultats = [sql for sql in lues if 'FROM "examens_resultat"' in sql]
    assert len(sur_les_resultats) == 2  # l'agrégat par décision, puis la page
    assert not any(
        '"examens_resultat"."trace"' in sql or '"examens_resultat"."empreinte"' in sql for sql in sur_les_resultats
    )


def test_un_instant_du_journal_se_lit_a_l_heure_de_paris():
    """Une validation de PV journalise son instant en ISO (UTC) : la page l'écrit comme sa colonne « Quand »."""
    from examens.journal_lisible import changements

    texte = changements({"verrouille": False}, {"verrouille": True, "pv_valide_le": "2026-12-01T19:01:23.454266+00:00"})
    assert texte == "verrouillé : non → oui ; procès-verbal validé le : ∅ → 01/12/2026 à 20 h 01"
    assert (
        changements({}, {"pv_valide_le": "2026-06-12T12:03:00+00:00"})
        == "procès-verbal validé le : 12/06/2026 à 14 h 03"
    )
