"""Lien du tuteur : envoi par courriel, page sans compte, signature immuable qui compte aussitôt, lien expiré, révoqué
ou déjà utilisé refusé sans rien changer, relances."""

import datetime
import hashlib
import html
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from examens.models import Blocage, Journal, Resultat
from pfmp import services, tuteurs
from pfmp.models import Attestation, EtatConformite, Evaluation, LienTuteur, SignatureTuteur
from referentiel.models import Activite, Competence
from tests import fabriques
from tests.examens.test_resultats_a_jour import noter
from tests.pfmp.outils import PREMIERE, TERMINALE, J, periode

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(comptes):
    """Cycle de deux ans (16 semaines) : 8 attestées, la seconde période à attester par le tuteur ; toutes les notes."""
    c = fabriques.candidat(division=comptes.division_a, duree_cycle=2, nom="MARTIN", prenom="Inès")
    noter(c, "12")
    periode(c, *PREMIERE, attestees="8")
    p = periode(c, *TERMINALE, tuteur_nom="Bernard", tuteur_prenom="Sophie", tuteur_email="s.bernard@example.org")
    return comptes, c, p


def envoyer(comptes, p, **donnees) -> str:
    """Le gestionnaire envoie le lien ; renvoie l'adresse lue dans le courriel (boîte de test de Django)."""
    mail.outbox.clear()
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/pfmp/periodes/{p.pk}/lien-tuteur/", {"destinataire": "s.bernard@example.org", "jours": "30", **donnees}
    )
    assert reponse.status_code == 302, reponse.context["form"].errors
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["s.bernard@example.org"] and "Inès MARTIN" in message.subject
    return re.search(r"http://testserver(/pfmp/tuteur/\S+/)", message.body).group(1)


def formulaire(**autres) -> dict:
    activite = Activite.objects.get(code="2.1")
    competence = Competence.objects.filter(activite=activite).first()
    return {
        "date_debut": "2025-11-03",
        "date_fin": "2025-12-26",
        "semaines": "7,5",
        "absences": "2 jours (17 et 18/11)",
        "activites": [activite.pk],
        f"c{competence.pk}": "TS",
        "appreciation": "Élève sérieuse.",
        "nom": "Sophie Bernard",
        "qualite": "Tutrice, responsable administrative",
        "consentement": "on",
        **autres,
    }


def texte(reponse) -> str:
    return html.unescape(reponse.content.decode())


def etat(c):
    return (
        Attestation.objects.count(),
        Blocage.objects.filter(candidat=c, source="pfmp").exists(),
        Resultat.objects.get(candidat=c).decision,
    )


def test_le_tuteur_signe_sans_compte_et_le_resultat_change_dans_la_meme_requete(dossier):
    comptes, c, p = dossier
    assert etat(c) == (1, True, "non_delivrable")
    chemin = envoyer(comptes, p)
    tuteur = Client(REMOTE_ADDR="203.0.113.7")  # aucun compte, aucune session
    page = tuteur.get(chemin)
    assert page.status_code == 200
    assert "Imprimerie Nouvelle" in texte(page) and "du 03/11/2025 au 26/12/2025" in texte(page)

    reponse = tuteur.post(chemin, formulaire(), HTTP_USER_AGENT="Tablette")
    assert "Attestation signée" in texte(reponse)
    attestation = Attestation.objects.get(periode=p, en_vigueur=True)
    assert (attestation.signee, attestation.semaines, attestation.date_signature) == (
        True,
        7.5,
        timezone.localdate(),
    )
    assert attestation.signataire == "Sophie Bernard (Tutrice, responsable administrative)"
    assert attestation.observations == "Absences : 2 jours (17 et 18/11)"
    assert [a["code"] for a in attestation.activites] == ["2.1"]
    signature = SignatureTuteur.objects.get(attestation=attestation)
    assert signature.adresse_ip == "203.0.113.7" and signature.navigateur == "Tablette" and signature.consentement
    assert signature.sha256 == hashlib.sha256(bytes(signature.pdf)).hexdigest()
    assert bytes(signature.pdf).startswith(b"%PDF")
    evaluation = Evaluation.objects.get(periode=p)
    assert [a.niveau for a in evaluation.appreciations.all()] == ["TS"]
    # 8 + 7,5 = 15,5 sur 16 : toujours bloqué, mais l'attestation compte déjà.
    assert EtatConformite.objects.get(candidat=c).semaines_attestees == 15.5
    assert Journal.objects.filter(action="pfmp.attestation.signature_tuteur", objet=attestation.numero).exists()
    lycee = texte(comptes.client(comptes.gestionnaire).get(f"/pfmp/attestations/{attestation.pk}/"))
    assert "Signée en ligne par Sophie Bernard" in lycee and signature.sha256 in lycee


def test_la_signature_leve_le_blocage_et_le_resultat_passe_a_admis(dossier):
    comptes, c, p = dossier
    chemin = envoyer(comptes, p)
    Client().post(chemin, formulaire(semaines="8"))
    assert etat(c) == (2, False, "admis")


def test_lien_deja_utilise_revoque_expire_ou_falsifie_une_page_claire_et_rien_ne_change(dossier, settings):
    comptes, c, p = dossier
    chemin = envoyer(comptes, p)
    Client().post(chemin, formulaire(semaines="8"))
    avant = etat(c)
    for methode in ("get", "post"):
        reponse = getattr(Client(), methode)(chemin, formulaire(semaines="1") if methode == "post" else None)
        assert reponse.status_code == 410
        assert "a déjà été signée avec ce lien" in texte(reponse)
    assert etat(c) == avant

    chemin = envoyer(comptes, p)
    lien = LienTuteur.objects.get(utilise_le__isnull=True, revoque_le__isnull=True)
    comptes.client(comptes.gestionnaire).post(f"/pfmp/liens-tuteur/{lien.pk}/revoquer/")
    reponse = Client().post(chemin, formulaire(semaines="1"))
    assert reponse.status_code == 410 and "Ce lien a été révoqué par le lycée." in texte(reponse)

    chemin = envoyer(comptes, p)
    LienTuteur.objects.filter(utilise_le__isnull=True, revoque_le__isnull=True).update(
        expire_le=timezone.now() - datetime.timedelta(minutes=1)
    )
    reponse = Client().post(chemin, formulaire(semaines="1"))
    assert reponse.status_code == 410 and "Ce lien a expiré." in texte(reponse)

    chemin = envoyer(comptes, p)
    settings.PFMP_LIEN_TUTEUR_JOURS = 0  # la signature du jeton elle-même a dépassé son âge
    assert "Ce lien a expiré." in texte(Client().get(chemin))
    settings.PFMP_LIEN_TUTEUR_JOURS = 30
    falsifie = chemin[:-3] + ("A" if chemin[-3] != "A" else "B") + chemin[-2:]
    reponse = Client().post(falsifie, formulaire(semaines="1"))
    assert reponse.status_code == 404 and "Ce lien n'est pas valide" in texte(reponse)
    assert etat(c) == avant


def test_un_nouveau_lien_revoque_le_precedent_et_une_correction_est_une_nouvelle_version(dossier):
    comptes, c, p = dossier
    premier = envoyer(comptes, p)
    second = envoyer(comptes, p)
    assert "révoqué" in texte(Client().get(premier))
    Client().post(second, formulaire(semaines="8"))
    signee = Attestation.objects.get(periode=p, en_vigueur=True)
    signature = signee.signature_tuteur
    with pytest.raises(ValidationError):
        signature.save()
    with pytest.raises(ValidationError):
        signature.delete()
    correction, _ = services.enregistrer_attestation(periode=p, semaines=7, signee=True, auteur=comptes.gestionnaire)
    assert correction.remplace == signee and not Attestation.objects.get(pk=signee.pk).en_vigueur
    assert SignatureTuteur.objects.get(attestation=signee).sha256 == signature.sha256  # l'instantané signé reste


def test_la_case_de_consentement_et_des_semaines_plausibles_sont_exigees(dossier):
    comptes, c, p = dossier
    chemin = envoyer(comptes, p)
    donnees = formulaire(semaines="12")
    del donnees["consentement"]
    page = texte(Client().post(chemin, donnees))
    assert "Cochez cette case pour signer." in page and "Au plus 8 semaines civiles entre ces dates." in page
    assert Attestation.objects.count() == 1 and not LienTuteur.objects.get().utilise_le


def test_les_relances_partent_une_fois_avant_puis_apres_la_fin_de_la_periode(dossier):
    comptes, c, p = dossier
    envoyer(comptes, p)
    mail.outbox.clear()
    assert tuteurs.relancer(base="https://agora.example", aujourd_hui=J(2025, 12, 1)) == {"avant": 0, "apres": 0}
    assert tuteurs.relancer(base="https://agora.example", aujourd_hui=J(2025, 12, 24)) == {"avant": 1, "apres": 0}
    assert tuteurs.relancer(base="https://agora.example", aujourd_hui=J(2025, 12, 25)) == {"avant": 0, "apres": 0}
    assert tuteurs.relancer(base="https://agora.example", aujourd_hui=J(2025, 12, 30)) == {"avant": 0, "apres": 1}
    assert tuteurs.relancer(base="https://agora.example", aujourd_hui=J(2026, 1, 5)) == {"avant": 0, "apres": 0}
    assert [m.subject.split(" · ")[0] for m in mail.outbox] == [
        "Rappel : attestation de PFMP à signer",
        "Relance : attestation de PFMP non signée",
    ]
    assert "https://agora.example/pfmp/tuteur/" in mail.outbox[1].body


def test_seul_le_personnel_du_candidat_envoie_un_lien(dossier):
    comptes, c, p = dossier
    assert comptes.client(comptes.gestionnaire_autre).get(f"/pfmp/periodes/{p.pk}/lien-tuteur/").status_code == 404
    assert comptes.client(None).get(f"/pfmp/periodes/{p.pk}/lien-tuteur/").status_code == 302


def test_relances_et_etats_perimes_sont_des_taches_periodiques_des_workers():
    from procrastinate.contrib.django import app

    from pfmp import tasks

    periodiques = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert periodiques["pfmp.relancer_tuteurs"] == "7 8 * * *"
    assert periodiques["pfmp.rafraichir_conformites"] == "3 0 * * *"
    assert tasks.relancer_tuteurs(0) == {"avant": 0, "apres": 0}
    assert tasks.rafraichir_conformites(0) == 0


def test_une_session_avec_une_attestation_signee_en_ligne_se_sauvegarde_se_supprime_et_se_restaure(dossier, tmp_path):
    from examens.models import Session
    from examens.sauvegarde import restaurer_session, sauvegarder_session

    comptes, c, p = dossier
    Client().post(envoyer(comptes, p), formulaire(semaines="8"))
    signature = SignatureTuteur.objects.get()
    empreinte, pdf = signature.sha256, bytes(signature.pdf)
    fichier = tmp_path / "session.agora.gz"
    sauvegarder_session(annee=2026, chemin=fichier)
    Session.objects.get(annee=2026).delete()  # la signature part avec la session (conservation des données)
    assert not SignatureTuteur.objects.exists() and not LienTuteur.objects.exists()
    restaurer_session(chemin=fichier)
    restauree = SignatureTuteur.objects.get()
    assert (restauree.sha256, bytes(restauree.pdf)) == (empreinte, pdf)
    assert hashlib.sha256(bytes(restauree.pdf)).hexdigest() == empreinte
    assert EtatConformite.objects.get(candidat__numero=c.numero).niveau == "conforme"
