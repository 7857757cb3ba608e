"""Pages et documents de l'organisation du CCF : formulaire, droits, PDF (texte lu), calendrier ICS."""

import datetime
import re
import subprocess

import pytest
from django.urls import reverse

from examens.organisation import services
from examens.organisation.models import Amenagement, Passage, Situation
from tests.examens.test_grilles import monde
from tests.examens.test_organisation import JEUDI, parametres

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _pdftotext(contenu: bytes, *options: str) -> str:
    lu = subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", "-", "-"], input=contenu, capture_output=True, timeout=60
    )
    assert lu.returncode == 0, lu.stderr.decode(errors="replace")
    return lu.stdout.decode()


def texte_pdf(contenu: bytes) -> str:
    """Le texte du PDF lu par pdftotext (poppler), comme un lecteur le verrait : espaces et retours réduits."""
    return re.sub(r"\s+", " ", _pdftotext(contenu))


def lignes_pdf(contenu: bytes) -> list[str]:
    """Les lignes du PDF mises en page par `pdftotext -layout` (une ligne de tableau reste une ligne), espaces
    réduits : l'heure, le candidat et ses aménagements d'une feuille d'émargement se lisent ensemble."""
    return [" ".join(ligne.split()) for ligne in _pdftotext(contenu, "-layout").splitlines() if ligne.strip()]


def url(m, nom="organisation", *args):
    return reverse(f"examens:{nom}", args=[m.e31.pk, *args])


def formulaire(m, **autres):
    donnees = {
        "division": m.comptes.division_a.pk,
        "numero": 1,
        "jours": "12/03/2026",
        "debut": "08:00",
        "fin": "17:00",
        "dejeuner_debut": "12:00",
        "dejeuner_fin": "13:30",
        "pause": 5,
        "salles": "B12, B14",
        "duree_ccf": 60,
    }
    donnees.update(autres)
    return donnees


def planifie(m):
    Amenagement.objects.create(
        candidat=m.candidat, temps_majore=33, lecteur=True, decision=Amenagement.Decision.ACCORDEE
    )
    services.planifier_division(
        commission=m.e31, division=m.comptes.division_a, parametres=parametres(), auteur=m.comptes.enseignant
    )


def test_un_membre_planifie_une_division_depuis_la_page():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    assert "Organiser le CCF" in client.get(reverse("examens:commission", args=[m.e31.pk])).content.decode()
    r = client.post(url(m, "organisation-planifier"), formulaire(m), follow=True)
    assert r.status_code == 200
    assert "Planning enregistré" in r.content.decode()
    assert Passage.objects.filter(situation__commission=m.e31, situation__date=JEUDI).exists()


def test_une_saisie_invalide_ou_impossible_s_explique_sans_rien_ecrire():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    r = client.post(url(m, "organisation-planifier"), formulaire(m, jours="32/13/2026", salles=" , "))
    texte = r.content.decode()
    assert r.status_code == 200 and "n&#x27;est pas une date" in texte and "Indiquez au moins une salle" in texte
    r = client.post(
        url(m, "organisation-planifier"), formulaire(m, debut="08:00", fin="08:30", dejeuner_debut="", dejeuner_fin="")
    )
    assert "Aucun planning possible" in r.content.decode() and "ne tient dans aucune demi-journée" in r.content.decode()
    assert not Situation.objects.exists()


def test_hors_commission_l_organisation_est_interdite_ou_invisible():
    m = monde()
    planifie(m)
    p = Passage.objects.first()
    assert m.comptes.client(m.comptes.enseignant_autre).get(url(m)).status_code == 404
    # Le gestionnaire de l'établissement organise ; celui d'un autre ne voit rien.
    assert m.comptes.client(m.comptes.gestionnaire).get(url(m)).status_code == 200
    assert (
        m.comptes.client(m.comptes.gestionnaire_autre)
        .post(url(m, "organisation-presence", p.pk), {"presence": "present"})
        .status_code
        == 404
    )


def test_la_convocation_et_la_feuille_d_emargement_disent_l_heure_la_salle_et_les_amenagements():
    m = monde()
    planifie(m)
    client = m.comptes.client(m.comptes.enseignant)
    p = Passage.objects.select_related("situation").get(candidat=m.candidat)
    r = client.get(url(m, "organisation-convocation", p.pk))
    assert r["Content-Type"] == "application/pdf"
    texte = texte_pdf(r.content)
    assert "Convocation à l'épreuve E31" in texte
    assert f"Candidat MARTIN Léa · n° {m.candidat.numero}" in texte
    heure = f"{p.debut.hour} h {p.debut.minute:02d}"
    assert f"Date jeudi 12/03/2026 Heure {heure} (fin prévue" in texte and "durée 1 h 20" in texte
    assert f"Salle {p.situation.salle} " in texte
    assert "Aménagements accordés : tiers-temps, lecteur" in texte
    r = client.get(url(m, "organisation-emargement", p.situation.pk))
    lignes = lignes_pdf(r.content)
    assert lignes[0].startswith("Feuille d'émargement E31 · jeudi 12/03/2026")
    assert f"Date jeudi 12/03/2026 Salle {p.situation.salle}" in lignes
    # Sur la ligne du candidat : son heure, sa durée majorée, ses aménagements, les cases de présence.
    assert f"{heure} (1 h 20) MARTIN Léa tiers-temps, lecteur ☐ présent ☐ absent" in lignes
    r = client.get(url(m, "organisation-convocations", m.comptes.division_a.pk))
    nb = Passage.objects.filter(candidat__division=m.comptes.division_a).count()
    assert texte_pdf(r.content).count("Convocation à l") == nb


def test_le_calendrier_d_un_membre_en_page_et_en_ics():
    m = monde()
    planifie(m)
    client = m.comptes.client(m.comptes.enseignant)
    assert "MARTIN Léa" in client.get(reverse("examens:calendrier-ccf")).content.decode()
    r = client.get(reverse("examens:calendrier-ccf-ics"))
    assert r["Content-Type"] == "text/calendar"
    ics = r.content.decode()
    assert "BEGIN:VEVENT" in ics and "E31 · MARTIN Léa" in ics and "DTSTART;TZID=Europe/Paris:20260312T080000" in ics


def test_marquer_une_absence_depuis_la_page_met_les_comptes_a_jour():
    m = monde()
    planifie(m)
    client = m.comptes.client(m.comptes.enseignant)
    p = Passage.objects.get(candidat=m.candidat)
    r = client.post(
        url(m, "organisation-presence", p.pk), {"presence": "absent_justifie", "motif": "certificat"}, follow=True
    )
    texte = r.content.decode()
    assert "1 à rattraper" in texte and "Rattrapage" in texte
    r = client.post(url(m, "organisation-presence", p.pk), {"presence": "nimporte"}, follow=True)
    assert r.status_code == 200 and "Choisissez : présent" in r.content.decode()
    r = client.post(url(m, "organisation-deplacer", p.pk), {"date": "x", "debut": "99:99", "salle": ""}, follow=True)
    assert r.status_code == 200


def test_la_page_des_amenagements_enregistre_la_decision():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    r = client.post(
        url(m, "organisation-amenagement", m.candidat.pk),
        {
            "decision": "accordee",
            "decision_date": "2026-01-10",
            "temps_majore": 33,
            "secretaire": "on",
            "accompagnant": "M. Lefort",
        },
    )
    assert r.status_code == 302
    a = Amenagement.objects.get(candidat=m.candidat)
    assert a.libelles() == ["tiers-temps", "secrétaire (M. Lefort)"] and a.decision_date == datetime.date(2026, 1, 10)
    r = client.post(url(m, "organisation-amenagement", m.candidat.pk), {"decision": "x", "temps_majore": 500})
    assert r.status_code == 200


def test_la_conformite_du_dossier_s_enregistre_avec_sa_date_et_refuse_une_date_future():
    from examens.models import Journal
    from examens.organisation.models import ConformiteDossier

    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    lien = url(m, "organisation-conformite", m.candidat.pk)
    r = client.post(lien, {"conforme": "on", "date": "01/01/2099"}, follow=True)
    assert "dans le futur" in r.content.decode() and not ConformiteDossier.objects.exists()
    r = client.post(
        lien, {"conforme": "on", "date": "02/03/2026", "observation": "attestation PFMP reçue"}, follow=True
    )
    assert "vérification enregistrée" in r.content.decode()
    fiche = ConformiteDossier.objects.get(candidat=m.candidat)
    assert fiche.conforme and fiche.date == datetime.date(2026, 3, 2)
    assert Journal.objects.filter(action="ccf.conformite", candidat_numero=m.candidat.numero).exists()
    assert client.post(lien, {"date": "n'importe"}, follow=True).status_code == 200


PDF_MINIMAL = b"%PDF-1.4\n%production\n"


def _passage_e2(m):
    services.planifier_division(
        commission=m.e2, division=m.comptes.division_a, parametres=parametres(), auteur=m.comptes.enseignant
    )
    return Passage.objects.get(candidat=m.stagiaire, situation__commission=m.e2)


def test_une_production_e2_se_depose_controlee_et_se_retelecharge():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from examens.organisation.models import ProductionEcrite

    m = monde()
    p = _passage_e2(m)
    client = m.comptes.client(m.comptes.enseignant)
    lien = reverse("examens:organisation-production-deposer", args=[m.e2.pk, p.pk])
    r = client.post(lien, {"fichier": SimpleUploadedFile("notes.txt", b"pas un pdf")}, follow=True)
    assert "Seuls les fichiers PDF, PNG ou JPEG" in r.content.decode()
    r = client.post(lien, {"fichier": SimpleUploadedFile("vide.pdf", b"")}, follow=True)
    assert r.status_code == 200 and not ProductionEcrite.objects.exists()
    r = client.post(lien, {"fichier": SimpleUploadedFile("Compte rendu.pdf", PDF_MINIMAL)}, follow=True)
    assert "Production de ROUX Léa déposée" in r.content.decode()
    piece = ProductionEcrite.objects.get()
    r = client.get(reverse("examens:organisation-production", args=[m.e2.pk, piece.pk]))
    assert r.content == PDF_MINIMAL and r["Content-Type"] == "application/pdf"
    assert 'filename="compte-rendu.pdf"' in r["Content-Disposition"]
    # Ailleurs que l'E2, pas de dépôt.
    planifie(m)
    autre = Passage.objects.filter(situation__commission=m.e31).first()
    lien = reverse("examens:organisation-production-deposer", args=[m.e31.pk, autre.pk])
    r = client.post(lien, {"fichier": SimpleUploadedFile("a.pdf", PDF_MINIMAL)}, follow=True)
    assert "Seules les productions écrites des situations d&#x27;E2" in r.content.decode()


def test_les_productions_sont_purgees_apres_la_deliberation_suivante_et_journalisees(settings):
    from examens.models import Journal, Session
    from examens.organisation import productions
    from examens.organisation.models import ProductionEcrite

    settings.TAILLE_MAX_PRODUCTION = 64
    m = monde()
    p = _passage_e2(m)
    with pytest.raises(services.OperationRefusee, match="trop lourd"):
        productions.deposer(passage=p, nom="gros.pdf", contenu=PDF_MINIMAL * 10, auteur=m.comptes.enseignant)
    productions.deposer(passage=p, nom="copie.pdf", contenu=PDF_MINIMAL, auteur=m.comptes.enseignant)
    session = m.e2.session
    assert productions.purger() == 0  # la délibération suivante n'a pas eu lieu
    suivante = Session.objects.create(annee=session.annee + 1, reglement=session.reglement)
    assert productions.purger() == 0
    suivante.verrouillee = True
    suivante.save()
    assert productions.purger() == 1
    assert not ProductionEcrite.objects.exists()
    entree = Journal.objects.get(action="ccf.production.purge")
    assert entree.candidat_numero == m.stagiaire.numero and entree.avant["nom"] == "copie.pdf"


def test_la_purge_des_productions_est_une_tache_planifiee():
    from procrastinate.contrib.django import app

    noms = {t.task.name for t in app.periodic_registry.periodic_tasks.values()}
    assert "examens.purger_productions_e2" in noms


def test_le_tableau_de_bord_compte_par_etablissement_et_par_commission_dans_le_perimetre():
    m = monde()
    planifie(m)
    p = Passage.objects.get(candidat=m.candidat)
    services.marquer_presence(passage=p, presence="absent_justifie", motif="certificat", auteur=m.comptes.enseignant)
    total = Passage.objects.filter(situation__rattrapage=False).count()
    blocs = services.tableau_de_bord(type(m.e31).objects.all())
    assert [b["nom"] for b in blocs] == ["Lycée Jean Jaurès"]
    assert blocs[0]["total"] == {"planifies": total - 1, "tenus": 0, "a_rattraper": 1, "absents": 1}
    assert blocs[0]["commissions"][0]["libelle"] == "E31"
    page = m.comptes.client(m.comptes.gestionnaire).get(reverse("examens:organisation-tableau")).content.decode()
    assert "Lycée Jean Jaurès" in page and "E31" in page
    autre = m.comptes.client(m.comptes.gestionnaire_autre).get(reverse("examens:organisation-tableau")).content.decode()
    assert "Lycée Jean Jaurès" not in autre and "Aucun passage planifié" in autre


def test_les_creneaux_libres_se_calculent_entre_les_passages_et_apres_le_dernier():
    from types import SimpleNamespace as N

    def p(h, m, duree, jour=JEUDI):
        return N(situation=N(date=jour), debut=datetime.time(h, m), duree=duree)

    # 8 h–9 h, 9 h 05–10 h 05 (pause de 5 min : pas de trou), 11 h–11 h 30 ; rattrapage sans date ignoré.
    sans_date = N(situation=N(date=None), debut=None, duree=60)
    libres = services.creneaux_libres([p(8, 0, 60), p(9, 5, 60), p(11, 0, 30), sans_date])
    assert [c.libelle for c in libres[JEUDI]] == ["Libre de 10 h 10 à 10 h 55", "Libre à partir de 11 h 35"]
    assert libres[JEUDI][0].heure_debut == "10:10"
    # Bornés par la journée (8 h 30–17 h) et privés du déjeuner (12 h 30–13 h 30) : le matin avant le premier
    # passage est trop court, l'après-midi commence après le déjeuner et finit avec la journée.
    libres = services.creneaux_libres([p(8, 40, 60), p(10, 0, 60), p(11, 0, 20)], (8 * 60 + 30, 17 * 60), (750, 810))
    assert [c.libelle for c in libres[JEUDI]] == ["Libre de 11 h 25 à 12 h 30", "Libre de 13 h 30 à 17 h 00"]
    # Un trou plus court que le plus court des passages n'accueillerait personne.
    libres = services.creneaux_libres([p(8, 0, 30), p(9, 0, 45)], (8 * 60, 10 * 60))
    assert [c.libelle for c in libres[JEUDI]] == []
    libres = services.creneaux_libres([p(8, 0, 20), p(9, 0, 45)], (8 * 60, 10 * 60))
    assert [c.libelle for c in libres[JEUDI]] == ["Libre de 8 h 25 à 8 h 55"]


def test_deposer_un_passage_sur_un_creneau_libre_passe_par_le_deplacement_et_refuse_a_cote_du_creneau():
    m = monde()
    planifie(m)
    client = m.comptes.client(m.comptes.enseignant)
    texte = client.get(url(m)).content.decode()
    assert texte.count('data-testid="creneau-libre"') >= 1 and 'draggable="true"' in texte
    assert "js/organisation.js" in texte
    passages = list(Passage.objects.select_related("situation").order_by("debut"))
    premier, dernier = passages[0], passages[-1]
    # Déposé sur un créneau déjà pris par la commission : refusé, rien d'écrit, l'erreur à côté du créneau visé.
    cible = f"{dernier.situation.pk}-{dernier.debut:%H:%M}"
    r = client.post(
        url(m, "organisation-deplacer", premier.pk),
        {"date": "12/03/2026", "debut": f"{dernier.debut:%H:%M}", "salle": dernier.situation.salle, "cible": cible},
    )
    assert r.status_code == 200
    assert Passage.objects.get(pk=premier.pk).debut == premier.debut
    page = r.content.decode()
    # Le créneau visé n'est pas un créneau libre affiché : l'erreur va à côté du passage.
    assert "data-erreur-deplacement>Ce créneau est impossible : la commission" in page
    # La page borne les créneaux par la journée et le déjeuner du formulaire (8 h–17 h, 12 h–13 h 30).
    fin = services.creneaux_libres(passages, (8 * 60, 17 * 60), (12 * 60, 13 * 60 + 30))[JEUDI][-1]
    cible = f"{dernier.situation.pk}-{fin.heure_debut}"
    # Un membre est pris ailleurs à cette heure-là : refus affiché à côté du créneau libre où l'on a déposé.
    Situation.objects.create(commission=m.e32, date=JEUDI, salle="C01").membres.add(m.comptes.enseignant)
    autre = Situation.objects.get(commission=m.e32)
    Passage.objects.create(situation=autre, candidat=m.candidat, debut=fin_heure(fin.debut), duree=30)
    r = client.post(
        url(m, "organisation-deplacer", premier.pk),
        {"date": "12/03/2026", "debut": fin.heure_debut, "salle": dernier.situation.salle, "cible": cible},
    )
    page = r.content.decode()
    assert f'id="libre-{cible}"' in page
    bloc = page[page.index(f'id="libre-{cible}"') :]
    assert bloc.index("data-erreur-deplacement") < bloc.index("</tr>")
    nom = f"{premier.candidat.nom} {premier.candidat.prenom}"
    assert f"Déplacement de {nom} refusé. Ce créneau est impossible" in bloc and "(E32) de" in bloc
    # Libre : le passage y va, comme au clavier.
    autre.delete()
    r = client.post(
        url(m, "organisation-deplacer", premier.pk),
        {"date": "12/03/2026", "debut": fin.heure_debut, "salle": dernier.situation.salle, "cible": cible},
    )
    assert r.status_code == 302
    assert f"{Passage.objects.get(pk=premier.pk).debut:%H:%M}" == fin.heure_debut
    # Une saisie absurde : 200, le message à côté du passage, jamais 500.
    r = client.post(url(m, "organisation-deplacer", premier.pk), {"date": "x", "debut": "25:99", "cible": "<x>"})
    assert r.status_code == 200 and "data-erreur-deplacement>" in r.content.decode()
    geant = {"date": "12/03/2026", "debut": "09:00", "salle": "B" * 5000, "cible": "é" * 10000}
    r = client.post(url(m, "organisation-deplacer", premier.pk), geant)
    assert r.status_code == 200 and "data-erreur-deplacement>" in r.content.decode()
    r = client.post(url(m, "organisation-deplacer", premier.pk), {**geant, "salle": "B12", "cible": "\x00"})
    assert r.status_code == 400  # le caractère nul est refusé avant la vue (agora.middleware)


def fin_heure(minutes: int) -> datetime.time:
    return datetime.time(minutes // 60, minutes % 60)
