"""Pages des échéances de saisie : formulaires en français, tableau de bord, tableau des notes et grille en
lecture seule après l'échéance, propositions validées ou refusées."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from examens.models import Echeance, Journal, Note, PropositionNote, Reouverture
from tests import fabriques
from tests.examens.test_echeances import academie, fixer, rouvrir
from tests.examens.test_grilles import grille_e31_complete, monde

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texte(reponse) -> str:
    return reponse.content.decode()


def test_l_academie_fixe_une_echeance_et_la_retrouve_dans_le_journal_et_le_tableau_de_bord():
    c = fabriques.comptes()
    a = academie()
    session = fabriques.session()
    client = c.client(a)
    url = reverse("examens:echeance-creer", args=[session.annee])
    assert client.get(url).status_code == 200
    r = client.post(url, {"portee": "unite:U31", "etablissement": "", "date": "12/05/2026", "heure": "18:00"})
    assert r.status_code == 302
    e = Echeance.objects.get()
    assert (e.unite, e.nature, e.etablissement) == ("U31", "", None)
    assert timezone.localtime(e.fermee_le).strftime("%d/%m/%Y %H:%M") == "12/05/2026 18:00"
    rouvrir(a, session, [c.enseignant])
    bord = texte(client.get(reverse("examens:session", args=[session.annee])))
    assert "U31 : saisie close le 12/05, 1 réouverture" in bord
    journal = texte(client.get(reverse("examens:journal", args=[session.annee])))
    assert "Échéance de saisie fixée" in journal and "saisie close le : 12/05/2026 à 18 h 00" in journal
    assert "Saisie rouverte à titre exceptionnel" in journal


def test_une_echeance_a_venir_s_annonce_et_la_modification_est_tracee():
    c = fabriques.comptes()
    a = academie()
    session = fabriques.session()
    e = fixer(a, session, nature="ccf", dans=24 * 3)
    client = c.client(a)
    bord = texte(client.get(reverse("examens:session", args=[session.annee])))
    assert re.search(r"toutes les unités en CCF : ferme le \d\d/\d\d à \d+ h \d\d", bord)
    url = reverse("examens:echeance-modifier", args=[session.annee, e.pk])
    page = texte(client.get(url))
    assert 'value="nature:ccf" selected' in page
    r = client.post(url, {"portee": "nature:ccf", "date": "20/05/2026", "heure": "9 h 30"})
    assert r.status_code == 302
    assert timezone.localtime(Echeance.objects.get().fermee_le).strftime("%d/%m %H:%M") == "20/05 09:30"
    assert Journal.objects.filter(action="echeance.modification").count() == 1


def test_les_erreurs_sont_a_cote_du_champ_et_les_valeurs_gardees():
    c = fabriques.comptes()
    a = academie()
    session = fabriques.session()
    client = c.client(a)
    r = client.post(
        reverse("examens:echeance-creer", args=[session.annee]),
        {"portee": "unite:U31", "date": "32/05/2026", "heure": "18:00"},
    )
    page = texte(r)
    assert r.status_code == 200 and 'id="erreur-date"' in page and 'value="32/05/2026"' in page
    r = client.post(
        reverse("examens:reouverture-creer", args=[session.annee]),
        {"portee": "unite:U31", "date": "01/01/2020", "heure": "18:00", "motif": " ", "candidat": "X999"},
    )
    page = texte(r)
    assert "Le motif est obligatoire." in page or "Ce champ est obligatoire." in page
    assert 'id="erreur-motif"' in page and 'id="erreur-beneficiaires"' in page and 'id="erreur-candidat"' in page
    assert "Aucun candidat n° X999" in page and 'value="X999"' in page
    assert not Echeance.objects.exists() and not Reouverture.objects.exists()


def test_le_gestionnaire_ne_fixe_pas_d_echeance_mais_les_voit():
    c = fabriques.comptes()
    session = fabriques.session()
    client = c.client(c.gestionnaire)
    assert client.get(reverse("examens:echeances", args=[session.annee])).status_code == 200
    assert client.get(reverse("examens:echeance-creer", args=[session.annee])).status_code == 403
    assert client.get(reverse("examens:propositions", args=[session.annee])).status_code == 403


def test_le_tableau_des_notes_est_en_lecture_seule_apres_l_echeance():
    c = fabriques.comptes()
    a = academie()
    candidat = fabriques.candidat(division=c.division_a)
    fixer(a, candidat.session, unite="U31")
    client = c.client(c.gestionnaire)
    page = texte(client.get(reverse("examens:saisie-notes", args=[candidat.session.annee, "U31"])))
    assert 'data-testid="saisie-close"' in page and "Saisie de U31 close depuis le" in page
    assert re.search(rf'id="note-{candidat.pk}"[^>]*disabled', page, re.S) and "saisie close" in page
    r = client.post(reverse("examens:note-enregistrer", args=[candidat.pk, "U31"]), {"note": "12"})
    assert r.status_code == 422 and "demandez une réouverture" in r.json()["erreur"]
    # U32 n'a pas d'échéance : ouverte.
    page = texte(client.get(reverse("examens:saisie-notes", args=[candidat.session.annee, "U32"])))
    assert "saisie-close" not in page


def test_une_proposition_saisie_au_tableau_est_validee_ou_refusee_par_l_academie():
    c = fabriques.comptes()
    a = academie()
    candidats = [fabriques.candidat(division=c.division_a, nom=n) for n in ("ABEL", "BRUN")]
    fixer(a, candidats[0].session)
    rouvrir(a, candidats[0].session, [c.gestionnaire], unite="U2", proposition=True)
    client = c.client(c.gestionnaire)
    for candidat, note in zip(candidats, ("14,5", "9"), strict=True):
        r = client.post(reverse("examens:note-enregistrer", args=[candidat.pk, "U2"]), {"note": note})
        assert r.json() == {"ok": True, "affichage": note, "etat": "proposition enregistrée, en attente de validation"}
    assert not Note.objects.filter(unite="U2").exists()
    academique = c.client(a)
    url = reverse("examens:propositions", args=[candidats[0].session.annee])
    assert "14,5" in texte(academique.get(url))
    premiere, seconde = PropositionNote.objects.order_by("pk")
    r = academique.post(reverse("examens:proposition-valider", args=[2026, premiere.pk]))
    assert r.status_code == 302 and Note.objects.get(candidat=candidats[0], unite="U2").affichage == "14,50"
    r = academique.post(reverse("examens:proposition-refuser", args=[2026, seconde.pk]), {"motif": ""})
    assert r.status_code == 200 and 'id="erreur-motif-' in texte(r)
    r = academique.post(reverse("examens:proposition-refuser", args=[2026, seconde.pk]), {"motif": "Déjà notée"})
    assert r.status_code == 302
    seconde.refresh_from_db()
    assert seconde.etat == PropositionNote.Etat.REFUSEE and not Note.objects.filter(candidat=candidats[1]).exists()
    # Le gestionnaire ne valide pas lui-même.
    assert client.post(reverse("examens:proposition-valider", args=[2026, seconde.pk])).status_code == 403


def test_la_page_de_la_grille_dit_pourquoi_elle_est_close():
    m = monde()
    a = academie()
    grille_e31_complete(m)
    fixer(a, m.candidat.session, unite="U31")
    client = m.comptes.client(m.comptes.enseignant)
    url = reverse("examens:grille", args=[m.e31.pk, m.candidat.pk, 1])
    page = texte(client.get(url))
    assert 'data-testid="lecture-seule"' in page and "Saisie de U31 close depuis le" in page
    assert 'data-modifiable="0"' in page
    fin = timezone.now() + datetime.timedelta(hours=1)
    r = rouvrir(a, m.candidat.session, [m.comptes.enseignant])
    Reouverture.objects.filter(pk=r.pk).update(fin=fin)
    assert 'data-modifiable="1"' in texte(client.get(url))


def test_un_gestionnaire_ne_voit_ni_les_echeances_ni_les_motifs_d_un_autre_lycee():
    c = fabriques.comptes()
    a = academie()
    session = fabriques.session()
    fixer(a, session, unite="U31", etablissement=c.division_a.etablissement)
    fixer(a, session, unite="U32")
    rouvrir(a, session, [c.enseignant], etablissement=c.division_a.etablissement)
    url = reverse("examens:echeances", args=[session.annee])
    chez_lui = texte(c.client(c.gestionnaire).get(url))
    assert "Lycée Jean Jaurès" in chez_lui and "Commission reportée" in chez_lui
    ailleurs = texte(c.client(c.gestionnaire_autre).get(url))
    assert "Lycée Jean Jaurès" not in ailleurs and "Commission reportée" not in ailleurs and "U32" in ailleurs
    bord = texte(c.client(c.gestionnaire_autre).get(reverse("examens:session", args=[session.annee])))
    assert "U32 : saisie close le" in bord and "U31" not in bord.split("titre-echeances")[1]
