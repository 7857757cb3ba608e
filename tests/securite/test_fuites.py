"""Petites fuites (issue 16, point 8) : chacune a son test, qui échouait sur le code d'avant."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from examens import apercus, services
from examens.models import ApercuImport, Candidat, Commission
from tests import fabriques
from tests.examens.outils import ENTETE_CANDIDATS, csv_bytes, ligne_candidat
from tests.examens.test_grilles import monde

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _medias(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# ---------------------------------------------------------------------------------------------------
# Journal : un gestionnaire ne lit pas les actions des autres établissements
# ---------------------------------------------------------------------------------------------------


def test_le_journal_d_un_gestionnaire_ne_montre_rien_des_autres_etablissements(comptes):
    a = fabriques.candidat(division=comptes.division_a, numero="A0000001")
    b = fabriques.candidat(division=comptes.division_c, numero="C0000001")
    session = a.session
    services.journaliser(action="import.notes", auteur=comptes.gestionnaire_autre, session=session,
                         objet="notes-curie.csv", apres={"lignes": 4242})  # fmt: skip
    services.journaliser(action="export.demande", auteur=comptes.administrateur, session=session,
                         objet="export 9", apres={"division": "TAGORA"})  # fmt: skip
    services.journaliser(action="note.modification", auteur=comptes.gestionnaire_autre, candidat=b, objet="U2")
    services.journaliser(action="import.candidats", auteur=comptes.gestionnaire, session=session, objet="mien.csv")
    services.journaliser(action="note.modification", auteur=comptes.administrateur, candidat=a, objet="U31")
    services.verrouiller(session=session, auteur=comptes.administrateur)
    client = comptes.client(comptes.gestionnaire)
    for page in (
        client.get("/examens/sessions/2026/journal/").content.decode(),
        client.get("/examens/sessions/2026/journal/?format=csv").content.decode(),
    ):
        assert "notes-curie.csv" not in page and "4242" not in page  # import d'un autre lycée
        assert "TAGORA" not in page and "export 9" not in page  # export d'un administrateur pour un autre lycée
        assert "C0000001" not in page and "gest2" not in page
        assert "mien.csv" in page  # ses propres actions
        assert "A0000001" in page  # ses candidats, quel que soit l'auteur
        assert "Délibération verrouillée" in page  # la session entière
    # l'administrateur lit tout
    page = comptes.client(comptes.administrateur).get("/examens/sessions/2026/journal/?format=csv").content.decode()
    assert "notes-curie.csv" in page and "C0000001" in page


# ---------------------------------------------------------------------------------------------------
# Commissions : le filtre par division ne révèle pas le nom d'une autre division
# ---------------------------------------------------------------------------------------------------


def test_le_filtre_des_commissions_ne_nomme_pas_une_division_invisible(comptes):
    comptes.division_c.nom = "SECRETE-CURIE"
    comptes.division_c.save()
    client = comptes.client(comptes.gestionnaire)
    reponse = client.get(f"/examens/grilles/commissions/?division={comptes.division_c.pk}")
    assert reponse.status_code == 200 and "SECRETE-CURIE" not in reponse.content.decode()
    assert client.get(f"/examens/grilles/commissions/?division={comptes.division_a.pk}").status_code == 200
    autre = comptes.client(comptes.gestionnaire_autre)
    assert (
        "SECRETE-CURIE" in autre.get(f"/examens/grilles/commissions/?division={comptes.division_c.pk}").content.decode()
    )


# ---------------------------------------------------------------------------------------------------
# Le professionnel d'une commission E32 : ses grilles, rien d'autre
# ---------------------------------------------------------------------------------------------------


def test_le_professionnel_d_une_commission_n_a_que_ses_grilles():
    m = monde()
    pro = m.comptes.client(m.professionnel)
    c = m.candidat
    c.date_naissance = "2008-02-29"
    c.save()
    # ses grilles et sa commission
    assert pro.get(reverse("examens:commission", args=[m.e32.pk])).status_code == 200
    grille = reverse("examens:grille", args=[m.e32.pk, c.pk, 1])
    assert pro.get(grille).status_code == 200
    # ni la fiche du candidat, ni son dossier PFMP, ni la liste des candidats
    for nom in ("examens:candidat", "pfmp:candidat", "pfmp:periode-ajouter", "pfmp:document-liaison"):
        assert pro.get(reverse(nom, args=[c.pk])).status_code == 404, nom
    assert "MARTIN" not in pro.get("/examens/candidats/?session=2026").content.decode()
    assert "29/02/2008" not in pro.get(grille).content.decode()
    # aucune écriture PFMP
    reponse = pro.post(
        reverse("pfmp:periode-ajouter", args=[c.pk]),
        {"raison_sociale": "X", "date_debut": "2026-01-05", "date_fin": "2026-01-30"},
    )
    assert reponse.status_code in (403, 404)
    assert reponse.status_code != 302
    # l'enseignant de la division, membre de la même commission, garde tout
    prof = m.comptes.client(m.comptes.enseignant)
    assert prof.get(reverse("examens:candidat", args=[c.pk])).status_code == 200
    assert prof.get(reverse("pfmp:candidat", args=[c.pk])).status_code == 200
    # un enseignant membre d'une commission en qualité d'enseignant, sans la division, voit ses candidats
    assert m.comptes.client(m.collegue).get(reverse("examens:candidat", args=[c.pk])).status_code == 200
    assert set(Candidat.objects.visibles_par(m.professionnel)) == set()
    assert set(Commission.objects.visibles_par(m.professionnel)) == {m.e32}


# ---------------------------------------------------------------------------------------------------
# Aperçus d'import : purgés après 24 h ; une double confirmation ne donne ni 500 ni double import
# ---------------------------------------------------------------------------------------------------


def televerser(client, *numeros):
    fichier = SimpleUploadedFile("c.csv", csv_bytes(ENTETE_CANDIDATS, *(ligne_candidat(n) for n in numeros)))
    reponse = client.post("/examens/sessions/2026/importer/", {"type": "candidats", "fichier": fichier})
    return reponse.context["jeton"]


def test_un_apercu_de_plus_de_24_h_est_purge_au_televersement_suivant(comptes):
    client = comptes.client(comptes.gestionnaire)
    ancien = televerser(client, "N001")
    ApercuImport.objects.filter(jeton=ancien).update(cree_le=timezone.now() - datetime.timedelta(hours=25))
    recent = televerser(client, "N002")
    assert not ApercuImport.objects.filter(jeton=ancien).exists()
    assert ApercuImport.objects.filter(jeton=recent).exists()
    reponse = client.post(f"/examens/sessions/2026/importer/{ancien}/confirmer/", follow=True)
    assert "expiré" in reponse.content.decode() and not Candidat.objects.filter(numero="N001").exists()


def test_la_purge_periodique_efface_les_apercus_perimes():
    from procrastinate.contrib.django import app

    ancien, recent = apercus.deposer(b"x", ".csv"), apercus.deposer(b"y", ".csv")
    ApercuImport.objects.filter(jeton=ancien).update(cree_le=timezone.now() - datetime.timedelta(hours=25))
    assert apercus.purger() == 1 and apercus.prendre(recent, ".csv") == b"y" and apercus.prendre(ancien, ".csv") is None
    assert "examens.purger_apercus" in app.tasks
    assert any(p.task.name == "examens.purger_apercus" for p in app.periodic_registry.periodic_tasks.values())


def test_une_double_confirmation_simultanee_donne_un_succes_et_un_message(comptes):
    client = comptes.client(comptes.gestionnaire)
    jeton = televerser(client, "N001", "N002")
    cle = f"import-{jeton}"
    infos = client.session[cle]
    premiere = client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/", follow=True)
    assert "Import de c.csv terminé" in premiere.content.decode()
    # la seconde requête du double clic a lu la session avant que la première ne l'enregistre
    session = client.session
    session[cle] = infos
    session.save()
    seconde = client.post(f"/examens/sessions/2026/importer/{jeton}/confirmer/", follow=True)
    assert seconde.status_code == 200
    assert "déjà été confirmé" in seconde.content.decode()
    assert Candidat.objects.filter(numero__in=["N001", "N002"]).count() == 2


# ---------------------------------------------------------------------------------------------------
# Mots de passe : proches de l'identifiant refusés ; chacun change le sien
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mot", ["cible12345", "12345cible", "Cible-2026!x", "xxCIBLExx99", "cibl3-cible"])
def test_un_mot_de_passe_qui_contient_l_identifiant_est_refuse(mot):
    with pytest.raises(ValidationError) as refus:
        validate_password(mot, User(username="cible", first_name="Jeanne", last_name="Dupont"))
    assert any("identifiant" in m or "ressemble" in m for m in refus.value.messages), refus.value.messages


def test_le_nom_et_l_adresse_comptent_aussi():
    user = User(username="jd42", first_name="Jérôme", last_name="Dupont", email="j.dupont@ac-paris.fr")
    for mot in ("jerome-2026-xyz", "Dupont!!2026", "j.dupont-2026!"):
        with pytest.raises(ValidationError):
            validate_password(mot, user)
    validate_password("Ornithorynque-bleu-42", user)


def test_chacun_change_son_mot_de_passe(comptes):
    client = comptes.client(comptes.enseignant)
    assert 'href="/mot-de-passe/"' in client.get("/").content.decode()
    page = client.get("/mot-de-passe/")
    assert page.status_code == 200 and "Changer mon mot de passe" in page.content.decode()
    refus = client.post(
        "/mot-de-passe/",
        {"old_password": fabriques.MOT_DE_PASSE, "new_password1": "prof123456", "new_password2": "prof123456"},
    )
    assert refus.status_code == 200 and "identifiant" in refus.content.decode()
    mauvais_ancien = client.post(
        "/mot-de-passe/",
        {"old_password": "faux", "new_password1": "Ornithorynque-42", "new_password2": "Ornithorynque-42"},
    )
    assert "ancien mot de passe" in mauvais_ancien.content.decode().lower()
    ok = client.post(
        "/mot-de-passe/",
        {
            "old_password": fabriques.MOT_DE_PASSE,
            "new_password1": "Ornithorynque-42",
            "new_password2": "Ornithorynque-42",
        },
        follow=True,
    )
    assert "Votre mot de passe a été changé" in ok.content.decode()
    comptes.enseignant.refresh_from_db()
    assert comptes.enseignant.check_password("Ornithorynque-42")
    assert client.get("/").status_code == 200  # la session reste ouverte
    assert comptes.client(None).get("/mot-de-passe/").status_code == 302
